// Registers the contract on Electron's IPC. It takes IpcMain's shape rather than importing
// electron, so tests drive it with a fake.
import { desktopCaller } from '../contract/caller.js';
import type { Handlers } from '../contract/contract.js';
import { invoke, isOperationName } from '../contract/dispatch.js';
import { FleetError } from '../contract/errors.js';
import { IPC_INVOKE_CHANNEL, IPC_STREAMS_CHANNEL } from '../contract/operation-names.js';
import { callErrorOf, type IpcResult } from '../contract/wire.js';

export interface IpcSender {
  id: number;
}
export interface IpcInvokeEvent {
  sender: IpcSender;
  senderFrame: { url: string } | null;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/**
 * One channel carries every operation: `(name, input)`. Results are wrapped so error codes cross
 * the bridge intact (Electron flattens thrown errors to strings).
 */
export function registerIpc(
  ipc: IpcMainLike,
  handlers: Handlers,
  isTrustedSender: (event: IpcInvokeEvent) => boolean,
  streams: { base: string; token: string } | null = null,
): () => void {
  // Where the page sends file transfers (see desktop-streams.ts); only to the app's own frame.
  ipc.handle(IPC_STREAMS_CHANNEL, async (event): Promise<IpcResult> => {
    if (!isTrustedSender(event))
      return { ok: false, error: { code: 'forbidden', message: 'IPC from an untrusted frame was refused.' } };
    if (!streams) return { ok: false, error: { code: 'unavailable', message: 'File transfers are not available.' } };
    return { ok: true, value: streams };
  });
  ipc.handle(IPC_INVOKE_CHANNEL, async (event, name, input): Promise<IpcResult> => {
    try {
      if (!isTrustedSender(event)) throw new FleetError('forbidden', 'IPC from an untrusted frame was refused.');
      if (typeof name !== 'string' || !isOperationName(name)) {
        throw new FleetError('not_found', `No operation named ${JSON.stringify(name)}.`);
      }
      return { ok: true, value: await invoke(handlers, name, input, desktopCaller) };
    } catch (error) {
      if (error instanceof FleetError) return { ok: false, error: callErrorOf(error) };
      return { ok: false, error: { code: 'internal', message: 'Internal error; see the log.' } };
    }
  });
  return () => {
    ipc.removeHandler(IPC_INVOKE_CHANNEL);
    ipc.removeHandler(IPC_STREAMS_CHANNEL);
  };
}
