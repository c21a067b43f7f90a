// Absurd command times from an agent (issue 24, item 7): a start or finish of 1e300 is refused as a
// frame (it was retried forever on MariaDB: out of range for BIGINT), and a time the master's clock makes
// impossible (ten days ahead, or 1970) is recorded as the master's now, so the command still finishes.
// A raw protocol client plays the agent against a master in this process, on SQLite and MariaDB.

import { afterEach, describe, expect, it } from 'vitest';
import { desktopCaller } from '../../main/contract/caller.js';
import { invoke } from '../../main/contract/dispatch.js';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { RawAgent, resultOf } from '../helpers/raw-agent.js';

const DAY_MS = 86_400_000;
const targets: Array<{ name: string; dbUrl: () => Promise<{ url?: string; drop: () => Promise<void> }> }> = [
  { name: 'sqlite', dbUrl: async () => ({ drop: async () => undefined }) },
];
if (hasMariadb()) targets.push({ name: 'mariadb', dbUrl: freshMariadb });

interface CommandView {
  status: string;
  startedAt: number | null;
  finishedAt: number | null;
}

describe.each(targets)('agent-reported times on $name', (target) => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  });

  async function setUp() {
    const db = await target.dbUrl();
    stops.push(db.drop);
    const master = await Master.start({
      dataDir: tempDir('fleetdeck-times-'),
      agentListen: { host: '127.0.0.1', port: 0 },
      agentTls: true,
      log: silentLogger,
      ...(db.url ? { dbUrl: db.url } : {}),
    });
    stops.push(() => master.stop());
    const call = <T>(name: Parameters<typeof invoke>[1], input: unknown) =>
      invoke(master.handlers(), name, input, desktopCaller) as Promise<T>;
    const { node, token } = await call<{ node: { id: string }; token: string }>('createNode', { name: 'clock' });
    const agent = await RawAgent.connect(master, token, (ws) => stops.push(async () => ws.terminate()));
    const { commands } = await call<{ commands: Array<{ id: string }> }>('enqueueCommands', {
      nodeIds: [node.id],
      exec: { command: 'true' },
    });
    const id = (commands[0] as { id: string }).id;
    await waitFor(() => agent.commandIds().includes(id), 'the command at the agent');
    const view = () => call<CommandView>('getCommand', { id });
    return { agent, id, view };
  }

  it('records the master’s clock for a start ten days ahead and a finish in 1970', async () => {
    const { agent, id, view } = await setUp();
    const before = Date.now();
    agent.send({ type: 'started', id, at: before + 10 * DAY_MS });
    await waitFor(async () => (await view()).status === 'running', 'running');
    const result = resultOf(id);
    agent.send({ ...result, result: { ...result.result, startedAt: before + 10 * DAY_MS, finishedAt: 1 } });
    const done = await waitFor(async () => {
      const v = await view();
      return v.status === 'succeeded' ? v : null;
    }, 'the result');
    const after = Date.now();
    for (const t of [done.startedAt, done.finishedAt]) {
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThanOrEqual(after);
    }
    await waitFor(() => agent.received.some((m) => m.type === 'ack' && m.id === id), 'the ack');
  });

  it('refuses a finish of 1e300 as a frame, and stores the result sent right after', async () => {
    const { agent, id, view } = await setUp();
    const result = resultOf(id);
    agent.send({ ...result, result: { ...result.result, finishedAt: 1e300 } });
    await waitFor(() => agent.received.some((m) => m.type === 'error'), 'the error frame');
    agent.send(result);
    const done = await waitFor(async () => {
      const v = await view();
      return v.status === 'succeeded' ? v : null;
    }, 'the valid result');
    expect(done.finishedAt).toBe(result.result.finishedAt);
  });
});
