// Downloads in the desktop app: a native save dialog, then the file streamed from the node straight
// into a file next to the chosen one (`<name>.fleetdeck-part`), renamed into place when complete, so
// the renderer never holds the bytes and an interrupted download leaves no half file under the real
// name. Takes IpcMain's and the save dialog's shapes rather than importing electron: tested with fakes.
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { FleetError } from '../contract/errors.js';
import { IPC_SAVE_FILE_CHANNEL } from '../contract/operation-names.js';
import type { IpcResult } from '../contract/wire.js';
import { checkedReply } from '../core/files/replies.js';
import type { Master } from '../core/master.js';
import type { IpcInvokeEvent, IpcMainLike } from './ipc.js';

export const SaveFileRequest = z.object({
  nodeId: z.string().min(1).max(64),
  path: z.string().min(1).max(4096),
  /** Chosen by the page so it can follow the download in its transfer queue. */
  transferId: z.string().regex(/^[0-9a-f]{16}$/),
});

/** What the page learns: whether the user picked a place, and what was written there. */
export type SaveFileResult = { saved: false } | { saved: true; path: string; bytes: number };

/** Electron's dialog.showSaveDialog, reduced to what is used. */
export type ShowSaveDialog = (options: { defaultPath: string }) => Promise<{ canceled: boolean; filePath?: string }>;

export interface DesktopDownloadOptions {
  master: Pick<Master, 'fileRpc' | 'transfers'>;
  showSaveDialog: ShowSaveDialog;
  /** Where the dialog starts (the user's Downloads folder). */
  downloadsDir: string;
  isTrustedSender: (event: IpcInvokeEvent) => boolean;
}

export async function saveRemoteFile(options: DesktopDownloadOptions, raw: unknown): Promise<SaveFileResult> {
  const parsed = SaveFileRequest.safeParse(raw);
  if (!parsed.success) throw new FleetError('bad_request', 'The download request is not valid.');
  const { nodeId, path, transferId } = parsed.data;
  const { fileRpc, transfers } = options.master;
  const entry = checkedReply(
    'statFile',
    nodeId,
    await fileRpc.call(nodeId, { method: 'files.stat', params: { path } }),
  );
  if (entry.type === 'directory') throw new FleetError('is_a_directory', `${path} is a folder; open it instead.`);
  const choice = await options.showSaveDialog({ defaultPath: join(options.downloadsDir, basename(path)) });
  if (choice.canceled || !choice.filePath) return { saved: false };
  const target = choice.filePath;
  const part = `${target}.fleetdeck-part`;
  const download = await transfers.download(nodeId, path, 0, null, { id: transferId });
  try {
    const file = createWriteStream(part, { flush: true });
    await pipeline(download.stream, file);
    if (file.bytesWritten !== download.length) {
      throw new FleetError('io_error', `The download ended after ${file.bytesWritten} of ${download.length} bytes.`);
    }
    await rename(part, target);
  } catch (error) {
    await unlink(part).catch(() => undefined);
    throw error instanceof FleetError
      ? error
      : new FleetError('io_error', `Could not save ${target}: ${(error as Error).message}`);
  }
  return { saved: true, path: target, bytes: download.length };
}

export function registerDesktopDownloads(ipc: IpcMainLike, options: DesktopDownloadOptions): () => void {
  ipc.handle(IPC_SAVE_FILE_CHANNEL, async (event, input): Promise<IpcResult> => {
    try {
      if (!options.isTrustedSender(event))
        throw new FleetError('forbidden', 'IPC from an untrusted frame was refused.');
      return { ok: true, value: await saveRemoteFile(options, input) };
    } catch (error) {
      if (error instanceof FleetError) return { ok: false, error: { code: error.code, message: error.message } };
      return { ok: false, error: { code: 'internal', message: 'Internal error; see the log.' } };
    }
  });
  return () => ipc.removeHandler(IPC_SAVE_FILE_CHANNEL);
}
