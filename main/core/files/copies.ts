// Node-to-node copies, streamed through the master: each file is a download from the source agent
// piped into an upload to the destination agent, so memory stays bounded by the two transfer windows
// whatever the size (the download re-opens its window only as the upload takes data, the upload sends
// only as the destination acknowledges). Both ends are the agents' confined file services.
//
// A folder is copied into a hidden sibling of its destination (`.<name>.fleetdeck-copy-<id>`) and
// renamed into place at the end; a file is an upload, which writes a temp file and renames it. So a
// cancelled or failed copy leaves nothing at the destination (the hidden folder is removed; if the
// destination went offline meanwhile it stays behind, hidden, and is named in the error).
//
// Each copy is in the store too (copy-store.ts): listed after a restart, and a copy the master was
// running when it stopped shows as interrupted (never resumed half-way).
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { FileEntry, RpcRequest } from '../../../agent/protocol.js';
import type { OutputOf } from '../../contract/contract.js';
import { FleetError, notFound } from '../../contract/errors.js';
import type { EventBus } from '../events.js';
import { COPY_PERSIST_EVERY_MS, type CopyStore, stagingPath } from './copy-store.js';
import type { FileRpc } from './file-rpc.js';
import { checkedReply } from './replies.js';
import type { MasterTransfers } from './transfers.js';

export type CopyView = OutputOf<'listCopies'>[number];
type Location = CopyView['from'];

/** A folder copy walks at most this many entries (a mistake, not a backup tool). */
export const MAX_COPY_ENTRIES = 100_000;
const MAX_DEPTH = 64;
const PAGE = 5_000;
const PROGRESS_EVERY_MS = 250;
const FINISHED_KEPT = 50;
const RATE_WINDOW_MS = 5_000;

interface PlannedFile {
  relative: string;
  size: number;
}

class CopyJob {
  readonly view: CopyView;
  private pausedWaiters: Array<() => void> = [];
  readonly abort = new AbortController();
  private lastEmit = 0;
  private readonly samples: Array<{ at: number; bytes: number }> = [];

  constructor(
    id: string,
    from: Location,
    to: Location,
    kind: CopyView['kind'],
    private readonly bus: EventBus,
    /** Told of every emitted view (the store's writer); `force` at state changes. */
    private readonly changed: (view: CopyView, force: boolean) => void = () => undefined,
  ) {
    this.view = {
      id,
      from,
      to,
      kind,
      state: 'preparing',
      bytes: 0,
      totalBytes: null,
      files: 0,
      totalFiles: null,
      skipped: 0,
      rateBytesPerSec: 0,
      etaSec: null,
      error: null,
      startedAt: Date.now(),
      finishedAt: null,
    };
  }

  get paused(): boolean {
    return this.view.state === 'paused';
  }

  get finished(): boolean {
    return this.view.finishedAt !== null;
  }

  setState(state: CopyView['state']): void {
    this.view.state = state;
    if (state !== 'paused') for (const wake of this.pausedWaiters.splice(0)) wake();
    this.emit(true);
  }

  /** Resolves when not paused; rejects once cancelled. */
  async whileRunning(): Promise<void> {
    while (this.paused && !this.abort.signal.aborted) {
      await new Promise<void>((resolve) => this.pausedWaiters.push(resolve));
    }
    if (this.abort.signal.aborted) throw new FleetError('cancelled', 'The copy was cancelled.');
  }

  moved(bytes: number): void {
    this.view.bytes += bytes;
    this.emit(false);
  }

  /** Speed over the last few seconds (a pause empties the window, so it does not drag the figure down). */
  private measure(now: number): void {
    this.samples.push({ at: now, bytes: this.view.bytes });
    while (this.samples.length > 2 && (this.samples[0] as { at: number }).at < now - RATE_WINDOW_MS)
      this.samples.shift();
    const first = this.samples[0] as { at: number; bytes: number };
    const seconds = (now - first.at) / 1000;
    const rate = this.paused || seconds <= 0 ? 0 : (this.view.bytes - first.bytes) / seconds;
    this.view.rateBytesPerSec = Math.round(rate);
    const left = this.view.totalBytes === null ? null : this.view.totalBytes - this.view.bytes;
    this.view.etaSec = left !== null && rate > 0 ? Math.max(0, left / rate) : null;
    if (this.paused) this.samples.length = 0;
  }

  emit(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastEmit < PROGRESS_EVERY_MS) return;
    this.lastEmit = now;
    this.measure(now);
    this.bus.emit('copyProgress', { ...this.view });
    this.changed({ ...this.view }, force);
  }
}

export class FileCopies {
  private readonly jobs = new Map<string, CopyJob>();
  /** Per copy: the last write (writes go in order) and when it was queued. */
  private readonly writes = new Map<string, { done: Promise<void>; at: number }>();

