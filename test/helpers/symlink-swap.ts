// The symlink-swap race against the agent's file service (issue 24, item 1): a directory inside a
// shared root is swapped with a symlink to a directory outside it, by another process, over and over,
// while file requests run through `FileEndpoint` — the code path of the agent's incoming messages.
// Every reply that shows outside content and every change outside the root counts as an escape.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { ConfinementOptions } from '../../agent/files/confine.js';
import { FileEndpoint, type FileMessage } from '../../agent/files/endpoint.js';
import type { TransferChannel } from '../../agent/files/transfers.js';
import type { AgentMessage, Capabilities } from '../../agent/protocol.js';

export interface SwapRaceOptions {
  reads: number;
  writes: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Builds the endpoint under test (default: the agent's own). */
  endpoint?: (capabilities: Capabilities, channel: TransferChannel) => Pick<FileEndpoint, 'handle' | 'binary'>;
}

export interface RaceTally {
  requests: number;
  /** Requests that were answered with success. */
  served: number;
  /** Requests that were refused (not found, outside the roots, changed meanwhile…). */
  refused: number;
  escapes: number;
  /** Escapes per operation, e.g. { stat: 3, download: 1 }. */
  escapesBy: Record<string, number>;
  /** Refusals per error code, e.g. { not_found: 812, outside_roots: 97 }. */
  refusedBy: Record<string, number>;
}

export interface SwapRaceResult {
  reads: RaceTally;
  writes: RaceTally;
  /** Swaps the attacking process completed. */
  swaps: number;
}

/** The agent's capabilities for one root, read-write. */
function capabilitiesFor(root: string): Capabilities {
  return { exec: false, files: true, filesWrite: true, roots: [root] } as unknown as Capabilities;
}

const INSIDE_MTIME_S = 1_000_000_000; // 2001-09-09: no file outside was written then
const NAMES = ['hostname', 'passwd', 'secret.txt'] as const;
const insideContent = (name: string) => `inside ${name}: nothing secret here, padded to stay unlike /etc\n`;
const outsideContent = (name: string) => `OUTSIDE SECRET ${name}\n`;

/**
 * The other process: swaps `<root>/sub` (a directory) with `<root>/.link-<n>` (a symlink to the
 * n-th outside directory) by renames, holding each state for ~0.1 ms. At every instant `sub` is the
 * directory, absent, or the symlink. Every 256 swaps it writes the count to `<base>/count`.
 */
const SWAPPER = `
const fs = require('node:fs');
const [root, links] = [process.argv[1], Number(process.argv[2])];
const hold = new Int32Array(new SharedArrayBuffer(4));
let intruders = 0;
// mkdir -p of sub/x while sub is away legitimately makes a new sub: set it aside and carry on.
const place = (from, to) => {
  try {
    fs.renameSync(from, to);
  } catch {
    fs.renameSync(to, root + '/.intruder-' + intruders++);
    fs.renameSync(from, to);
  }
};
for (let i = 0; ; i++) {
  const link = root + '/.link-' + (i % links);
  place(root + '/sub', root + '/sub.away');
  place(link, root + '/sub');
  Atomics.wait(hold, 0, 0, 0.05);
  fs.renameSync(root + '/sub', link);
  place(root + '/sub.away', root + '/sub');
  Atomics.wait(hold, 0, 0, 0.05);
  if ((i & 255) === 255) fs.writeFileSync(root + '/../count', String(i + 1));
}
`;

interface Layout {
  base: string;
  root: string;
  sub: string;
  outsides: string[];
}

/** tmpfs when there is one: the race sets up and removes tens of thousands of files. */
function scratch(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
}

function layout(targets: 'reads' | 'writes'): Layout {
  const base = mkdtempSync(join(scratch(), `fleetdeck-swap-${targets}-`));
  const root = join(base, 'root');
  const sub = join(root, 'sub');
  mkdirSync(sub, { recursive: true });
  mkdirSync(join(sub, 'nested'));
  for (const name of NAMES) {
    writeFileSync(join(sub, name), insideContent(name));
    utimesSync(join(sub, name), INSIDE_MTIME_S, INSIDE_MTIME_S);
  }
  utimesSync(join(sub, 'nested'), INSIDE_MTIME_S, INSIDE_MTIME_S);
  // Writes never aim at /etc: on code that escapes, they would really change it.
  const outsides = targets === 'reads' ? [join(base, 'outside'), '/etc'] : [join(base, 'outside')];
  for (const dir of outsides) {
    if (dir === '/etc') continue;
    mkdirSync(dir);
    for (const name of NAMES) writeFileSync(join(dir, name), outsideContent(name));
  }
  outsides.forEach((dir, n) => {
    symlinkSync(dir, join(root, `.link-${n}`));
  });
  return { base, root, sub, outsides };
}

/** Puts `sub` back as the directory and the links back in their places, wherever the kill left them. */
function repair(l: Layout): void {
  const away = join(l.root, 'sub.away');
  if (lstatSync(away, { throwIfNoEntry: false }) && lstatSync(l.sub, { throwIfNoEntry: false })?.isDirectory()) {
    renameSync(l.sub, join(l.root, '.intruder-last')); // a sub made by mkdir -p while the real one was away
  }
  const subState = lstatSync(l.sub, { throwIfNoEntry: false });
  if (subState?.isSymbolicLink()) {
    const n = l.outsides.indexOf(readlinkSync(l.sub));
    renameSync(l.sub, join(l.root, `.link-${n}`));
  }
  if (lstatSync(away, { throwIfNoEntry: false })) renameSync(away, l.sub);
}

/** The attacking process; `stop` waits until it is gone, so nothing races the cleanup. */
class Swapper {
  private child: ChildProcess | null = null;
  private exited: Promise<unknown> = Promise.resolve();

