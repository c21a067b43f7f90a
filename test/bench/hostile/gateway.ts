// Starvation and exhaustion at the agent gateway (issue 24, items 9 and 10) against real master
// processes: a real agent dialling during 30 silent connections per second, slow-header and
// never-upgrading TLS connections left open past the deadline, and /api/health on a master limited to
// 1,024 descriptors while 1,000 idle TLS connections dial it. Attackers dial from 127.0.0.2.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket, type TcpNetConnectOpts } from 'node:net';
import { join } from 'node:path';
import { type ConnectionOptions, connect as connectTls, type TLSSocket } from 'node:tls';
import { apiFor } from '../../helpers/api-client.js';
import {
  createNode,
  MASTER_ENTRY,
  type MasterHandle,
  Proc,
  startAgent,
  startMaster,
  tempDir,
  waitForStatus,
} from '../../helpers/processes.js';
import type { Attack, AttackRow } from './report.js';

const ATTACKER = '127.0.0.2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function agentPort(master: MasterHandle): number {
  return master.agentPort;
}

function silent(port: number, sockets: Socket[]): void {
  const socket = connectTcp({ port, host: '127.0.0.1', localAddress: ATTACKER });
  socket.on('error', () => undefined);
  sockets.push(socket);
}

function idleTls(port: number, sockets: TLSSocket[]): Promise<void> {
  // tls.connect passes net options such as localAddress on; its type does not list them.
  const options: ConnectionOptions & TcpNetConnectOpts = { port, host: '127.0.0.1', localAddress: ATTACKER };
  const socket = connectTls({ ...options, rejectUnauthorized: false });
  socket.on('error', () => undefined);
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once('secureConnect', () => resolve());
    socket.once('close', () => resolve());
  });
}

/** Dials `count` at `parallel` at a time, so the client side does not stall itself. */
async function dialMany(count: number, parallel: number, dial: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next++ < count) await dial();
    }),
  );
}

const open = (sockets: Socket[]) => sockets.filter((s) => !s.destroyed).length;

/** Seconds until a real agent started now is online, while silent connections arrive at 30/s. */
async function lockout(master: MasterHandle): Promise<number> {
  const attack: Socket[] = [];
  const dial = setInterval(() => silent(agentPort(master), attack), 33);
  try {
    await sleep(15_000);
    const { node, token } = await createNode(master, 'hostile-gateway-agent');
    const started = Date.now();
    const agent = startAgent({ master, token });
    try {
      await waitForStatus(master, node.id, 'online', 30_000).catch(() => null);
      return (Date.now() - started) / 1000;
    } finally {
      await agent.stop('SIGKILL');
    }
  } finally {
    clearInterval(dial);
    for (const s of attack) s.destroy();
  }
}

