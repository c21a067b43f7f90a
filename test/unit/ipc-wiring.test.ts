// The Electron wiring, driven with fakes: no Electron binary can run here, so IpcMain, the
// context bridge and ipcRenderer are stand-ins with the same shape. The handlers behind them are real.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { contract } from '../../main/contract/contract.js';
import { IPC_INVOKE_CHANNEL, IPC_STREAMS_CHANNEL, operationNames } from '../../main/contract/operation-names.js';
import type { IpcResult } from '../../main/contract/wire.js';
import { silentLogger } from '../../main/core/log.js';
import { appOrigins, type DesktopStreams, startDesktopStreams } from '../../main/electron/desktop-streams.js';
import { type IpcInvokeEvent, type IpcMainLike, registerIpc } from '../../main/electron/ipc.js';
import { ipcTransport } from '../../renderer/src/transport.js';
import { ADMIN_TOKEN, startInProcess } from '../helpers/in-process.js';

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
let streams: DesktopStreams;
const ipc = new FakeIpcMain();
beforeAll(async () => {
  core = await startInProcess();
  streams = await startDesktopStreams(core.master, silentLogger, appOrigins(undefined));
  registerIpc(
    ipc,
    core.master.handlers(),
    (e) => e.sender.id === 1 && e.senderFrame?.url.startsWith('file://') === true,
    { base: streams.base, token: streams.token },
  );
});
afterAll(async () => {
  await streams.stop();
  await core.stop();
});

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
    // The refused field travels with its path, for the desktop app's forms to mark it.
    expect(await ipc.call(trusted, 'createNode', { name: 42 })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', issues: [{ path: ['name'], message: expect.any(String) }] },
    });
    expect(await ipc.call(trusted, 'dropTables', {})).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await ipc.call(trusted, '__proto__', {})).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await ipc.call(foreign, 'listNodes', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it("hands the transfer endpoint to the app's own frame only", async () => {
    const channel = ipc.handlers.get(IPC_STREAMS_CHANNEL);
    expect(await channel?.(trusted)).toEqual({ ok: true, value: { base: streams.base, token: streams.token } });
    expect(await channel?.(foreign)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it("the app's terminal sockets go to the stream server (its page is file://), which serves them", async () => {
    // The renderer's IPC transport with a bridge whose streamEndpoint is the real IPC handler.
    const bridge = {
      streamEndpoint: () => ipc.handlers.get(IPC_STREAMS_CHANNEL)?.(trusted) as Promise<IpcResult>,
    } as unknown as Parameters<typeof ipcTransport>[0];
    const transport = ipcTransport(bridge);
    const path = '/api/terminals/t0123456789abcde/socket';
    const url = await transport.socketUrl(path);
    expect(url).toBe(`${streams.base.replace(/^http/, 'ws')}${path}`);
    // The stream server answers the upgrade itself: a made-up ticket is refused by the terminal
    // socket handler (401), not by a missing route or a closed port.
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${url}?ticket=made-up`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('opened with a made-up ticket')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
  });

  it("the transfer endpoint streams files for the app's page with its launch token, and nothing else", async () => {
    // The built-in local node shares the home directory.
    const dir = join(os.homedir(), `.fleetdeck-desktop-test-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, 'a.txt'), 'desktop bytes');
      const url = `${streams.base}/api/nodes/local/files/content?path=${encodeURIComponent(join(dir, 'a.txt'))}`;
      const origin = { origin: 'file://' };
      const preflight = await fetch(url, {
        method: 'OPTIONS',
        headers: { ...origin, 'access-control-request-method': 'GET' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('file://');
      const auth = { authorization: `Bearer ${streams.token}` };
      const download = await fetch(url, { headers: { ...auth, ...origin } });
      expect(download.status).toBe(200);
      expect(await download.text()).toBe('desktop bytes');
      expect(download.headers.get('access-control-allow-origin')).toBe('file://');
      const put = await fetch(
        `${streams.base}/api/nodes/local/files/content?path=${encodeURIComponent(join(dir, 'b.txt'))}`,
        {
          method: 'PUT',
          headers: auth,
          body: 'uploaded from the app',
        },
      );
      expect(put.status).toBe(201);
      // The admin token is not accepted here, and nothing but transfers is served.
      expect((await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(401);
      expect((await fetch(`${streams.base}/api/nodes`, { headers: auth })).status).toBe(404);
      const evil = await fetch(url, { headers: { ...auth, origin: 'https://evil.example' } });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the preload exposes one function per operation plus onEvent, and nothing else', async () => {
    await import('../../preload/index.js');
    const api = exposed.fleetdeck as Record<string, (input?: unknown) => Promise<unknown>>;
    expect(Object.keys(api).sort()).toEqual([...operationNames, 'onEvent', 'streamEndpoint', 'saveFile'].sort());
    await api.getNode?.({ id: 'x' });
    expect(invoked.at(-1)).toEqual([IPC_INVOKE_CHANNEL, 'getNode', { id: 'x' }]);
  });
});
