// The outbox on real databases: a transition is queued exactly when the caller's transaction commits.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../main/core/alerts/transition.js';
import { enqueueTransitions } from '../../main/core/notify/outbox.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

function transition(n: number, channelIds: string[]): AlertTransition {
  return {
    id: `t-${n}`,
    ruleId: 'rule-offline',
    ruleName: 'Node offline',
    severity: 'critical',
    alertKey: `rule-offline/node-${n}/${'m'.repeat(n === 0 ? 400 : 1)}`,
    nodeId: `node-${n}`,
    nodeName: `web-${n}`,
    labels: { env: 'prod' },
    state: 'firing',
    value: null,
    threshold: null,
    unit: null,
    forSec: 60,
    summary: `web-${n} offline`,
    at: 1_000 + n,
    channelIds,
  };
}

async function addChannel(store: Store, id: string, enabled: boolean): Promise<void> {
  await store.db
    .insertInto('notify_channels')
    .values({
      id,
      name: id,
      kind: 'webhook',
      config: '{}',
      secrets: null,
      enabled: enabled ? 1 : 0,
      group_wait_sec: 10,
      group_interval_sec: 60,
      repeat_interval_sec: 3600,
      failures: 0,
      last_error: null,
      last_failure_at: null,
      last_success_at: null,
      created_at: 1,
      updated_at: 1,
    })
    .execute();
}

describe.each(storeTargets())('the notification outbox on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
    await addChannel(store, 'on', true);
    await addChannel(store, 'off', false);
  });
  afterEach(() => cleanup());

  const queued = () =>
    store.db.selectFrom('notify_outbox').select(['transition_id', 'channel_id', 'alert_key']).orderBy('id').execute();

  it('queues with the committed state change, once, for enabled channels that exist', async () => {
    const batch = Array.from({ length: 600 }, (_, n) => transition(n, ['on', 'off', 'gone', 'on']));
    await store.db.transaction().execute((trx) => enqueueTransitions(trx, batch));
    await store.db.transaction().execute((trx) => enqueueTransitions(trx, batch.slice(0, 10)));
    const rows = await queued();
    expect(rows).toHaveLength(600);
    expect(new Set(rows.map((r) => r.channel_id))).toEqual(new Set(['on']));
    // A key longer than the column is kept as its hash, so it still identifies the alert.
    expect(rows[0]?.alert_key).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('queues nothing when the state change rolls back', async () => {
    await expect(
      store.db.transaction().execute(async (trx) => {
        await enqueueTransitions(trx, [transition(1, ['on'])]);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await queued()).toEqual([]);
  });
});
