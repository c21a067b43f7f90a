// Streamed transfers on the master side. Downloads: binary frames from the agent are pushed into a
// Readable, and the agent's window is re-opened only as the consumer (the HTTP response) reads.
// Uploads: the source is read only as fast as the agent acknowledges writes and the socket drains.
// Memory per transfer stays bounded by the window, whatever the file size.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type AgentMessage,
  TRANSFER_CHUNK_BYTES,
  TRANSFER_ID_BYTES,
  TRANSFER_SOCKET_HIGH_WATER,
  TRANSFER_WINDOW_BYTES,
  TransferId,
  type UploadExpectation,
} from '../../../agent/protocol.js';
import { FleetError, isErrorCode } from '../../contract/errors.js';
import type { EventBus } from '../events.js';
import type { FileLinks } from '../gateway/links.js';

const START_TIMEOUT_MS = 15_000;

/** What an agent sends about a transfer: the protocol's own messages, not a copy of them. */
export type TransferReply = Extract<
  AgentMessage,
  { type: 'transfer-meta' | 'transfer-end' | 'transfer-ready' | 'transfer-ack' | 'transfer-done' | 'transfer-error' }
>;

interface Transfer {
  nodeId: string;
  onReply(reply: TransferReply): void;
  onData?(data: Buffer): void;
  fail(error: FleetError): void;
  /** Holds or releases the data (downloads stop acknowledging, uploads stop sending). */
  setPaused(paused: boolean): void;
}

/** How a caller names and guards a transfer. */
export interface TransferOptions {
  /** A transfer id the client chose (16 hex digits), so it can follow and control it; else a random one. */
  id?: string;
}

export interface UploadOptions extends TransferOptions {
  overwrite: boolean;
  sha256: string | null;
  size: number | null;
  /** An edit's guard: replace the target only while it is still this content. */
  expect?: UploadExpectation | null;
}

export interface DownloadHandle {
  size: number;
  mtime: number;
  offset: number;
  length: number;
  stream: Readable;
}

function wireError(error: { code: string; message: string }): FleetError {
  return new FleetError(isErrorCode(error.code) ? error.code : 'io_error', error.message);
}

class Progress {
  private lastEmit = 0;
  private readonly started = Date.now();
  private bytes = 0;
  paused = false;

  constructor(
    private readonly bus: EventBus,
    private readonly info: {
      id: string;
      nodeId: string;
      direction: 'download' | 'upload';
      path: string;
      total: number | null;
    },
  ) {}

  update(bytes: number, done = false, force = false): void {
    this.bytes = bytes;
    const now = Date.now();
    if (!done && !force && now - this.lastEmit < 250) return;
    this.emit(now, done, null);
  }

  /** A pause or resume is shown at once. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    this.emit(Date.now(), false, null);
  }

  failed(error: FleetError): void {
    this.emit(Date.now(), true, { code: error.code, message: error.message });
  }

  private emit(now: number, done: boolean, error: { code: string; message: string } | null): void {
    this.lastEmit = now;
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = this.bytes / seconds;
    const { total } = this.info;
    this.bus.emit('transferProgress', {
      ...this.info,
      bytes: this.bytes,
      rateBytesPerSec: Math.round(rate),
      etaSec: total !== null && rate > 0 && !this.paused ? Math.max(0, (total - this.bytes) / rate) : null,
      done,
      paused: this.paused && !done,
      error,
    });
  }
}

const cancelled = () => new FleetError('cancelled', 'The transfer was cancelled.');

/**
 * Re-cuts `source` (an HTTP body arrives in ~64 KiB pieces) into full binary frames: the transfer
 * id, then up to TRANSFER_CHUNK_BYTES of data, copied once into the frame.
 */
async function* framesOf(source: AsyncIterable<Buffer>, id: string): AsyncGenerator<Buffer> {
  const header = Buffer.from(id, 'ascii');
  const newFrame = () => {
    const frame = Buffer.allocUnsafe(TRANSFER_ID_BYTES + TRANSFER_CHUNK_BYTES);
    header.copy(frame);
    return frame;
  };
  let frame = newFrame();
  let filled = TRANSFER_ID_BYTES;
  for await (const chunk of source) {
    for (let used = 0; used < chunk.length; ) {
      const copied = chunk.copy(frame, filled, used);
      used += copied;
      filled += copied;
      if (filled === frame.length) {
        yield frame;
        frame = newFrame();
        filled = TRANSFER_ID_BYTES;
      }
    }
  }
  if (filled > TRANSFER_ID_BYTES) yield frame.subarray(0, filled);
}

export class MasterTransfers {
  private readonly transfers = new Map<string, Transfer>();

