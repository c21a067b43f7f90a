// Every probe kind against a real target that then fails, run from the master's own vantage point:
// an HTTP server on loopback that starts answering 500, a TCP port that closes, a host in a network
// namespace whose link goes down (ping through iputils), a DNS server (dnsmasq, Debian's
// dnsmasq-base) that changes its answer, and an HTTPS certificate that expires in 5 days (openssl).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeView } from '../../main/contract/probe-schemas.js';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { apiFor } from '../helpers/api-client.js';
import { hasNetns, VethPair } from '../helpers/netns.js';
import { tempDir } from '../helpers/processes.js';
import { serviceAvailable } from '../helpers/services.js';

const ADMIN_TOKEN = 'test-admin-token-probes-0123456789';
const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};
const ready =
  serviceAvailable('ping (iputils)', has('ping'), '"apt-get install iputils-ping"') &&
  serviceAvailable('dnsmasq', has('dnsmasq'), '"apt-get install dnsmasq-base"') &&
  serviceAvailable('openssl', has('openssl'), '"apt-get install openssl"') &&
  hasNetns();

const listen = (server: net.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

describe.skipIf(!ready)('probes against real targets (master vantage point)', () => {
  const dir = tempDir('fleetdeck-probes-');
  let master: Master;
  let admin: AdminServer;
  let api: ReturnType<typeof apiFor>['client'];
  let failing = false;
  const web = http.createServer((_req, res) => {
    if (failing) res.writeHead(500).end('broken');
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('all systems ok');
  });
  const tcp = net.createServer((s) => s.end());
  let tls: https.Server;
  let dns: ChildProcess;
  let veth: VethPair;
  const hostsFile = join(dir, 'dns-hosts');
  let ports: { web: number; tcp: number; tls: number; dns: number };

  beforeAll(async () => {
    // A certificate that expires in 5 days, for 127.0.0.1 (self-signed: its chain does not verify).
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '5',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    tls = https.createServer(
      { key: execFileSync('cat', [join(dir, 'key.pem')]), cert: execFileSync('cat', [join(dir, 'cert.pem')]) },
      (_req, res) => res.end('tls ok'),
    );
    ports = { web: await listen(web), tcp: await listen(tcp), tls: await listen(tls), dns: 0 };
    // dnsmasq on a free loopback port, answering svc.test from a hosts file it re-reads on SIGHUP.
    const probePort = net.createServer();
    ports.dns = await listen(probePort);
    await new Promise((r) => probePort.close(r));
    writeFileSync(hostsFile, '10.1.2.3 svc.test\n');
    dns = spawn(
      'dnsmasq',
      [
        '--keep-in-foreground',
        '--no-resolv',
        '--no-hosts',
        `--addn-hosts=${hostsFile}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        `--port=${ports.dns}`,
        '--user=root',
        `--pid-file=${join(dir, 'dnsmasq.pid')}`,
        '--log-facility=-',
      ],
      { stdio: 'ignore' },
    );
    veth = new VethPair();
    master = await Master.start({
      dataDir: join(dir, 'master'),
      agentListen: { host: '127.0.0.1', port: 0 },
      agentTls: true,
      adminToken: ADMIN_TOKEN,
      log: silentLogger,
      probes: { evaluateMs: 200, flushMs: 1_000 },
    });
    admin = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
    const { port } = await admin.start();
    api = apiFor({ adminUrl: `http://127.0.0.1:${port}/`, adminToken: ADMIN_TOKEN }).client;
  }, 60_000);

  afterAll(async () => {
    await admin?.stop();
    await master?.stop();
    dns?.kill();
    veth?.destroy();
    for (const s of [web, tcp, tls]) s?.close();
  });

  it('each kind goes down when its target fails, with the reason and the certificate days', async () => {
    const base = { intervalSec: 10, timeoutMs: 2_000, vantage: { master: true, nodeIds: [] } };
    const created = {
      http: await api.createProbe({
        ...base,
        name: 'web',
        target: { kind: 'http', url: `http://127.0.0.1:${ports.web}/`, keyword: 'ok', expectStatus: ['2xx'] },
      }),
      tcp: await api.createProbe({
        ...base,
        name: 'port',
        target: { kind: 'tcp', host: '127.0.0.1', port: ports.tcp },
      }),
      ping: await api.createProbe({ ...base, name: 'host', target: { kind: 'ping', host: veth.peerAddress } }),
      dns: await api.createProbe({
        ...base,
        name: 'dns',
        target: {
          kind: 'dns',
          name: 'svc.test',
          recordType: 'A',
          server: `127.0.0.1:${ports.dns}`,
          expect: '10.1.2.3',
        },
      }),
      cert: await api.createProbe({
        ...base,
        name: 'cert',
        target: { kind: 'http', url: `https://127.0.0.1:${ports.tls}/`, ignoreTlsErrors: true },
      }),
      chain: await api.createProbe({
        ...base,
        name: 'chain',
        target: { kind: 'http', url: `https://127.0.0.1:${ports.tls}/` },
      }),
    };
    const states = async () => {
      const all = await api.listProbes({});
      return Object.fromEntries(all.map((p) => [p.name, p])) as Record<string, ProbeView>;
    };
    const stateOf = async () => Object.fromEntries(Object.entries(await states()).map(([k, p]) => [k, p.state]));
    await expect
      .poll(stateOf, { timeout: 30_000, interval: 250 })
      .toEqual({ web: 'up', port: 'up', host: 'up', dns: 'up', cert: 'up', chain: 'down' });

    // Alert rules of the probe kinds: the certificate (≤ 10 days), a latency above 0 ms (any answer),
    // and the web probe going down (below).
    const rule = (name: string, condition: Parameters<typeof api.createAlertRule>[0]['condition']) =>
      api.createAlertRule({ name, condition });
    await rule('cert soon', { kind: 'probe-certificate', probeIds: [created.cert.id], days: 10 });
    await rule('slow host', { kind: 'probe-latency', probeIds: [created.ping.id], threshold: 0, forSec: 0 });
    await rule('web down', { kind: 'probe-down', probeIds: [created.http.id] });
    const firing = async () => (await api.listAlerts({ state: 'firing' })).map((a) => a.summary).sort();
    await expect
      .poll(firing, { timeout: 15_000, interval: 250 })
      .toEqual([
        expect.stringMatching(/^host answers in \d+ ms/),
        expect.stringMatching(/^the certificate of cert expires in [45] days$/),
      ]);

    const before = await states();
    const cert = before.cert?.vantages[0];
    expect(cert?.certDaysLeft).toBeGreaterThanOrEqual(4);
    expect(cert?.certDaysLeft).toBeLessThanOrEqual(5);
    expect(cert?.certValid).toBe(false);
    expect(before.chain?.vantages[0]?.error).toMatch(/^TLS: /);
    expect(before.host?.vantages[0]?.latencyMs).toBeGreaterThan(0);

    // Every target fails now.
    failing = true;
    await new Promise((r) => tcp.close(r));
    execFileSync('ip', ['link', 'set', veth.hostIf, 'down']);
    writeFileSync(hostsFile, '10.9.9.9 svc.test\n');
    dns.kill('SIGHUP');

    await expect
      .poll(stateOf, { timeout: 30_000, interval: 250 })
      .toMatchObject({ web: 'down', port: 'down', host: 'down', dns: 'down', cert: 'up' });
    await expect
      .poll(firing, { timeout: 15_000, interval: 250 })
      .toContainEqual(expect.stringMatching(/^web is down: 1 of 1 vantage points: HTTP 500$/));
    const after = await states();
    expect(after.web?.vantages[0]?.error).toBe('HTTP 500');
    expect(after.port?.vantages[0]?.error).toMatch(/ECONNREFUSED/);
    expect(after.dns?.vantages[0]?.error).toContain('10.9.9.9');

    // The verdicts are history: today's uptime shows one outage of the web probe, and rollups counted runs.
    await expect
      .poll(async () => (await api.probeUptime({ ids: created.http.id, days: 1 })).probes[0]?.days[0]?.outageCount, {
        timeout: 10_000,
      })
      .toBe(1);
    const now = Date.now();
    const series = await api.probeSeries({
      id: created.http.id,
      resolution: 'minute',
      from: now - 600_000,
      to: now + 60_000,
    });
    const runs = series.points.reduce((n, p) => n + p.runs, 0);
    const oks = series.points.reduce((n, p) => n + p.oks, 0);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(oks).toBeGreaterThanOrEqual(1);
    expect(oks).toBeLessThan(runs);
  }, 90_000);
});
