// `fleetdeck-agent enroll`: trades an enrollment code for this node's token, over the same pinned TLS
// the agent dials with (so the code and the token never go to an impostor), and stores the token
// atomically in --token-file (0600). The install script runs it; it never starts the agent.

import { mkdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { normalizeFingerprint } from './config.js';
import { pinnedConnect } from './pinned-tls.js';
import { ENROLL_PATH, EnrollReply, MAX_ENROLL_BODY_BYTES } from './protocol.js';
import { writeAtomically } from './token-store.js';

class EnrollError extends Error {}

function enrollUrl(master: string, insecure: boolean): URL {
  const url = new URL(master.replace(/^ws(s?):\/\//, 'http$1://'));
  if (url.protocol === 'http:' && !insecure) {
    throw new EnrollError(`${master} is not encrypted: pass --insecure-plain-ws to enroll over it anyway`);
  }
  url.pathname = ENROLL_PATH;
  return url;
}

/** A hostname the master accepts as a node name (what a batch code names the node). */
function hostName(): string {
  const name = os
    .hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return (name || 'host').slice(0, 253);
}

function post(url: URL, body: string, fingerprint: string | null): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const options = {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: 15_000,
      ...(fingerprint ? { createConnection: pinnedConnect([fingerprint]) as never } : {}),
    };
    const req = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ENROLL_BODY_BYTES * 4) return void req.destroy(new EnrollError('the answer is too large'));
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new EnrollError('the master did not answer within 15 s')));
    req.on('error', reject);
    req.end(body);
  });
}

async function enroll(opts: {
  master: string;
  caFingerprint?: string;
  insecurePlainWs?: boolean;
  code: string;
  tokenFile: string;
}): Promise<string> {
  const url = enrollUrl(opts.master, opts.insecurePlainWs === true);
  const fingerprint = opts.caFingerprint ? normalizeFingerprint(opts.caFingerprint) : null;
  if (url.protocol === 'https:' && !fingerprint) {
    throw new EnrollError("--ca-fingerprint is needed: the agent pins the master's certificate");
  }
  const body = JSON.stringify({ code: opts.code, hostname: hostName() });
  const answer = await post(url, body, fingerprint);
  if (answer.status !== 201) {
    let message = `HTTP ${answer.status}`;
    try {
      message = (JSON.parse(answer.text) as { error: { message: string } }).error.message;
    } catch {}
    throw new EnrollError(`the master refused the enrollment: ${message}`);
  }
  const reply = EnrollReply.parse(JSON.parse(answer.text));
  mkdirSync(dirname(opts.tokenFile), { recursive: true, mode: 0o700 });
  writeAtomically(opts.tokenFile, `${reply.token}\n`);
  return `enrolled as node "${reply.nodeName}" (${reply.nodeId}); token stored in ${opts.tokenFile}`;
}

export async function enrollMain(argv: string[]): Promise<number> {
  const cmd = new Command('fleetdeck-agent enroll')
    .description("Trade an enrollment code for this node's token (the install script runs this)")
    .requiredOption('--master <url>', 'the gateway URL, wss://host:7443')
    .option('--ca-fingerprint <sha256>', "the master's certificate fingerprint to pin")
    .option('--insecure-plain-ws', 'allow an unencrypted ws:// master')
    .requiredOption('--code <code>', 'the enrollment code, ABCD-EFGH')
    .requiredOption('--token-file <path>', 'where to store the token (written 0600, atomically)');
  cmd.parse(argv, { from: 'user' });
  try {
    process.stdout.write(`fleetdeck-agent: ${await enroll(cmd.opts())}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`fleetdeck-agent enroll: ${message}\n`);
    return error instanceof EnrollError ? 3 : 1;
  }
}
