// Streamed file transfers on the agent. Downloads send binary frames while the master's window
// and the socket's buffer allow; uploads go to a temporary file in the target directory, are
// fsynced, checked and renamed into place, so an interrupted upload never leaves a partial file.
// Both work through descriptors opened and verified at the start (anchor.ts): a download reads the
// file it checked, an upload holds its target directory open and creates, renames and removes its
// files only through it.
import type { ReadStream } from 'node:fs';
import { type FileHandle, lstat, open, rename, unlink } from 'node:fs/promises';
import {
  type AgentMessage,
  type DownloadRequest,
  TRANSFER_CHUNK_BYTES,
  TRANSFER_ID_BYTES,
  TRANSFER_SOCKET_HIGH_WATER,
  TRANSFER_WINDOW_BYTES,
  type UploadExpectation,
  type UploadRequest,
} from '../protocol.js';
import { type Anchor, OPEN_CREATE } from './anchor.js';
import type { Confinement, Placed } from './confine.js';
import { assertUnchanged } from './edit-guard.js';
import { FileError, fromErrno } from './errors.js';
import type { FileService } from './service.js';
import { UploadWriter } from './upload-writer.js';

export interface TransferChannel {
  sendJson(message: AgentMessage): void;
  sendBinary(frame: Buffer): void;
  /** Bytes queued on the socket but not yet sent. */
  bufferedAmount(): number;
}

interface Download {
  stream: ReadStream;
  sent: number;
  acked: number;
  window: number;
  paused: boolean;
}

interface Upload {
  handle: FileHandle;
  /** The target's directory, held open from the check to the final rename. */
  dir: Anchor;
  /** Names inside `dir`: the temporary file and the target. */
  temp: string;
  name: string;
  /** The target's real path, for messages. */
  target: string;
  expected: string | null;
  /** An edit's guard: the target must still be this content at the rename. */
  unchanged: UploadExpectation | null;
  writer: UploadWriter;
  failed: FileError | null;
}

export function frame(id: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(id, 'ascii'), data]);
}