  constructor(
    private readonly links: FileLinks,
    private readonly bus: EventBus,
  ) {}

  private newId(nodeId: string, chosen: string | undefined): string {
    if (!this.links.isConnected(nodeId)) {
      throw new FleetError('node_offline', `Node ${nodeId} is not connected; file access needs a live agent.`);
    }
    if (chosen === undefined) return randomBytes(8).toString('hex');
    if (!TransferId.safeParse(chosen).success) {
      throw new FleetError('bad_request', 'A transfer id is 16 lowercase hex digits.');
    }
    if (this.transfers.has(chosen)) throw new FleetError('conflict', 'A transfer with this id is already running.');
    return chosen;
  }

  /** The node of a running transfer (for authorization), undefined when there is none with this id. */
  nodeOf(id: string): string | undefined {
    return this.transfers.get(id)?.nodeId;
  }

  /** Pauses, resumes or cancels a running transfer; false when there is none with this id. */
  control(id: string, action: 'pause' | 'resume' | 'cancel'): boolean {
    const transfer = this.transfers.get(id);
    if (!transfer) return false;
    if (action === 'cancel') {
      this.links.send(transfer.nodeId, { type: 'transfer-cancel', id });
      transfer.fail(cancelled());
    } else transfer.setPaused(action === 'pause');
    return true;
  }

