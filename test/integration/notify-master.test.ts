// Notifications from a real headless master process to a real HTTP receiver on loopback, across
// kill -9 and a receiver outage. Transitions are committed straight into the master's SQLite file
// through the outbox (enqueueTransitions, the call alert evaluation makes in its state change's
// transaction), so the moment of the state change is the test's to choose.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../main/core/alerts/transition.js';
import { enqueueTransitions } from '../../main/core/notify/outbox.js';
import { openStore, type Store } from '../../main/core/store/store.js';
import { type MasterHandle, startMaster, tempDir, waitFor } from '../helpers/processes.js';
import { Receiver } from '../helpers/receivers.js';

const FAST_RETRY = ['--notify-retry-base-ms', '300', '--notify-retry-max-ms', '3000'];

function transition(id: string, ruleId: string, node: number, state: 'firing' | 'resolved', channelId: string) {
  const t: AlertTransition = {
    id,
    ruleId,
    ruleName: `Rule ${ruleId}`,
    severity: 'warning',
    alertKey: `${ruleId}/node-${node}`,
    nodeId: `node-${node}`,
    nodeName: `db-${node}`,
    labels: {},
    state,
    value: 95,
    threshold: 90,
    unit: '%',
    forSec: 60,
    summary: `disk 95 % on db-${node}`,
    at: Date.now(),
    channelIds: [channelId],
  };
  return t;
}

interface Body {
  idempotencyKey: string;
  kind: string;
  transitionIds: string[];
}

