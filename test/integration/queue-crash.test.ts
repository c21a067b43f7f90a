// Crashes: kill -9 of the master in the middle of a command stream (many trials) and of the agent in
// the middle of a command. Real processes, a real SQLite file, real commands with visible effects.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  getCommand,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});

function countLines(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n').filter(Boolean)) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

describe('master crash during a command stream', () => {
  it('loses no acknowledged command and runs none twice, over many kill -9 trials', async () => {
    const TRIALS = Number(process.env.FLEETDECK_CRASH_TRIALS ?? 8);
    const effects = join(tempDir(), 'effects.txt');
    let master = await startMaster({ args: ['--restart-grace-sec', '60'] });
    const dataDir = master.dataDir;
    const agentPort = master.agentPort;
    const { node, token } = await createNode(master, 'crash-target');
    const agent = startAgent({ master, token, args: ['--max-concurrent-commands', '4'] });
    cleanup.push(() => agent.stop('SIGKILL'));
    await waitForStatus(master, node.id, 'online');

    const acknowledged = new Map<string, string>(); // marker → command id
    const attempted = new Set<string>();
    let sequence = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const current: MasterHandle = master;
      let stop = false;
      const producer = (async () => {
        while (!stop) {
          const marker = `m-${trial}-${sequence++}`;
          attempted.add(marker);
          try {
            const response = await current.reply('enqueueCommands', {
              nodeIds: [node.id],
              exec: { command: `echo ${marker} >> ${effects}` },
            });
            if (response.status === 201) acknowledged.set(marker, response.body.commands[0]?.id as string);
          } catch {
            // the master died mid-request or refused it: this one was never acknowledged
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 900));
      current.proc.signal('SIGKILL');
      stop = true;
      await producer;
      await current.proc.exited;
      master = await startMaster({ dataDir, agentPort, args: ['--restart-grace-sec', '60'] });
    }
    cleanup.push(() => master.proc.stop());

    for (const [marker, id] of acknowledged) {
      const done = await waitForCommand(master, id, 30_000);
      expect(done.status, `${marker} ${id}`).toBe('succeeded');
    }
    const counts = countLines(effects);
    for (const marker of acknowledged.keys()) expect(counts.get(marker), marker).toBe(1);
    for (const [marker, n] of counts) {
      expect(attempted.has(marker)).toBe(true);
      expect(n, `${marker} ran ${n} times`).toBe(1);
    }
    expect(acknowledged.size).toBeGreaterThan(TRIALS * 5);
    await master.proc.stop();
    const db = new Sqlite(join(dataDir, 'fleetdeck.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  }, 240_000);
});

describe('agent crash mid-command', () => {
  let master: MasterHandle;
  const start = async () => {
    master = await startMaster();
    cleanup.push(() => master.proc.stop());
  };

  async function runAndKillAgent(retry?: { maxAttempts: number; delaySec: number }) {
    const stateDir = tempDir('fleetdeck-agent-state-');
    const effects = join(tempDir(), 'effects.txt');
    const { node, token } = await createNode(master, `victim-${Math.random()}`);
    let agent: Proc = startAgent({ master, token, args: ['--state-dir', stateDir] });
    cleanup.push(() => agent.stop('SIGKILL'));
    await waitForStatus(master, node.id, 'online');
    const response = await master.reply('enqueueCommands', {
      nodeIds: [node.id],
      exec: { command: `echo start >> ${effects}; sleep 2; echo end >> ${effects}` },
      ...(retry ? { retry } : {}),
    });
    const id = response.body.commands[0]?.id as string;
    await waitForCommand(master, id, 5_000, ['running']);
    await agent.stop('SIGKILL');
    agent = startAgent({ master, token, args: ['--state-dir', stateDir] });
    cleanup.push(() => agent.stop('SIGKILL'));
    return { id, node, effects };
  }

  it('marks the interrupted command lost, never silently running it again', async () => {
    await start();
    const { id, effects } = await runAndKillAgent();
    const done = await waitForCommand(master, id, 15_000);
    expect(done.status).toBe('lost');
    expect(done.error).toMatch(/outcome is unknown/);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(countLines(effects).get('start')).toBe(1);
    const list = await master.client.listCommands({ nodeId: done.nodeId });
    expect(list).toHaveLength(1);
  });

  it('re-runs it as a new, visible attempt when the retry policy says so', async () => {
    await start();
    const { id, node, effects } = await runAndKillAgent({ maxAttempts: 2, delaySec: 0 });
    expect((await waitForCommand(master, id, 15_000)).status).toBe('lost');
    const retry = await waitFor(async () => {
      const list = await master.client.listCommands({ nodeId: node.id });
      return list.find((c) => c.retryOf === id);
    }, 'the retry attempt');
    expect(retry.attempt).toBe(2);
    expect((await waitForCommand(master, retry.id, 15_000)).status).toBe('succeeded');
    expect(countLines(effects).get('start')).toBe(2);
    expect((await getCommand(master, id)).status).toBe('lost');
  });
});
