// Shared pieces of the benchmarks: an in-process master, a simulated fleet in a child process,
// percentiles, and result files.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import type { NewCommand } from '../../main/core/queue/queue.js';
import { AGENT_BUNDLE } from '../helpers/processes.js';

export async function benchMaster(options: { tls?: boolean } = {}): Promise<Master> {
  return Master.start({
    dataDir: mkdtempSync(join(os.tmpdir(), 'fleetdeck-bench-')),
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: options.tls ?? true,
    adminToken: 'bench-admin-token-0123456789',
    log: silentLogger,
  });
}

/** Creates `count` agent nodes in transactions of 1,000 (one by one, 10,000 took minutes of fsyncs). */
export async function createNodes(master: Master, count: number, prefix: string) {
  const ids: string[] = [];
  const tokens: string[] = [];
  for (let from = 0; from < count; from += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, count - from) }, (_v, k) => ({
      name: `${prefix}-${from + k}`,
      labels: { bench: prefix },
    }));
    for (const { node, token } of await master.registry.createMany(batch)) {
      ids.push(node.id);
      tokens.push(token);
    }
  }
  return { ids, tokens };
}

/** Starts the simulated fleet in a child process and waits until every agent is connected. */
export async function externalSwarm(
  url: string,
  tokens: string[],
  delayMs = 0,
  metrics?: { intervalMs: number; perFrame: number },
  reconnect = false,
) {
  const dir = mkdtempSync(join(os.tmpdir(), 'fleetdeck-swarm-'));
  const file = join(dir, 'swarm.json');
  writeFileSync(file, JSON.stringify({ url, tokens, delayMs, metrics, reconnect }));
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'swarm-process.ts'), file], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`swarm exited with ${code}`)));
  });
  return {
    pid: child.pid as number,
    stop: async () => {
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

export function saveResult(name: string, data: unknown): void {
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    join('bench-results', `${name}.json`),
    JSON.stringify({ name, at: new Date().toISOString(), machine: machine(), data }, null, 2),
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `count` commands reached `status`, counting events on the master's bus. */
export function countStatus(master: Master, status: string) {
  const times = new Map<string, number>();
  const unsubscribe = master.bus.subscribe((message) => {
    if (message.event === 'commandStatus' && message.data.status === status)
      times.set(message.data.id, performance.now());
  });
  return {
    times,
    waitFor: async (count: number, timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      while (times.size < count) {
        if (Date.now() > deadline) throw new Error(`only ${times.size}/${count} reached ${status}`);
        await sleep(5);
      }
    },
    stop: unsubscribe,
  };
}

/** A real agent process (the built bundle) connected to a benchmark master. */
export async function spawnBenchAgent(master: Master, prefix: string, args: string[] = []) {
  const { ids, tokens } = await createNodes(master, 1, prefix);
  const child = spawn(
    process.execPath,
    [
      AGENT_BUNDLE,
      '--master',
      master.agentUrl,
      '--token',
      tokens[0] as string,
      '--ca-fingerprint',
      master.tls?.fingerprint as string,
      '--state-dir',
      mkdtempSync(join(os.tmpdir(), 'fleetdeck-bench-agent-')),
      ...args,
    ],
    { stdio: 'ignore' },
  );
  return { nodeId: ids[0] as string, child };
}

/**
 * Calls `send(i)` for i = 0 … total-1 on a smooth schedule of `rate` per second (checked every
 * millisecond, sending whatever is due), resolving after the last.
 */
export function paced(rate: number, total: number, send: (i: number) => void): Promise<void> {
  let sent = 0;
  const began = performance.now();
  return new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * rate));
      for (; sent < due; sent++) send(sent);
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
}

/** A command that does nothing (`true`): what the queue benchmarks enqueue. */
export const trueCommand = (nodeId: string): NewCommand => ({
  nodeId,
  exec: { command: 'true' },
  timeoutMs: 60_000,
  outputLimit: 1024 * 1024,
  deadlineAt: null,
  retry: null,
});

/** A raw `ws` echo server in another process (`ws-echo-process.ts`), connected: the ceiling for hops. */
export async function echoPeer() {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'ws-echo-process.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout.on('data', (d: Buffer) => resolve(Number(/port (\d+)/.exec(d.toString())?.[1]))),
  );
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await new Promise((r) => socket.once('open', r));
  return {
    socket,
    stop: () => {
      socket.close();
      child.stdin.end();
    },
  };
}