export class AgentTransfers {
  private readonly downloads = new Map<string, Download>();
  private readonly uploads = new Map<string, Upload>();
  private drainTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly confinement: Confinement,
    private readonly files: FileService,
    private readonly channel: TransferChannel,
  ) {}

  async download(message: DownloadRequest): Promise<void> {
    const { id } = message;
    let handle: FileHandle | null = null;
    try {
      this.files.requireRead();
      handle = (await this.confinement.readable(message.path)).handle;
      const s = await handle.stat().catch((e) => {
        throw fromErrno(e, message.path);
      });
      if (!s.isFile()) throw new FileError('is_a_directory', `${message.path} is not a regular file`);
      const start = Math.min(message.offset, s.size);
      const length = Math.min(message.length ?? s.size - start, s.size - start);
      this.channel.sendJson({ type: 'transfer-meta', id, size: s.size, mtime: Math.round(s.mtimeMs), length });
      if (length === 0) {
        this.channel.sendJson({ type: 'transfer-end', id, bytes: 0 });
        await handle.close();
        return;
      }
      // The stream reads the descriptor that was checked and closes it when it ends or is destroyed.
      const stream = handle.createReadStream({ start, end: start + length - 1, highWaterMark: TRANSFER_CHUNK_BYTES });
      handle = null;
      const download: Download = { stream, sent: 0, acked: 0, window: message.window, paused: false };
      this.downloads.set(id, download);
      stream.on('data', (chunk) => {
        const data = chunk as Buffer;
        download.sent += data.length;
        this.channel.sendBinary(frame(id, data));
        this.throttle(download);
      });
      stream.on('end', () => {
        this.downloads.delete(id);
        this.channel.sendJson({ type: 'transfer-end', id, bytes: download.sent });
      });
      stream.on('error', (error) => {
        this.downloads.delete(id);
        this.fail(id, fromErrno(error, message.path));
      });
    } catch (error) {
      await handle?.close().catch(() => undefined);
      this.fail(id, fromErrno(error, message.path));
    }
  }

  /** The master consumed `bytes` of a download, or we wrote `bytes` of an upload. */
  ack(id: string, bytes: number): void {
    const download = this.downloads.get(id);
    if (!download) return;
    download.acked = Math.max(download.acked, bytes);
    this.throttle(download);
  }

  private throttle(download: Download): void {
    const blocked =
      download.sent - download.acked >= download.window || this.channel.bufferedAmount() > TRANSFER_SOCKET_HIGH_WATER;
    if (blocked && !download.paused) {
      download.paused = true;
      download.stream.pause();
      this.watchDrain();
    } else if (!blocked && download.paused) {
      download.paused = false;
      download.stream.resume();
    }
  }

  /** ws has no drain event: poll the socket buffer while any download waits on it. */
  private watchDrain(): void {
    if (this.drainTimer) return;
    this.drainTimer = setInterval(() => {
      let waiting = false;
      for (const download of this.downloads.values()) {
        if (download.paused) this.throttle(download);
        waiting ||= download.paused;
      }
      if (!waiting && this.drainTimer) {
        clearInterval(this.drainTimer);
        this.drainTimer = null;
      }
    }, 1);
  }

  async upload(message: UploadRequest): Promise<void> {
    const { id } = message;
    let placed: Placed | null = null;
    try {
      this.files.requireWrite();
      placed = await this.confinement.creatable(message.path);
      const { dir, name, path: target } = placed;
      const existing = await lstat(dir.at(name)).catch(() => null);
      if (existing?.isDirectory()) throw new FileError('is_a_directory', `${message.path} is a directory`);
      const unchanged = message.expect ?? null;
      if (unchanged) await assertUnchanged(dir, name, unchanged, this.confinement.descriptorPrefix, message.path);
      else if (existing && !message.overwrite) {
        throw new FileError('exists', `${message.path} already exists (upload with overwrite=true to replace it)`);
      }
      const temp = `.${name}.fleetdeck-upload-${id}`;
      const handle = await open(dir.at(temp), OPEN_CREATE, 0o644).catch((e) => {
        throw fromErrno(e, message.path);
      });
      placed = null; // the upload owns the directory now
      const upload: Upload = {
        handle,
        dir,
        temp,
        name,
        target,
        expected: message.sha256,
        unchanged,
        failed: null,
        writer: new UploadWriter(handle.fd, {
          written: (bytes) => this.channel.sendJson({ type: 'transfer-ack', id, bytes }),
          failed: (error) => {
            upload.failed = fromErrno(error, message.path);
          },
        }),
      };
      this.uploads.set(id, upload);
      this.channel.sendJson({ type: 'transfer-ready', id, window: TRANSFER_WINDOW_BYTES });
    } catch (error) {
      await placed?.dir.close();
      this.fail(id, fromErrno(error, message.path));
    }
  }

  /** A binary frame: `id` (16 ASCII bytes) + data, for an upload in progress. */
  receive(data: Buffer): void {
    const upload = this.uploads.get(data.subarray(0, TRANSFER_ID_BYTES).toString('ascii'));
    if (upload && !upload.failed) upload.writer.write(data, TRANSFER_ID_BYTES);
  }

  async finishUpload(id: string): Promise<void> {
    const upload = this.uploads.get(id);
    if (!upload) return;
    this.uploads.delete(id);
    try {
      const { bytes, sha256 } = await upload.writer.finish();
      await upload.handle.close();
      if (upload.expected && upload.expected !== sha256) {
        throw new FileError('checksum_mismatch', `uploaded data has SHA-256 ${sha256}, expected ${upload.expected}`);
      }
      // An upload can take minutes: the directory must still be the one checked when it started.
      await upload.dir.verify(upload.target);
      if (upload.unchanged) {
        const { dir, name, target, unchanged } = upload;
        await assertUnchanged(dir, name, unchanged, this.confinement.descriptorPrefix, target);
      }
      await rename(upload.dir.at(upload.temp), upload.dir.at(upload.name));
      await upload.dir.handle.sync().catch(() => undefined); // the rename itself on disk
      this.channel.sendJson({ type: 'transfer-done', id, bytes, sha256 });
    } catch (error) {
      await upload.handle.close().catch(() => undefined);
      await unlink(upload.dir.at(upload.temp)).catch(() => undefined);
      this.fail(id, upload.failed ?? fromErrno(error, upload.target));
    } finally {
      await upload.dir.close();
    }
  }

  async cancel(id: string): Promise<void> {
    const download = this.downloads.get(id);
    if (download) {
      this.downloads.delete(id);
      download.stream.destroy();
    }
    const upload = this.uploads.get(id);
    if (upload) {
      this.uploads.delete(id);
      await upload.writer.abort();
      await upload.handle.close().catch(() => undefined);
      await unlink(upload.dir.at(upload.temp)).catch(() => undefined);
      await upload.dir.close();
    }
  }

  /** The connection is gone: nothing in flight can finish. */
  async cancelAll(): Promise<void> {
    await Promise.all([...this.downloads.keys(), ...this.uploads.keys()].map((id) => this.cancel(id)));
  }

  private fail(id: string, error: FileError): void {
    this.channel.sendJson({ type: 'transfer-error', id, error: { code: error.code, message: error.message } });
  }
}