  constructor(
    private readonly rpc: FileRpc,
    private readonly transfers: MasterTransfers,
    private readonly bus: EventBus,
    private readonly store: CopyStore | null = null,
    private readonly log: (message: string, error: unknown) => void = () => undefined,
  ) {}

  /** At start: copies this master was running when it last stopped are marked interrupted. */
  async restore(): Promise<number> {
    return this.store ? this.store.interruptStale() : 0;
  }

  /** Running copies and the last finished ones, newest first; from the store when there is one (so
   * copies of before a restart are there), with the running ones' live figures. */
  async list(): Promise<CopyView[]> {
    const live = [...this.jobs.values()].map((job) => ({ ...job.view }));
    if (!this.store) return live;
    await this.flush();
    const byId = new Map(live.map((v) => [v.id, v]));
    const stored = (await this.store.list()).map((v) => byId.get(v.id) ?? v);
    const listed = new Set(stored.map((v) => v.id));
    return [...live.filter((v) => !listed.has(v.id)), ...stored];
  }

  /** Waits for every queued write (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()].map((w) => w.done));
  }

  /** Writes a copy's view: at once on a state change, else at most every COPY_PERSIST_EVERY_MS. */
  private persist(view: CopyView, force: boolean): void {
    const store = this.store;
    if (!store) return;
    const last = this.writes.get(view.id);
    const now = Date.now();
    if (!force && last && now - last.at < COPY_PERSIST_EVERY_MS) return;
    const done = (last?.done ?? Promise.resolve())
      .then(() => store.save(view))
      .then(() => (view.finishedAt !== null ? store.prune() : undefined))
      .catch((error: unknown) => this.log(`could not store copy ${view.id}`, error));
    this.writes.set(view.id, { done, at: now });
    if (view.finishedAt !== null) {
      void done.then(() => {
        if (this.writes.get(view.id)?.done === done) this.writes.delete(view.id);
      });
    }
  }

  /** One copy's view (for authorization), undefined when there is none with this id. */
  get(id: string): CopyView | undefined {
    const job = this.jobs.get(id);
    return job ? { ...job.view } : undefined;
  }

  /** Checks the source and destination, then copies in the background (progress: `copyProgress`). */
  async start(from: Location, to: Location, overwrite: boolean): Promise<CopyView> {
    const source = await this.stat(from.nodeId, from.path);
    if (source.type !== 'file' && source.type !== 'directory') {
      throw new FleetError('bad_request', `${from.path} is a ${source.type}: only files and folders are copied.`);
    }
    const kind = source.type === 'directory' ? 'directory' : 'file';
    const target = await this.stat(to.nodeId, to.path).catch((error: unknown) => {
      if (error instanceof FleetError && error.code === 'not_found') return null;
      throw error;
    });
    if (target && (kind === 'directory' || target.type === 'directory' || !overwrite)) {
      throw new FleetError(
        'exists',
        kind === 'file' && target.type !== 'directory'
          ? `${to.path} already exists on the destination; choose to replace it, or another name.`
          : `${to.path} already exists on the destination; a folder is never merged into another: choose another name.`,
      );
    }
    const id = `copy_${randomBytes(8).toString('hex')}`;
    const job = new CopyJob(id, from, to, kind, this.bus, (view, force) => this.persist(view, force));
    this.jobs.set(id, job);
    this.forgetOldest();
    job.emit(true);
    void this.run(job, source, overwrite);
    return { ...job.view };
  }

  control(id: string, action: 'pause' | 'resume' | 'cancel'): CopyView {
    const job = this.jobs.get(id);
    if (!job) throw notFound('Copy', id);
    if (job.finished) return { ...job.view };
    if (action === 'cancel') job.abort.abort();
    else if (action === 'pause' && job.view.state === 'running') job.setState('paused');
    else if (action === 'resume' && job.paused) job.setState('running');
    if (action === 'cancel') job.setState(job.view.state); // wakes a paused copy so it can end
    return { ...job.view };
  }