  constructor(private readonly l: Layout) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['-e', SWAPPER, this.l.root, String(this.l.outsides.length)], {
      stdio: 'ignore',
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50)); // up and swapping
  }

  /** Stops the swaps, puts the directory back and returns how many swaps ran. */
  async stop(): Promise<number> {
    if (!this.child) return 0;
    this.child.kill('SIGKILL');
    await this.exited;
    this.child = null;
    repair(this.l);
    try {
      return Number(readFileSync(join(this.l.base, 'count'), 'utf8'));
    } catch {
      return 0;
    }
  }
}

export type Reply = { ok: true; value: unknown } | { ok: false; code: string; message: string };
type Waiter = (message: AgentMessage | Buffer) => void;

/** A TransferChannel that routes each message to whoever waits for its id. */
class Wire implements TransferChannel {
  readonly waiters = new Map<string, Waiter>();
  sendJson(message: AgentMessage): void {
    const id = (message as { id?: string }).id;
    if (id) this.waiters.get(id)?.(message);
  }
  sendBinary(frame: Buffer): void {
    this.waiters.get(frame.subarray(0, 16).toString('ascii'))?.(frame);
  }
  bufferedAmount(): number {
    return 0;
  }
}

/** Speaks to a `FileEndpoint` as the master would, in process: RPCs, downloads and uploads. */
export class EndpointClient {
  private next = 0;
  constructor(
    private readonly wire: Wire,
    private readonly endpoint: Pick<FileEndpoint, 'handle' | 'binary'>,
  ) {}

  /** An agent endpoint sharing `root` read-write. */
  static connect(root: string, options: ConfinementOptions = {}): EndpointClient {
    const wire = new Wire();
    return new EndpointClient(wire, new FileEndpoint(capabilitiesFor(root), wire, options));
  }

  private id(): string {
    return (this.next++).toString(16).padStart(16, '0');
  }

  rpc(request: Record<string, unknown>): Promise<Reply> {
    const id = `rpc_${this.id()}`;
    return new Promise((resolve) => {
      this.wire.waiters.set(id, (message) => {
        this.wire.waiters.delete(id);
        const m = message as Extract<AgentMessage, { type: 'rpc-result' }>;
        resolve(
          m.ok
            ? { ok: true, value: m.result }
            : { ok: false, code: m.error?.code ?? '?', message: m.error?.message ?? '' },
        );
      });
      this.endpoint.handle({ type: 'rpc', id, ...request } as FileMessage);
    });
  }

