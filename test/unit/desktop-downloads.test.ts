// The desktop app's downloads, driven with fakes for what only Electron has (IpcMain, the native
// save dialog); the master core, the local node's file service and the files on disk are real.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IPC_SAVE_FILE_CHANNEL } from '../../main/contract/operation-names.js';
import type { IpcResult } from '../../main/contract/wire.js';
import { registerDesktopDownloads, type ShowSaveDialog } from '../../main/electron/desktop-downloads.js';
import type { IpcInvokeEvent, IpcMainLike } from '../../main/electron/ipc.js';
import { startInProcess } from '../helpers/in-process.js';
import { tempDir } from '../helpers/processes.js';

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>) {
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  save(event: IpcInvokeEvent, input: unknown) {
    return this.handlers.get(IPC_SAVE_FILE_CHANNEL)?.(event, input) as Promise<IpcResult>;
  }
}

const trusted: IpcInvokeEvent = { sender: { id: 1 }, senderFrame: { url: 'file:///app/index.html' } };
const foreign: IpcInvokeEvent = { sender: { id: 2 }, senderFrame: { url: 'https://evil.example/' } };

let core: Awaited<ReturnType<typeof startInProcess>>;
const ipc = new FakeIpcMain();
// The local node shares the home directory: the remote side of these downloads lives there.
const share = join(os.homedir(), `.fleetdeck-desktop-downloads-${process.pid}`);
const saveTo = tempDir('fleetdeck-saved-');
let answer: Awaited<ReturnType<ShowSaveDialog>> = { canceled: true };
const asked: string[] = [];

beforeAll(async () => {
  core = await startInProcess();
  mkdirSync(share, { recursive: true });
  registerDesktopDownloads(ipc, {
    master: core.master,
    downloadsDir: '/home/someone/Downloads',
    isTrustedSender: (e) => e.sender.id === 1,
    showSaveDialog: async ({ defaultPath }) => {
      asked.push(defaultPath);
      return answer;
    },
  });
});
afterAll(async () => {
  rmSync(share, { recursive: true, force: true });
  await core.stop();
});

describe('desktop downloads', () => {
  it('asks where to save, then streams the file there under its real name only when complete', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 5, 9);
    writeFileSync(join(share, 'report.bin'), data);
    answer = { canceled: false, filePath: join(saveTo, 'chosen.bin') };
    const result = await ipc.save(trusted, {
      nodeId: 'local',
      path: join(share, 'report.bin'),
      transferId: '0123456789abcdef',
    });
    expect(result).toEqual({ ok: true, value: { saved: true, path: join(saveTo, 'chosen.bin'), bytes: data.length } });
    expect(asked.at(-1)).toBe('/home/someone/Downloads/report.bin');
    const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(hash(readFileSync(join(saveTo, 'chosen.bin')))).toBe(hash(data));
    expect(readdirSync(saveTo)).toEqual(['chosen.bin']);
  });

  it('a dismissed dialog saves nothing; refusals keep their codes; foreign frames are refused', async () => {
    answer = { canceled: true };
    const path = join(share, 'report.bin');
    expect(await ipc.save(trusted, { nodeId: 'local', path, transferId: '0123456789abcde0' })).toEqual({
      ok: true,
      value: { saved: false },
    });
    expect(
      await ipc.save(trusted, { nodeId: 'local', path: '/etc/passwd', transferId: '0123456789abcde1' }),
    ).toMatchObject({ ok: false, error: { code: 'outside_roots' } });
    expect(await ipc.save(trusted, { nodeId: 'local', path, transferId: 'not-hex' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expect(await ipc.save(foreign, { nodeId: 'local', path, transferId: '0123456789abcde2' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('a download cancelled midway leaves neither the file nor its part file', async () => {
    const big = join(share, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 1024 * 1024 * 1024); // sparse: long enough to be cancelled midway
    answer = { canceled: false, filePath: join(saveTo, 'big.bin') };
    const transferId = 'fedcba9876543210';
    const saving = ipc.save(trusted, { nodeId: 'local', path: big, transferId });
    // Cancelled through the same operation the transfer queue uses.
    await expect
      .poll(async () => (await core.client.controlTransfer({ id: transferId, action: 'cancel' }).catch(() => null))?.ok)
      .toBe(true);
    expect(await saving).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(existsSync(join(saveTo, 'big.bin'))).toBe(false);
    expect(existsSync(join(saveTo, 'big.bin.fleetdeck-part'))).toBe(false);
  });
});