describe('notifications from a real master', () => {
  let master: MasterHandle | null = null;
  let receiver: Receiver | null = null;
  let store: Store | null = null;

  afterEach(async () => {
    await store?.close();
    await master?.proc.stop();
    await receiver?.down();
    master = receiver = store = null;
  });

  const start = async (dataDir: string) => {
    master = await startMaster({ dataDir, args: FAST_RETRY });
    return master;
  };
  /** The state change's transaction, from this second process: SQLite refuses a read that turns into a
   * write while the master wrote meanwhile (it answers "locked" at once), so it is simply run again. */
  const commit = async (t: AlertTransition[]) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await (store as Store).db.transaction().execute((trx) => enqueueTransitions(trx, t));
      } catch (error) {
        if (!/locked|busy/i.test((error as Error).message) || attempt > 50) throw error;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const bodies = () => (receiver as Receiver).received.map((r) => JSON.parse(r.body) as Body);
  const carrying = (id: string) => bodies().filter((b) => b.transitionIds.includes(id));

  it('delivers exactly once when the master is killed -9 between the state change and the send (20 trials)', async () => {
    receiver = await Receiver.start();
    const dataDir = tempDir('fleetdeck-notify-kill-');
    const first = await start(dataDir);
    const channel = await first.client.createChannel({
      name: 'receiver',
      groupWaitSec: 1,
      groupIntervalSec: 1,
      repeatIntervalSec: 0,
      settings: { kind: 'webhook', url: `${receiver.url}/hook` },
    });
    store = await openStore(join(dataDir, 'fleetdeck.db'));
    for (let trial = 0; trial < 20; trial++) {
      const id = `kill-${trial}`;
      await commit([transition(id, `rule-${trial}`, trial, 'firing', channel.id)]);
      // Anywhere inside the group wait: committed, not yet sent.
      await new Promise((r) => setTimeout(r, Math.random() * 800));
      (master as MasterHandle).proc.signal('SIGKILL');
      await (master as MasterHandle).proc.exited;
      expect(carrying(id), `trial ${trial}: sent before the kill`).toEqual([]);
      const restarted = await start(dataDir);
      const [sent] = await waitFor(
        () => (carrying(id).length > 0 ? carrying(id) : null),
        `trial ${trial}'s notification`,
        15_000,
      );
      // The next kill must fall between that trial's state change and its send, not between this
      // send and its record (that crash may re-send once with the same key, by design): wait for it.
      await waitFor(
        async () =>
          (await restarted.client.listDeliveries({ limit: 5 })).some(
            (d) => d.id === sent?.idempotencyKey && d.status === 'delivered',
          ),
        `trial ${trial}'s delivery recorded`,
        15_000,
      );
    }
    // A pass after the last delivery sends nothing more.
    await new Promise((r) => setTimeout(r, 2_500));
    for (let trial = 0; trial < 20; trial++) expect(carrying(`kill-${trial}`), `trial ${trial}`).toHaveLength(1);
    expect(new Set(bodies().map((b) => b.idempotencyKey)).size).toBe(20);
  }, 300_000);

  it('re-sends once with the same key when killed mid-send, and the log says the attempt was cut off', async () => {
    receiver = await Receiver.start();
    const dataDir = tempDir('fleetdeck-notify-midsend-');
    const first = await start(dataDir);
    const channel = await first.client.createChannel({
      name: 'slow receiver',
      groupWaitSec: 0,
      groupIntervalSec: 1,
      repeatIntervalSec: 0,
      settings: { kind: 'webhook', url: `${receiver.url}/hook` },
    });
    store = await openStore(join(dataDir, 'fleetdeck.db'));
    receiver.answer = 'hang';
    await commit([transition('mid-send', 'rule-x', 1, 'firing', channel.id)]);
    await waitFor(() => carrying('mid-send').length === 1, 'the first attempt to arrive');
    (master as MasterHandle).proc.signal('SIGKILL');
    await (master as MasterHandle).proc.exited;
    receiver.answer = { status: 200 };
    const second = await start(dataDir);
    await waitFor(() => carrying('mid-send').length === 2, 'the re-send after the restart', 15_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const sent = carrying('mid-send');
    expect(sent).toHaveLength(2);
    expect(sent[0]?.idempotencyKey).toBe(sent[1]?.idempotencyKey);
    const [entry] = await second.client.listDeliveries({ channelId: channel.id });
    expect(entry?.status).toBe('delivered');
    expect(entry?.attempts.map((a) => a.outcome)).toEqual(['interrupted', 'delivered']);
  }, 60_000);

  it('a receiver down for 2 minutes gets every notification when it returns; meanwhile the channel shows failing', async () => {
    receiver = await Receiver.start();
    const dataDir = tempDir('fleetdeck-notify-outage-');
    const m = await start(dataDir);
    const channel = await m.client.createChannel({
      name: 'outage',
      groupWaitSec: 0,
      groupIntervalSec: 1,
      repeatIntervalSec: 0,
      settings: { kind: 'webhook', url: `${receiver.url}/hook` },
    });
    store = await openStore(join(dataDir, 'fleetdeck.db'));
    await receiver.down();
    const outageStart = Date.now();
    // Alerts keep firing and resolving during the outage: 4 rules, one resolved later.
    const expected: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = `outage-fire-${i}`;
      expected.push(id);
      await commit([transition(id, `rule-${i}`, i, 'firing', channel.id)]);
      await new Promise((r) => setTimeout(r, 20_000));
    }
    expected.push('outage-resolve-0');
    await commit([transition('outage-resolve-0', 'rule-0', 0, 'resolved', channel.id)]);
    const during = await m.client.getChannel({ id: channel.id });
    expect(during.health.state).toBe('failing');
    expect(during.health.lastError).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(during.health.pending).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, Math.max(0, outageStart + 120_000 - Date.now())));
    await receiver.up();
    await waitFor(() => expected.every((id) => carrying(id).length > 0), 'every notification after the outage', 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    for (const id of expected) expect(carrying(id), id).toHaveLength(1);
    // Composed order is kept: rule-0's resolved message comes after its firing one.
    const order = bodies().map((b) => b.transitionIds[0]);
    expect(order.indexOf('outage-resolve-0')).toBeGreaterThan(order.indexOf('outage-fire-0'));
    const after = await m.client.getChannel({ id: channel.id });
    expect(after.health).toMatchObject({ state: 'ok', failures: 0, pending: 0 });
    const metrics = await fetch(new URL('/metrics', m.adminUrl), {
      headers: { authorization: `Bearer ${m.adminToken}` },
    });
    const text = await metrics.text();
    expect(text).toMatch(
      new RegExp(`fleetdeck_notification_delivery_failures_total\\{channel_id="${channel.id}"\\} [1-9]`),
    );
    expect(text).toContain(`fleetdeck_notification_channel_failing{channel_id="${channel.id}"} 0`);
    expect(text).toContain(
      `fleetdeck_notification_channel_info{channel_id="${channel.id}",name="outage",kind="webhook"} 1`,
    );
    if (spawnSync('promtool', ['--version']).status === 0) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    }
  }, 240_000);
});
