// Writes one upload on a worker thread. Hashing and disk writes (synchronous there, so no thread-pool
// round trip per chunk) stay off the agent's event loop: heartbeats, commands and other transfers
// remain prompt while a large file streams in, and network, hashing and disk work overlap.
import { Worker } from 'node:worker_threads';

type ToWorker = { type: 'chunk'; data: Uint8Array } | { type: 'finish' };
type FromWorker =
  | { type: 'written'; bytes: number; spent: ArrayBuffer[] }
  | { type: 'finished'; bytes: number; sha256: string }
  | { type: 'failed'; code: string | undefined; message: string };

/** Start writeback in the worker after this many new bytes, so the final fsync has little left. */
const BACKGROUND_SYNC_BYTES = 32 * 1024 * 1024;

/**
 * Runs inside the worker, from its source text (an eval worker needs no file next to the agent
 * bundle or inside a standalone executable), so it must not use anything from this module's scope.
 */
function uploadWorkerMain(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const port = parentPort as import('node:worker_threads').MessagePort;
  const { fd, syncBytes } = workerData as { fd: number; syncBytes: number };
  const hash = crypto.createHash('sha256');
  // Hashing here overlaps the write in flight (thread pool); chunks arriving meanwhile go out
  // together in the next writev.
  let pending: Uint8Array[] = [];
  let writing = false;
  let finishing = false;
  let failed = false;
  let written = 0;
  let synced = 0;
  let syncing = false;
  const post = (message: FromWorker) => port.postMessage(message);
  const fail = (error: NodeJS.ErrnoException | null) => {
    if (!error || failed) return Boolean(error);
    failed = true;
    post({ type: 'failed', code: error.code, message: error.message });
    return true;
  };
  const finishWhenIdle = () => {
    if (!finishing || writing || syncing || pending.length > 0 || failed) return;
    fs.fsync(fd, (error) => {
      if (!fail(error)) post({ type: 'finished', bytes: written, sha256: hash.digest('hex') });
    });
  };
  const syncInBackground = () => {
    if (syncing || written - synced < syncBytes) return;
    syncing = true;
    synced = written;
    fs.fdatasync(fd, (error) => {
      syncing = false;
      if (!fail(error)) finishWhenIdle();
    });
  };
  const writeNext = () => {
    if (writing || failed || pending.length === 0) return finishWhenIdle();
    const batch = pending;
    pending = [];
    writing = true;
    fs.writev(fd, batch, (error, bytes) => {
      writing = false;
      if (fail(error)) return;
      // A short writev is rare (full disk gives an error instead); finish the rest before new data.
      const total = batch.reduce((sum, chunk) => sum + chunk.length, 0);
      if (bytes < total) pending = [...remainderOf(batch, bytes), ...pending];
      written += bytes;
      // Written buffers go back to die on the main thread: this thread allocates almost nothing, so
      // its collector would run too rarely to free them and the agent's memory would grow.
      const spent = bytes < total ? [] : batch.map((chunk) => chunk.buffer as ArrayBuffer);
      port.postMessage({ type: 'written', bytes: written, spent } satisfies FromWorker, spent);
      syncInBackground();
      writeNext();
    });
  };
  const remainderOf = (batch: Uint8Array[], skip: number) => {
    const rest: Uint8Array[] = [];
    for (const chunk of batch) {
      if (skip >= chunk.length) skip -= chunk.length;
      else {
        rest.push(chunk.subarray(skip));
        skip = 0;
      }
    }
    return rest;
  };
  port.on('message', (message: ToWorker) => {
    if (failed) return;
    if (message.type === 'chunk') {
      hash.update(message.data);
      pending.push(message.data);
      writeNext();
    } else {
      finishing = true;
      finishWhenIdle();
    }
  });
}

export interface UploadWriterEvents {
  /** Bytes handed to the kernel so far (cumulative). */
  written(bytes: number): void;
  failed(error: NodeJS.ErrnoException): void;
}

export class UploadWriter {
  private readonly worker: Worker;
  private finished: ((result: { bytes: number; sha256: string }) => void) | null = null;
  private failure: NodeJS.ErrnoException | null = null;
  private rejectFinish: ((error: Error) => void) | null = null;

  /** `fd` stays owned by the caller, who closes it after `finish` or `abort`. */
  constructor(fd: number, events: UploadWriterEvents) {
    // `__name`: what esbuild's keepNames (tsx, vitest) may call inside the function's source text.
    this.worker = new Worker(`var __name = (f) => f; (${uploadWorkerMain.toString()})()`, {
      eval: true,
      workerData: { fd, syncBytes: BACKGROUND_SYNC_BYTES },
    });
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'written') events.written(message.bytes);
      else if (message.type === 'finished') this.finished?.({ bytes: message.bytes, sha256: message.sha256 });
      else this.fail(Object.assign(new Error(message.message), { code: message.code }), events);
    });
    this.worker.on('error', (error) => this.fail(error, events));
  }

  private fail(error: NodeJS.ErrnoException, events: UploadWriterEvents): void {
    if (this.failure) return;
    this.failure = error;
    events.failed(error);
    this.rejectFinish?.(error);
  }

  /**
   * Hands the bytes of `frame` from `start` on to the worker; the caller must not use `frame`
   * afterwards. A frame that is all of its ArrayBuffer (as ws delivers large messages) moves to
   * the worker without a copy; a slice of a shared buffer is copied.
   */
  write(frame: Buffer, start: number): void {
    if (this.failure) return;
    const ownsMemory = frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength;
    const data = ownsMemory ? new Uint8Array(frame.buffer, start) : new Uint8Array(frame.subarray(start));
    this.worker.postMessage({ type: 'chunk', data } satisfies ToWorker, [data.buffer as ArrayBuffer]);
  }

  /** Waits for every chunk to be written and fsynced; returns the byte count and SHA-256. */
  async finish(): Promise<{ bytes: number; sha256: string }> {
    try {
      if (this.failure) throw this.failure;
      return await new Promise((resolve, reject) => {
        this.finished = resolve;
        this.rejectFinish = reject;
        this.worker.postMessage({ type: 'finish' } satisfies ToWorker);
      });
    } finally {
      await this.worker.terminate();
    }
  }

  async abort(): Promise<void> {
    await this.worker.terminate();
  }
}