  async download(
    nodeId: string,
    path: string,
    offset: number,
    length: number | null,
    options: TransferOptions = {},
  ): Promise<DownloadHandle> {
    const id = this.newId(nodeId, options.id);
    let received = 0;
    let acked = 0;
    let paused = false;
    let progress: Progress | null = null;
    const ack = () => {
      if (received > acked && !paused) {
        acked = received;
        this.links.send(nodeId, { type: 'transfer-ack', id, bytes: received });
      }
    };
    const stream = new Readable({
      highWaterMark: TRANSFER_WINDOW_BYTES,
      read: () => ack(),
      destroy: (error, callback) => {
        if (this.transfers.delete(id)) this.links.send(nodeId, { type: 'transfer-cancel', id });
        callback(error);
      },
    });
    return new Promise<DownloadHandle>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new FleetError('timeout', 'The agent did not start the download in time.')),
        START_TIMEOUT_MS,
      );
      let started = false;
      const fail = (error: FleetError) => {
        clearTimeout(timer);
        this.transfers.delete(id);
        progress?.failed(error);
        reject(error);
        // Before the handle is returned nobody listens on the stream: end it without an error event.
        stream.destroy(started ? error : undefined);
      };
      this.transfers.set(id, {
        nodeId,
        fail,
        setPaused: (value) => {
          paused = value;
          progress?.setPaused(value);
          // Resumed: acknowledge what the consumer took meanwhile, so the agent sends again.
          if (!value && stream.readableLength < stream.readableHighWaterMark) ack();
        },
        onData: (data) => {
          received += data.length;
          progress?.update(received);
          // Re-open the window only while the consumer keeps up (push returns true).
          if (stream.push(data)) ack();
        },
        onReply: (reply) => {
          if (reply.type === 'transfer-meta') {
            clearTimeout(timer);
            started = true;
            progress = new Progress(this.bus, { id, nodeId, direction: 'download', path, total: reply.length });
            resolve({ size: reply.size, mtime: reply.mtime, offset, length: reply.length, stream });
          } else if (reply.type === 'transfer-end') {
            this.transfers.delete(id);
            progress?.update(received, true);
            stream.push(null);
          } else if (reply.type === 'transfer-error') fail(wireError(reply.error));
        },
      });
      this.links.send(nodeId, { type: 'download', id, path, offset, length, window: TRANSFER_WINDOW_BYTES });
    });
  }

  /** Streams `source` into `path` on the node; resolves when the agent has it on disk. */
  async upload(
    nodeId: string,
    path: string,
    source: AsyncIterable<Buffer>,
    options: UploadOptions,
  ): Promise<{ bytes: number; sha256: string }> {
    const id = this.newId(nodeId, options.id);
    let window = 0;
    let acked = 0;
    let paused = false;
    let wake: (() => void) | null = null;
    let failure: FleetError | null = null;
    let ready: (() => void) | null = null;
    let done: ((r: { bytes: number; sha256: string }) => void) | null = null;
    const progress = new Progress(this.bus, { id, nodeId, direction: 'upload', path, total: options.size });
    const readyPromise = new Promise<void>((r) => (ready = r));
    const donePromise = new Promise<{ bytes: number; sha256: string }>((r) => (done = r));
    const failed = new Promise<never>((_r, reject) => {
      this.transfers.set(id, {
        nodeId,
        fail: (error) => {
          failure = error;
          this.transfers.delete(id);
          progress.failed(error);
          wake?.();
          reject(error);
        },
        setPaused: (value) => {
          paused = value;
          progress.setPaused(value);
          wake?.();
        },
        onReply: (reply) => {
          if (reply.type === 'transfer-ready') {
            window = reply.window;
            ready?.();
          } else if (reply.type === 'transfer-ack') {
            acked = reply.bytes;
            progress.update(acked);
            wake?.();
          } else if (reply.type === 'transfer-done') {
            this.transfers.delete(id);
            progress.update(reply.bytes, true);
            done?.({ bytes: reply.bytes, sha256: reply.sha256 });
          } else if (reply.type === 'transfer-error') {
            this.transfers.get(id)?.fail(wireError(reply.error));
          }
        },
      });
    });
    failed.catch(() => undefined);
    const startTimer = setTimeout(
      () => this.transfers.get(id)?.fail(new FleetError('timeout', 'The agent did not accept the upload in time.')),
      START_TIMEOUT_MS,
    );
    this.links.send(nodeId, {
      type: 'upload',
      id,
      path,
      overwrite: options.overwrite,
      sha256: options.sha256,
      expect: options.expect ?? null,
    });
    try {
      await Promise.race([readyPromise, failed]);
      clearTimeout(startTimer);
      let sent = 0;
      for await (const frame of framesOf(source, id)) {
        while (
          !failure &&
          (paused || sent - acked >= window || this.links.bufferedAmount(nodeId) > TRANSFER_SOCKET_HIGH_WATER)
        ) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            // A pause waits for its resume (which wakes it); the socket has no drain event to wait for.
            if (!paused) setTimeout(resolve, 1);
          });
        }
        if (failure) throw failure;
        this.links.sendBinary(nodeId, frame);
        sent += frame.length - TRANSFER_ID_BYTES;
      }
      this.links.send(nodeId, { type: 'upload-end', id });
      return await Promise.race([donePromise, failed]);
    } catch (error) {
      clearTimeout(startTimer);
      if (this.transfers.delete(id)) this.links.send(nodeId, { type: 'transfer-cancel', id });
      throw error instanceof FleetError
        ? error
        : new FleetError('io_error', `Upload interrupted: ${(error as Error).message}`);
    }
  }

  onReply(nodeId: string, id: string, reply: TransferReply): void {
    const transfer = this.transfers.get(id);
    if (transfer?.nodeId === nodeId) transfer.onReply(reply);
  }

  onBinary(nodeId: string, data: Buffer): void {
    const transfer = this.transfers.get(data.subarray(0, TRANSFER_ID_BYTES).toString('ascii'));
    if (transfer?.nodeId === nodeId) transfer.onData?.(data.subarray(TRANSFER_ID_BYTES));
  }

  nodeGone(nodeId: string): void {
    for (const transfer of [...this.transfers.values()]) {
      if (transfer.nodeId === nodeId)
        transfer.fail(new FleetError('node_offline', `Node ${nodeId} disconnected during the transfer.`));
    }
  }
}