  private async run(job: CopyJob, source: FileEntry, overwrite: boolean): Promise<void> {
    const { from, to } = job.view;
    let staging: string | null = null;
    try {
      if (job.view.kind === 'file') {
        job.view.totalBytes = source.size;
        job.view.totalFiles = 1;
        job.setState('running');
        await this.copyFile(job, from.path, to.path, source.size, overwrite);
      } else {
        const plan = await this.plan(job, from);
        job.view.totalBytes = plan.files.reduce((sum, f) => sum + f.size, 0);
        job.view.totalFiles = plan.files.length;
        job.view.skipped = plan.skipped;
        staging = stagingPath(to.path, job.view.id);
        await this.call(to.nodeId, { method: 'files.mkdir', params: { path: staging, parents: false } });
        job.setState(job.paused ? 'paused' : 'running');
        for (const dir of plan.directories) {
          await job.whileRunning();
          await this.call(to.nodeId, {
            method: 'files.mkdir',
            params: { path: posix.join(staging, dir), parents: true },
          });
        }
        for (const file of plan.files) {
          await this.copyFile(
            job,
            posix.join(from.path, file.relative),
            posix.join(staging, file.relative),
            file.size,
            false,
          );
        }
        await job.whileRunning();
        await this.call(to.nodeId, {
          method: 'files.rename',
          params: { from: staging, to: to.path, overwrite: false },
        });
        staging = null;
      }
      job.view.finishedAt = Date.now();
      job.setState('done');
    } catch (error) {
      const e = error instanceof FleetError ? error : new FleetError('io_error', (error as Error).message);
      const leftover = staging ? await this.removeStaging(to.nodeId, staging) : null;
      job.view.error = {
        code: e.code,
        message: leftover ? `${e.message} (${leftover} is left on the destination; delete it)` : e.message,
      };
      job.view.finishedAt = Date.now();
      job.setState(job.abort.signal.aborted ? 'cancelled' : 'failed');
    }
  }

  /** One file: the source's download piped into the destination's upload, paused and cancelled as one. */
  private async copyFile(job: CopyJob, from: string, to: string, size: number, overwrite: boolean): Promise<void> {
    await job.whileRunning();
    const download = await this.transfers.download(job.view.from.nodeId, from, 0, null);
    const stream = download.stream;
    const cancel = () => stream.destroy(new FleetError('cancelled', 'The copy was cancelled.'));
    job.abort.signal.addEventListener('abort', cancel);
    async function* paced(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of stream) {
          await job.whileRunning();
          job.moved((chunk as Buffer).length);
          yield chunk as Buffer;
        }
      } finally {
        stream.destroy(); // an upload that failed stops the download too
      }
    }
    try {
      const result = await this.transfers.upload(job.view.to.nodeId, to, paced(), {
        overwrite,
        sha256: null,
        size,
      });
      if (result.bytes !== download.length) {
        throw new FleetError('io_error', `${from} changed size while it was copied; copy it again.`);
      }
      job.view.files += 1;
      job.emit(false);
    } catch (error) {
      if (job.abort.signal.aborted) throw new FleetError('cancelled', 'The copy was cancelled.');
      throw error;
    } finally {
      job.abort.signal.removeEventListener('abort', cancel);
    }
  }

  /** The folder's tree, breadth first: directories (parents before children) and files with sizes. */
  private async plan(job: CopyJob, from: Location) {
    const directories: string[] = [];
    const files: PlannedFile[] = [];
    let skipped = 0;
    let seen = 0;
    const queue: Array<{ relative: string; depth: number }> = [{ relative: '', depth: 0 }];
    while (queue.length > 0) {
      const { relative, depth } = queue.shift() as { relative: string; depth: number };
      let cursor: string | undefined;
      do {
        await job.whileRunning();
        const page = checkedReply(
          'listFiles',
          from.nodeId,
          await this.rpc.call(from.nodeId, {
            method: 'files.list',
            params: { path: posix.join(from.path, relative), cursor, limit: PAGE },
          }),
        );
        for (const entry of page.entries) {
          if (++seen > MAX_COPY_ENTRIES) {
            throw new FleetError(
              'too_large',
              `${from.path} has more than ${MAX_COPY_ENTRIES.toLocaleString('en')} entries; copy its subfolders one by one.`,
            );
          }
          const inside = relative ? `${relative}/${entry.name}` : entry.name;
          if (entry.type === 'directory') {
            if (depth + 1 > MAX_DEPTH)
              throw new FleetError('too_large', `${from.path} is nested deeper than ${MAX_DEPTH} folders.`);
            directories.push(inside);
            queue.push({ relative: inside, depth: depth + 1 });
          } else if (entry.type === 'file') files.push({ relative: inside, size: entry.size });
          else skipped++;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    return { directories, files, skipped };
  }

  private async removeStaging(nodeId: string, staging: string): Promise<string | null> {
    try {
      await this.call(nodeId, { method: 'files.delete', params: { path: staging, recursive: true } });
      return null;
    } catch {
      return staging;
    }
  }

  private stat(nodeId: string, path: string): Promise<FileEntry> {
    return this.call(nodeId, { method: 'files.stat', params: { path } }).then((reply) =>
      checkedReply('statFile', nodeId, reply),
    );
  }

  private call(nodeId: string, request: RpcRequest): Promise<unknown> {
    return this.rpc.call(nodeId, request);
  }

  private forgetOldest(): void {
    const finished = [...this.jobs.values()].filter((job) => job.finished);
    for (const job of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT))) this.jobs.delete(job.view.id);
  }
}
