// The built-in local node is the agent's own work (agent/agent-work.ts) served in-process: a real
// master in this process on a real SQLite file, real commands and real files on this machine.
// Each path the local node shares with the agent is crossed once: hello, a command and its cancel,
// file RPCs, a transfer each way (binary frames both directions), metrics, and the shutdown wait.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { desktopCaller } from '../../main/contract/caller.js';
import { invoke } from '../../main/contract/dispatch.js';
import { silentLogger } from '../../main/core/log.js';
import { LOCAL_NODE_ID, Master } from '../../main/core/master.js';
import { pidAlive, tempDir, waitFor } from '../helpers/processes.js';

const TERMINAL = ['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted', 'lost'];
const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

/** A master in this process; `stop` runs once, here or at the end of the suite. */
async function startMaster(dataDir: string): Promise<Master & { stopOnce(): Promise<void> }> {
  const master = await Master.start({
    dataDir,
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: false,
    log: silentLogger,
  });
  let stopping: Promise<void> | null = null;
  const stopOnce = () => {
    stopping ??= master.stop();
    return stopping;
  };
  cleanup.push(stopOnce);
  return Object.assign(master, { stopOnce });
}

async function enqueueLocal(master: Master, command: string): Promise<string> {
  const { commands } = (await invoke(
    master.handlers(),
    'enqueueCommands',
    {
      nodeIds: [LOCAL_NODE_ID],
      exec: { command },
    },
    desktopCaller,
  )) as { commands: Array<{ id: string }> };
  return commands[0]?.id as string;
}

const statusOf = async (master: Master, id: string) =>
  (await master.handlers().getCommand({ id }, desktopCaller)).status;

async function finished(master: Master, id: string) {
  await waitFor(async () => TERMINAL.includes(await statusOf(master, id)), `command ${id} finishing`, 15_000);
  return master.handlers().getCommand({ id }, desktopCaller);
}

/** The shell's pid from its first output line: `exec` makes it the pid of what runs next. */
function firstOutputPid(master: Master, id: string): Promise<number> {
  return new Promise((resolve) => {
    const unsubscribe = master.bus.subscribe((m) => {
      if (m.event !== 'commandOutput' || m.data.id !== id) return;
      unsubscribe();
      resolve(Number.parseInt(m.data.data, 10));
    });
  });
}

describe('the built-in local node', () => {
  it("is online with the agent's hello: host facts, exec and files under the home directory", async () => {
    const master = await startMaster(tempDir('fleetdeck-local-'));
    const node = await master.handlers().getNode({ id: LOCAL_NODE_ID }, desktopCaller);
    expect(node).toMatchObject({
      kind: 'local',
      status: 'online',
      capabilities: { exec: true, files: true, filesWrite: true, roots: [homedir()] },
    });
    await master.stopOnce();
  });

  it('runs a command, stops one on cancel, serves file RPCs, transfers both ways and reports metrics', async () => {
    const master = await startMaster(tempDir('fleetdeck-local-'));
    const echoed = await finished(master, await enqueueLocal(master, 'echo from-the-master-host'));
    expect(echoed).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: 'from-the-master-host\n' });

    const long = await enqueueLocal(master, 'echo $$; exec sleep 30');
    const pid = await firstOutputPid(master, long);
    await master.handlers().cancelCommand({ id: long }, desktopCaller);
    expect((await finished(master, long)).status).toBe('cancelled');
    expect(pidAlive(pid)).toBe(false);

    const dir = mkdtempSync(join(homedir(), '.fleetdeck-local-node-test-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    await master.handlers().makeDirectory({ id: LOCAL_NODE_ID, path: join(dir, 'a/b'), parents: true }, desktopCaller);
    const listed = await master.handlers().listFiles({ id: LOCAL_NODE_ID, path: dir, limit: 10 }, desktopCaller);
    expect(listed.entries.map((e) => [e.name, e.type])).toEqual([['a', 'directory']]);

    // Three frames' worth: the upload crosses as binary frames to the node, the download back.
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 'fleetdeck');
    const sha256 = createHash('sha256').update(body).digest('hex');
    const path = join(dir, 'a/b/up.bin');
    const up = await master.transfers.upload(LOCAL_NODE_ID, path, Readable.from([body]), {
      overwrite: false,
      sha256,
      size: body.length,
    });
    expect(up).toEqual({ bytes: body.length, sha256 });
    expect(readFileSync(path).equals(body)).toBe(true);
    writeFileSync(join(dir, 'down.bin'), body.subarray(0, 2 * 1024 * 1024 + 5));
    const down = await master.transfers.download(LOCAL_NODE_ID, join(dir, 'down.bin'), 1, null);
    const chunks: Buffer[] = [];
    for await (const chunk of down.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(body.subarray(1, 2 * 1024 * 1024 + 5))).toBe(true);

    await waitFor(
      async () => (await master.handlers().liveMetrics({ id: LOCAL_NODE_ID }, desktopCaller)).latest !== null,
      'a local metrics sample',
      10_000,
    );
    await master.stopOnce();
  });

  it('a master stop ends the commands it runs before it closes, and a restart finds them finished', async () => {
    const dataDir = tempDir('fleetdeck-local-');
    const master = await startMaster(dataDir);
    const id = await enqueueLocal(master, 'echo $$; exec sleep 30');
    const pid = await firstOutputPid(master, id);
    await master.stopOnce();
    expect(pidAlive(pid)).toBe(false);

    const again = await startMaster(dataDir);
    expect(TERMINAL).toContain((await finished(again, id)).status);
    await again.stopOnce();
  });
});
