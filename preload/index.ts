// The bridge: one function per contract operation and one event subscription. Nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import {
  IPC_EVENT_CHANNEL,
  IPC_INVOKE_CHANNEL,
  IPC_SAVE_FILE_CHANNEL,
  IPC_STREAMS_CHANNEL,
  operationNames,
} from '../main/contract/operation-names.js';

const api: Record<string, (input?: unknown) => Promise<unknown>> = {};
for (const name of operationNames) {
  api[name] = (input?: unknown) => ipcRenderer.invoke(IPC_INVOKE_CHANNEL, name, input ?? {});
}

contextBridge.exposeInMainWorld('fleetdeck', {
  ...api,
  streamEndpoint: () => ipcRenderer.invoke(IPC_STREAMS_CHANNEL),
  saveFile: (input: unknown) => ipcRenderer.invoke(IPC_SAVE_FILE_CHANNEL, input),
  onEvent(listener: (message: unknown) => void): () => void {
    const wrapped = (_event: unknown, message: unknown) => listener(message);
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
  },
});
