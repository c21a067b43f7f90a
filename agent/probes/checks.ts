// One run of each probe kind against a real target. Every run is bounded by its timeout; none throws:
// a failure is a result with the reason in a line.
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { connect, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import vm from 'node:vm';
import type { z } from 'zod';
import {
  type HttpTarget,
  MAX_BODY_BYTES,
  MAX_REDIRECTS,
  type ProbeAssignment,
  type ProbeResult,
  type ProbeTarget,
} from './spec.js';

type Http = z.infer<typeof HttpTarget>;
type Outcome = Omit<ProbeResult, 'id' | 'at'>;

const DAY_MS = 86_400_000;
/** A user's pattern gets this long over the body (vm's timeout interrupts a runaway backtrack). */
const PATTERN_BUDGET_MS = 100;

function line(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').slice(0, 512);
}

export async function runProbe(probe: ProbeAssignment, now: () => number = Date.now): Promise<ProbeResult> {
  const at = now();
  let outcome: Outcome;
  try {
    outcome = await runTarget(probe.target, probe.timeoutMs);
  } catch (error) {
    outcome = { ok: false, latencyMs: null, error: line(error) };
  }
  return { id: probe.id, at, ...outcome };
}

function runTarget(target: ProbeTarget, timeoutMs: number): Promise<Outcome> {
  switch (target.kind) {
    case 'http':
      return checkHttp(target, timeoutMs);
    case 'tcp':
      return checkTcp(target.host, target.port, timeoutMs);
    case 'ping':
      return checkPing(target.host, timeoutMs);
    case 'dns':
      return checkDns(target, timeoutMs);
  }
}

// ---- HTTP(S) ----------------------------------------------------------------------------------

interface HttpAnswer {
  status: number;
  location: string | null;
  body: Buffer;
  cert: { daysLeft: number; valid: boolean; reason: string | null } | null;
}

function request(url: URL, target: Http, deadline: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { 'user-agent': 'FleetDeck-probe' };
    for (const h of target.headers) headers[h.name.toLowerCase()] = h.value;
    const req = lib.request(url, {
      method: target.method,
      headers,
      // The chain is judged below (and reported), not by refusing the handshake.
      rejectUnauthorized: false,
      agent: false,
      timeout: Math.max(1, deadline - Date.now()),
    });
    const timer = setTimeout(() => req.destroy(new Error('timed out')), Math.max(1, deadline - Date.now()));
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('response', (res) => {
      const socket = res.socket as TLSSocket;
      let cert: HttpAnswer['cert'] = null;
      if (url.protocol === 'https:' && typeof socket.getPeerCertificate === 'function') {
        const peer = socket.getPeerCertificate();
        if (peer?.valid_to) {
          cert = {
            daysLeft: Math.floor((Date.parse(peer.valid_to) - Date.now()) / DAY_MS),
            valid: socket.authorized,
            reason: socket.authorized ? null : String(socket.authorizationError ?? 'untrusted certificate'),
          };
        }
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        clearTimeout(timer);
        const location = res.headers.location ?? null;
        resolve({ status: res.statusCode ?? 0, location, body: Buffer.concat(chunks), cert });
      };
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_BODY_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
        size += chunk.length;
        // Enough read for the keyword: stop downloading.
        if (size >= MAX_BODY_BYTES) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    if (target.body !== undefined && (target.method === 'POST' || target.method === 'PUT')) req.end(target.body);
    else req.end();
  });
}

function statusAccepted(status: number, expect: readonly string[]): boolean {
  if (expect.length === 0) return status >= 200 && status < 400;
  return expect.some((e) => (e.endsWith('xx') ? Math.floor(status / 100) === Number(e[0]) : status === Number(e)));
}

/** Runs the user's pattern with a time limit, so a catastrophic backtrack fails the probe, not the agent. */
export function patternFound(pattern: string, text: string): boolean {
  const sandbox = { pattern, text, found: false };
  vm.runInNewContext('found = new RegExp(pattern).test(text)', sandbox, { timeout: PATTERN_BUDGET_MS });
  return sandbox.found;
}

async function checkHttp(target: Http, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  let url = new URL(target.url);
  let answer = await request(url, target, deadline);
  let firstCert = answer.cert;
  for (let hops = 0; target.followRedirects && answer.location && answer.status >= 300 && answer.status < 400; hops++) {
    if (hops >= MAX_REDIRECTS) return { ok: false, latencyMs: null, error: `more than ${MAX_REDIRECTS} redirects` };
    url = new URL(answer.location, url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { ok: false, latencyMs: null, error: 'redirected to a URL that is not http(s)' };
    }
    answer = await request(url, target, deadline);
    firstCert ??= answer.cert;
  }
  const latencyMs = round(performance.now() - started);
  const cert = firstCert ? { certDaysLeft: firstCert.daysLeft, certValid: firstCert.valid } : {};
  const fail = (error: string): Outcome => ({ ok: false, latencyMs, error, ...cert });
  if (firstCert && !firstCert.valid && !target.ignoreTlsErrors) return fail(`TLS: ${firstCert.reason}`);
  if (!statusAccepted(answer.status, target.expectStatus)) return fail(`HTTP ${answer.status}`);
  if (target.keyword !== undefined || target.pattern !== undefined) {
    const text = answer.body.toString('utf8');
    let found: boolean;
    try {
      found =
        target.keyword !== undefined ? text.includes(target.keyword) : patternFound(target.pattern as string, text);
    } catch {
      return fail('the pattern took too long on the body');
    }
    if (found === target.invert)
      return fail(target.invert ? 'forbidden text found in the body' : 'text not found in the body');
  }
  return { ok: true, latencyMs, error: null, ...cert };
}

// ---- TCP --------------------------------------------------------------------------------------

function checkTcp(host: string, port: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host, port, timeout: timeoutMs });
    const end = (outcome: Outcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.once('connect', () => end({ ok: true, latencyMs: round(performance.now() - started), error: null }));
    socket.once('timeout', () => end({ ok: false, latencyMs: null, error: 'timed out' }));
    socket.once('error', (e) => end({ ok: false, latencyMs: null, error: line(e) }));
  });
}