  /** Downloads a whole file: its announced size and its bytes. */
  download(
    path: string,
  ): Promise<{ ok: true; size: number; data: Buffer } | { ok: false; code: string; message: string }> {
    const id = this.id();
    const chunks: Buffer[] = [];
    let size = 0;
    return new Promise((resolve) => {
      this.wire.waiters.set(id, (message) => {
        if (Buffer.isBuffer(message)) return void chunks.push(message.subarray(16));
        if (message.type === 'transfer-meta') size = message.size;
        else if (message.type === 'transfer-end' || message.type === 'transfer-error') {
          this.wire.waiters.delete(id);
          resolve(
            message.type === 'transfer-end'
              ? { ok: true, size, data: Buffer.concat(chunks) }
              : { ok: false, code: message.error.code, message: message.error.message },
          );
        }
      });
      this.endpoint.handle({ type: 'download', id, path, offset: 0, length: null, window: 16 * 1024 * 1024 });
    });
  }

  /**
   * Uploads `data` in one frame; resolves when the agent is done or refuses. `beforeEnd` runs once the
   * data is sent and before `upload-end` (to change the world mid-upload).
   */
  upload(path: string, data: Buffer, beforeEnd?: () => void): Promise<Reply> {
    const id = this.id();
    return new Promise((resolve) => {
      this.wire.waiters.set(id, (message) => {
        if (Buffer.isBuffer(message)) return;
        if (message.type === 'transfer-ready') {
          const frame = Buffer.alloc(16 + data.length); // owns its memory: moves to the writer thread
          frame.write(id, 'ascii');
          data.copy(frame, 16);
          this.endpoint.binary(frame);
          beforeEnd?.();
          this.endpoint.handle({ type: 'upload-end', id });
        } else if (message.type === 'transfer-done' || message.type === 'transfer-error') {
          this.wire.waiters.delete(id);
          resolve(
            message.type === 'transfer-done'
              ? { ok: true, value: null }
              : { ok: false, code: message.error.code, message: message.error.message },
          );
        }
      });
      const sha256 = createHash('sha256').update(data).digest('hex');
      this.endpoint.handle({ type: 'upload', id, path, overwrite: false, sha256 });
    });
  }
}

/** Runs `count` jobs, `concurrency` at a time. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

function tally(requests: number): RaceTally {
  return { requests, served: 0, refused: 0, escapes: 0, escapesBy: {}, refusedBy: {} };
}

function record(t: RaceTally, op: string, reply: { ok: true } | { ok: false; code: string }, escaped: boolean): void {
  if (reply.ok) t.served++;
  else {
    t.refused++;
    t.refusedBy[reply.code] = (t.refusedBy[reply.code] ?? 0) + 1;
  }
  if (escaped) {
    t.escapes++;
    t.escapesBy[op] = (t.escapesBy[op] ?? 0) + 1;
  }
}

type Entry = { name: string; size: number; mtime: number };
const insideEntry = (e: Entry) =>
  e.mtime === INSIDE_MTIME_S * 1000 &&
  (e.name === 'nested' ||
    (NAMES.includes(e.name as (typeof NAMES)[number]) && e.size === insideContent(e.name).length));

async function raceReads(client: EndpointClient, l: Layout, count: number, concurrency: number): Promise<RaceTally> {
  const t = tally(count);
  const ops = ['stat', 'list', 'preview', 'download'] as const;
  await pool(count, concurrency, async (i) => {
    const op = ops[i % ops.length] as (typeof ops)[number];
    const name = NAMES[Math.floor(i / ops.length) % NAMES.length] as string;
    const path = join(l.sub, name);
    const expected = insideContent(name);
    if (op === 'stat') {
      const r = await client.rpc({ method: 'files.stat', params: { path } });
      record(t, op, r, r.ok && !insideEntry(r.value as Entry));
    } else if (op === 'list') {
      const r = await client.rpc({ method: 'files.list', params: { path: l.sub, limit: 100 } });
      const listing = r.ok ? (r.value as { total: number; entries: Entry[] }) : null;
      record(t, op, r, listing !== null && (listing.total !== 4 || !listing.entries.every(insideEntry)));
    } else if (op === 'preview') {
      const r = await client.rpc({ method: 'files.preview', params: { path, maxBytes: 4096 } });
      record(t, op, r, r.ok && (r.value as { text: string }).text !== expected);
    } else {
      const r = await client.download(path);
      record(t, op, r, r.ok && (r.size !== expected.length || r.data.toString() !== expected));
    }
  });
  return t;
}

/** Names (and contents of files) in a directory, to find what changed outside. */
function snapshot(dir: string): Map<string, string> {
  const seen = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    seen.set(e.name, e.isFile() ? readFileSync(join(dir, e.name), 'utf8') : e.isDirectory() ? 'dir' : 'other');
  }
  return seen;
}

