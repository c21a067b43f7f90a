// The Electron wiring, driven with fakes: no Electron binary can run here, so IpcMain, the
// context bridge and ipcRenderer are stand-ins with the same shape. The handlers behind them are real.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { contract } from '../../main/contract/contract.js';
import { IPC_INVOKE_CHANNEL, operationNames } from '../../main/contract/operation-names.js';
import { type IpcInvokeEvent, type IpcMainLike, type IpcResult, registerIpc } from '../../main/electron/ipc.js';
import { startInProcess } from '../helpers/in-process.js';

const exposed: Record<string, unknown> = {};
const invoked: unknown[][] = [];
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: {
    invoke: (...args: unknown[]) => {
      invoked.push(args);
      return Promise.resolve({ ok: true, value: null });
    },
    on: () => undefined,
    removeListener: () => undefined,
  },
}));

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>) {
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  call(event: IpcInvokeEvent, name: string, input: unknown) {
    return this.handlers.get(IPC_INVOKE_CHANNEL)?.(event, name, input) as Promise<IpcResult>;
  }
}

const trusted: IpcInvokeEvent = { sender: { id: 1 }, senderFrame: { url: 'file:///app/index.html' } };
const foreign: IpcInvokeEvent = { sender: { id: 2 }, senderFrame: { url: 'https://evil.example/' } };

let core: Awaited<ReturnType<typeof startInProcess>>;
const ipc = new FakeIpcMain();
beforeAll(async () => {
  core = await startInProcess();
  registerIpc(
    ipc,
    core.master.handlers(),
    (e) => e.sender.id === 1 && e.senderFrame?.url.startsWith('file://') === true,
  );
});
afterAll(() => core.stop());

describe('IPC wiring', () => {
  it('the preload name list is exactly the contract', () => {
    expect([...operationNames].sort()).toEqual(Object.keys(contract).sort());
  });

  it('every contract operation is reachable over IPC and runs the real handler', async () => {
    for (const name of operationNames) {
      const result = await ipc.call(trusted, name, { id: 'local' });
      // Each answers from the core; none is "unknown operation".
      if (!result.ok) expect(result.error.message, name).not.toMatch(/No operation named/);
    }
    const created = await ipc.call(trusted, 'createNode', { name: 'via-ipc' });
    expect(created).toMatchObject({ ok: true, value: { node: { name: 'via-ipc' } } });
  });

  it('refuses bad payloads, unknown operations and foreign senders with codes', async () => {
    expect(await ipc.call(trusted, 'createNode', { name: 42 })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expect(await ipc.call(trusted, 'dropTables', {})).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await ipc.call(trusted, '__proto__', {})).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await ipc.call(foreign, 'listNodes', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('the preload exposes one function per operation plus onEvent, and nothing else', async () => {
    await import('../../preload/index.js');
    const api = exposed.fleetdeck as Record<string, (input?: unknown) => Promise<unknown>>;
    expect(Object.keys(api).sort()).toEqual([...operationNames, 'onEvent'].sort());
    await api.getNode?.({ id: 'x' });
    expect(invoked.at(-1)).toEqual([IPC_INVOKE_CHANNEL, 'getNode', { id: 'x' }]);
  });
});