// ---- ICMP ping --------------------------------------------------------------------------------

/**
 * Through the system's `ping` (iputils): it sends ICMP echo over an unprivileged datagram socket where
 * net.ipv4.ping_group_range admits the agent's group, or with its file capability cap_net_raw, so the
 * agent needs no privilege of its own. One echo, numeric output, the timeout as its -W.
 */
function checkPing(host: string, timeoutMs: number): Promise<Outcome> {
  const family = isIP(host) === 6 ? ['-6'] : [];
  const waitSec = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  return new Promise((resolve) => {
    execFile(
      'ping',
      [...family, '-n', '-c', '1', '-W', waitSec, '--', host],
      { timeout: timeoutMs + 2_000, maxBuffer: 64 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        const time = /time[=<]([0-9.]+) ?ms/.exec(stdout);
        if (!error && time) return resolve({ ok: true, latencyMs: Number(time[1]), error: null });
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT')
          return resolve({ ok: false, latencyMs: null, error: 'ping is not installed (iputils-ping)' });
        const reason = stderr.trim().split('\n')[0] || (/100% packet loss/.test(stdout) ? 'no reply' : line(error));
        resolve({ ok: false, latencyMs: null, error: reason.slice(0, 512) });
      },
    );
  });
}

// ---- DNS --------------------------------------------------------------------------------------

type Dns = Extract<ProbeTarget, { kind: 'dns' }>;

/** Each answer as one comparable text. */
function answerTexts(type: Dns['recordType'], records: unknown[]): string[] {
  return records.map((r) => {
    if (typeof r === 'string') return r;
    if (Array.isArray(r)) return r.join('');
    const o = r as Record<string, unknown>;
    switch (type) {
      case 'MX':
        return `${o.priority} ${o.exchange}`;
      case 'SRV':
        return `${o.priority} ${o.weight} ${o.port} ${o.name}`;
      case 'SOA':
        return `${o.nsname} ${o.hostmaster} ${o.serial}`;
      case 'CAA':
        return `${o.critical ?? 0} ${Object.keys(o).find((k) => k !== 'critical') ?? ''} ${Object.values(o).find((v) => typeof v === 'string') ?? ''}`;
      default:
        return JSON.stringify(o);
    }
  });
}

const normal = (s: string) => s.trim().toLowerCase().replace(/\.$/, '');

async function checkDns(target: Dns, timeoutMs: number): Promise<Outcome> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  if (target.server) resolver.setServers([target.server]);
  const started = performance.now();
  const timer = setTimeout(() => resolver.cancel(), timeoutMs + 500);
  try {
    const records = (await resolver.resolve(target.name, target.recordType)) as unknown[];
    const latencyMs = round(performance.now() - started);
    const texts = answerTexts(target.recordType, records);
    if (target.expect !== undefined && !texts.some((t) => normal(t) === normal(target.expect as string))) {
      return { ok: false, latencyMs, error: `answer ${texts.slice(0, 4).join(', ').slice(0, 400) || '(none)'}` };
    }
    return { ok: true, latencyMs, error: null };
  } finally {
    clearTimeout(timer);
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