/** 300 connections dripping a header byte every 5 s: how many are open 20 s later (deadline 15 s). */
async function slowHeaders(master: MasterHandle): Promise<number> {
  const sockets: TLSSocket[] = [];
  await dialMany(300, 50, () => idleTls(agentPort(master), sockets));
  for (const s of sockets) if (!s.destroyed) s.write('GET / HTTP/1.1\r\nhost: x\r\nx-slow: ');
  const drip = setInterval(() => {
    for (const s of sockets) if (!s.destroyed) s.write('a');
  }, 5_000);
  await sleep(20_000);
  clearInterval(drip);
  const still = open(sockets);
  for (const s of sockets) s.destroy();
  return still;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** 5,000 TLS connections that never send a request: open 20 s after the last, and RSS above the start. */
async function idleConnections(master: MasterHandle): Promise<{ open: number; rssAboveMiB: number }> {
  const pid = master.proc.child.pid as number;
  const before = rssMiB(pid);
  const sockets: TLSSocket[] = [];
  await dialMany(5_000, 200, () => idleTls(agentPort(master), sockets));
  await sleep(20_000);
  const still = open(sockets);
  for (const s of sockets) s.destroy();
  return { open: still, rssAboveMiB: await settledRssAbove(pid, before) };
}

/**
 * RSS above `before` once the process has had time to give memory back: V8 shrinks its heap after a
 * later GC, and the allocator returns freed native memory on its own schedule (glibc keeps much of it;
 * jemalloc decays it within seconds). Polls for up to 60 s.
 */
async function settledRssAbove(pid: number, before: number): Promise<number> {
  let above = rssMiB(pid) - before;
  for (let waited = 0; waited < 60_000 && above > 16; waited += 5_000) {
    await sleep(5_000);
    above = rssMiB(pid) - before;
  }
  return Math.round(above);
}

const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

/** The idle-connection flood against a master running on jemalloc (README: memory), when installed. */
async function idleWithJemalloc(): Promise<{ open: number; rssAboveMiB: number } | null> {
  if (!existsSync(JEMALLOC)) return null;
  const master = await startMaster({ env: { LD_PRELOAD: JEMALLOC } });
  try {
    return await idleConnections(master);
  } finally {
    await master.proc.stop();
  }
}

/** A master under `prlimit --nofile=1024` (the helper spawns node directly, so this one is by hand). */
async function limitedMaster(): Promise<MasterHandle> {
  const dataDir = tempDir('fleetdeck-hostile-gw-');
  const args = ['--nofile=1024:1024', process.execPath, MASTER_ENTRY, 'master', '--data-dir', dataDir];
  args.push('--agent-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0');
  const proc = new Proc(
    spawn('prlimit', args, { env: { ...process.env, FLEETDECK_ADMIN_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const ready = JSON.parse(await proc.waitForLine(/"msg":"master ready"/, 20_000)) as {
    adminUrl: string;
    agentUrl: string;
    agentPort: number;
    fingerprint: string | null;
  };
  const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const api = async <T>(method: string, path: string) => {
    const response = await fetch(new URL(path, ready.adminUrl), {
      method,
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  return { proc, dataDir, ...ready, adminToken, api, ...apiFor({ adminUrl: ready.adminUrl, adminToken }) };
}

/** With 1,000 idle TLS connections dialled at a 1,024-descriptor master: does /api/health answer? */
async function healthUnderLowLimit(): Promise<{ answered: boolean; refused: number }> {
  const master = await limitedMaster();
  const sockets: TLSSocket[] = [];
  try {
    await dialMany(1_000, 100, () => idleTls(master.agentPort, sockets));
    const health = await master
      .api<{ tlsHandshakes: { refused: number } | null }>('GET', '/api/health')
      .catch(() => null);
    return { answered: health?.status === 200, refused: health?.body.tlsHandshakes?.refused ?? 0 };
  } finally {
    for (const s of sockets) s.destroy();
    await master.proc.stop();
  }
}

export const gatewayStarvationAttack: Attack = async () => {
  const master = await startMaster();
  let locked: number;
  let slow: number;
  let idle: { open: number; rssAboveMiB: number };
  try {
    locked = await lockout(master);
    [slow, idle] = await Promise.all([slowHeaders(master), idleConnections(master)]);
  } finally {
    await master.proc.stop();
  }
  const low = await healthUnderLowLimit();
  const jemalloc = await idleWithJemalloc();
  const rows: AttackRow[] = [
    {
      attack: 'silent TCP 30/s: real agent',
      measure: 'lockout s',
      value: locked,
      before: null,
      target: '≤ 10 s',
      ok: locked <= 10,
    },
    {
      attack: 'slow headers (300, a byte per 5 s)',
      measure: 'open 20 s later',
      value: slow,
      before: 300,
      target: '0',
      ok: slow === 0,
    },
    {
      attack: 'TLS never upgraded (5,000)',
      measure: 'open 20 s later',
      value: idle.open,
      before: 5_000,
      target: '0',
      ok: idle.open === 0,
    },
    {
      attack: 'TLS never upgraded (5,000)',
      measure: 'master RSS MiB above start, ≤ 60 s after close (glibc malloc)',
      value: idle.rssAboveMiB,
      before: null,
      target: 'reported',
      ok: true,
    },
    {
      attack: 'TLS never upgraded (5,000)',
      measure: 'master RSS MiB above start, ≤ 60 s after close (jemalloc)',
      value: jemalloc?.rssAboveMiB ?? Number.NaN,
      before: null,
      target: '≤ 16',
      ok: jemalloc !== null && jemalloc.rssAboveMiB <= 16,
    },
    {
      attack: '1,000 idle TLS, nofile 1024',
      measure: '/api/health answers (1 = yes)',
      value: low.answered ? 1 : 0,
      before: 0,
      target: '1',
      ok: low.answered,
    },
    {
      attack: '1,000 idle TLS, nofile 1024',
      measure: 'connections refused over the cap',
      value: low.refused,
      before: 0,
      target: '> 0',
      ok: low.refused > 0,
    },
  ];
  return rows;
};