async function raceWrites(
  client: EndpointClient,
  l: Layout,
  count: number,
  concurrency: number,
  swapping: () => Promise<void>,
): Promise<RaceTally> {
  const t = tally(count);
  const ops = ['upload', 'mkdir', 'delete', 'rename'] as const;
  const opOf = (i: number) => ops[i % ops.length] as (typeof ops)[number];
  // What deletes and renames aim at exists inside and, under the same names, outside.
  for (let i = 0; i < count; i++) {
    const op = opOf(i);
    if (op !== 'delete' && op !== 'rename') continue;
    for (const dir of [l.sub, ...l.outsides]) {
      if (op === 'rename') writeFileSync(join(dir, `mv-${i}`), `mv ${i}`);
      else if (i % 8 < 4) writeFileSync(join(dir, `victim-${i}`), `victim ${i}`);
      else {
        mkdirSync(join(dir, `tree-${i}`));
        writeFileSync(join(dir, `tree-${i}`, 'leaf'), 'leaf');
      }
    }
  }
  const before = l.outsides.map(snapshot);
  await swapping();
  await pool(count, concurrency, async (i) => {
    const op = opOf(i);
    let r: Reply;
    if (op === 'upload') r = await client.upload(join(l.sub, `up-${i}`), Buffer.from(`upload ${i}\n`));
    else if (op === 'mkdir') {
      const path = i % 8 < 4 ? join(l.sub, `dir-${i}`) : join(l.sub, `dir-${i}`, 'deeper');
      r = await client.rpc({ method: 'files.mkdir', params: { path, parents: i % 8 >= 4 } });
    } else if (op === 'delete') {
      const name = i % 8 < 4 ? `victim-${i}` : `tree-${i}`;
      r = await client.rpc({ method: 'files.delete', params: { path: join(l.sub, name), recursive: true } });
    } else {
      const from = join(l.sub, `mv-${i}`);
      r = await client.rpc({ method: 'files.rename', params: { from, to: `${from}.moved`, overwrite: false } });
    }
    record(t, op, r, false);
  });
  // Escapes are read off the outside directories: any name added, removed or rewritten there.
  const touched = new Set<number>();
  l.outsides.forEach((dir, n) => {
    const after = snapshot(dir);
    const was = before[n] as Map<string, string>;
    for (const [name, content] of after) if (was.get(name) !== content) touched.add(requestOf(name));
    for (const name of was.keys()) if (!after.has(name)) touched.add(requestOf(name));
  });
  for (const i of touched) {
    t.escapes++;
    const op = Number.isNaN(i) ? 'unknown' : opOf(i);
    t.escapesBy[op] = (t.escapesBy[op] ?? 0) + 1;
  }
  return t;
}

/** The request a name outside belongs to: `up-12`, `.up-12.fleetdeck-upload-…`, `mv-12.moved` → 12. */
function requestOf(name: string): number {
  const match = /^\.?(?:up|dir|victim|tree|mv)-(\d+)/.exec(name);
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * Runs `reads` read requests (stat, list, preview, download in turn) against targets outside and
 * `/etc`, then `writes` write requests (upload, mkdir, delete, rename in turn) against an outside
 * temp directory (never /etc: escaping writes would really change it), each while the swapper runs.
 */
export async function symlinkSwapRace(options: SwapRaceOptions): Promise<SwapRaceResult> {
  const concurrency = options.concurrency ?? 32;
  const makeEndpoint = options.endpoint ?? ((caps, channel) => new FileEndpoint(caps, channel));
  const run = async (kind: 'reads' | 'writes') => {
    const l = layout(kind);
    const wire = new Wire();
    const client = new EndpointClient(wire, makeEndpoint(capabilitiesFor(l.root), wire));
    const swapper = new Swapper(l);
    try {
      let t: RaceTally;
      if (kind === 'reads') {
        await swapper.start();
        t = await raceReads(client, l, options.reads, concurrency);
      } else t = await raceWrites(client, l, options.writes, concurrency, () => swapper.start());
      return { t, swaps: await swapper.stop() };
    } finally {
      await swapper.stop(); // before the cleanup: a recursive delete must never meet a swapped-in link
      await rm(l.base, { recursive: true, force: true });
    }
  };
  const reads = await run('reads');
  const writes = await run('writes');
  return { reads: reads.t, writes: writes.t, swaps: reads.swaps + writes.swaps };
}
