// Real master and agent processes for integration tests, built from out/ (npm test builds first).
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { TERMINAL_STATUSES } from '../../main/contract/command-status.js';
import type { Client, InputOf, OutputOf } from '../../main/contract/contract.js';
import { apiFor, type TestApi } from './api-client.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const MASTER_ENTRY = join(ROOT, 'out/main/headless.js');
export const AGENT_BUNDLE = join(ROOT, 'out/agent/fleetdeck-agent.cjs');

export function requireBuild(): void {
  for (const file of [MASTER_ENTRY, AGENT_BUNDLE]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" (npm test does it first).`);
  }
}

export function tempDir(prefix = 'fleetdeck-test-'): string {
  return mkdtempSync(join(os.tmpdir(), prefix));
}

export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A child process whose output lines are collected for assertions. */
export class Proc {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    const collect = (data: Buffer) => {
      for (const line of data.toString().split('\n')) if (line.trim()) this.lines.push(line);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  }

  waitForLine(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    return waitFor(
      () => this.lines.slice(from).find((l) => pattern.test(l)),
      `output matching ${pattern}\n${this.output()}`,
      timeoutMs,
    );
  }

  count(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(l)).length;
  }

  output(): string {
    return this.lines.slice(-40).join('\n');
  }

  signal(sig: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
  }

  async stop(sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.signal(sig);
    const timer = setTimeout(() => this.signal('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface MasterHandle {
  proc: Proc;
  dataDir: string;
  adminUrl: string;
  agentUrl: string;
  agentPort: number;
  fingerprint: string | null;
  adminToken: string;
  /** Raw HTTP, for what the contract does not describe (/metrics, malformed requests, headers). */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** The contract's operations, typed (test/helpers/api-client.ts). */
  client: Client;
  reply: TestApi['reply'];
  failure: TestApi['failure'];
}

export interface MasterStart {
  dataDir?: string;
  agentPort?: number;
  adminPort?: number;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

export async function startMaster(options: MasterStart = {}): Promise<MasterHandle> {
  requireBuild();
  const dataDir = options.dataDir ?? tempDir('fleetdeck-master-');
  const child = spawn(
    process.execPath,
    [
      MASTER_ENTRY,
      'master',
      '--data-dir',
      dataDir,
      '--agent-listen',
      `127.0.0.1:${options.agentPort ?? 0}`,
      '--admin-listen',
      `127.0.0.1:${options.adminPort ?? 0}`,
      ...(options.args ?? []),
    ],
    { env: { ...process.env, FLEETDECK_ADMIN_TOKEN: '', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const proc = new Proc(child);
  const ready = await Promise.race([
    proc.waitForLine(/"msg":"master ready"/, 20_000),
    proc.exited.then(({ code }) => {
      throw new Error(`master exited with ${code} before it was ready:\n${proc.output()}`);
    }),
  ]);
  const info = JSON.parse(ready) as {
    adminUrl: string;
    agentUrl: string;
    agentPort: number;
    fingerprint: string | null;
  };
  const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path, info.adminUrl), {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  return { proc, dataDir, ...info, adminToken, api, ...apiFor({ adminUrl: info.adminUrl, adminToken }) };
}

export interface AgentStart {
  master: Pick<MasterHandle, 'agentUrl' | 'fingerprint'>;
  token: string;
  fingerprint?: string | null;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Run as this unprivileged uid (via setpriv; the test must be root). */
  uid?: number;
}

export function startAgent(options: AgentStart): Proc {
  requireBuild();
  const fingerprint = options.fingerprint === undefined ? options.master.fingerprint : options.fingerprint;
  const args = [
    AGENT_BUNDLE,
    '--master',
    options.master.agentUrl,
    '--token',
    options.token,
    '--state-dir',
    agentStateDir(options.uid),
    '--backoff-base-ms',
    '200',
    '--backoff-max-ms',
    '2000',
    ...(fingerprint ? ['--ca-fingerprint', fingerprint] : []),
    ...(options.args ?? []),
  ];
  const env = { ...process.env, ...options.env };
  for (const key of Object.keys(env)) if (key.startsWith('FLEETDECK_') && !options.env?.[key]) delete env[key];
  if (options.uid !== undefined) {
    const asUser = [`--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', process.execPath, ...args];
    return new Proc(spawn('setpriv', asUser, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  }
  return new Proc(spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function agentStateDir(uid: number | undefined): string {
  const dir = tempDir('fleetdeck-agent-');
  if (uid !== undefined) chownSync(dir, uid, uid);
  return dir;
}

/** Peak resident memory of a process, from /proc (Linux). */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

export type NodeSummary = OutputOf<'getNode'>;

export async function createNode(master: MasterHandle, name: string) {
  const { status, body } = await master.reply('createNode', { name });
  if (status !== 201) throw new Error(`create node failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

export function nodeStatus(master: MasterHandle, id: string): Promise<NodeSummary> {
  return master.client.getNode({ id });
}

export async function waitForStatus(master: MasterHandle, id: string, status: string, timeoutMs = 10_000) {
  return waitFor(
    async () => {
      const node = await nodeStatus(master, id);
      return node.status === status ? node : null;
    },
    `node ${id} to be ${status}`,
    timeoutMs,
  );
}

export async function statusEvents(master: MasterHandle, id: string) {
  return (await master.client.nodeUptime({ id })).events;
}

export type CommandSummary = OutputOf<'getCommand'>;

export async function enqueue(master: MasterHandle, input: InputOf<'enqueueCommands'>): Promise<CommandSummary[]> {
  const { status, body } = await master.reply('enqueueCommands', input);
  if (status !== 201) throw new Error(`enqueue failed: ${status} ${JSON.stringify(body)}`);
  return body.commands;
}

export function getCommand(master: MasterHandle, id: string): Promise<CommandSummary> {
  return master.client.getCommand({ id });
}

export async function waitForCommand(
  master: MasterHandle,
  id: string,
  timeoutMs = 15_000,
  statuses: readonly string[] = TERMINAL_STATUSES,
) {
  return waitFor(
    async () => {
      const command = await getCommand(master, id);
      return statuses.includes(command.status) ? command : null;
    },
    `command ${id} to reach ${statuses.join('/')}`,
    timeoutMs,
  );
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The master's /api/events stream as text chunks. */
export async function openEventStream(master: Pick<MasterHandle, 'adminUrl' | 'adminToken'>) {
  const controller = new AbortController();
  const response = await fetch(new URL('/api/events', master.adminUrl), {
    headers: { authorization: `Bearer ${master.adminToken}` },
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .getReader();
  return {
    read: async () => (await reader.read()).value ?? '',
    close: () => controller.abort(),
  };
}
