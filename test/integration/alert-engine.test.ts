// Alert evaluation on a real store (a SQLite file, and MariaDB when present) with the real registry,
// rules and state store: samples are handed to the engine as the metrics service hands them
// (snapshots), so the sequences are exact. The notify outbox is a recorder that writes into the
// same transaction, which shows a transition exists exactly when its state change does.

import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desktopCaller } from '../../main/contract/caller.js';
import { Alerting } from '../../main/core/alerts/alerting.js';
import type { AlertTransition } from '../../main/core/alerts/transition.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { DayCalendar } from '../../main/core/metrics/calendar.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';
import { waitFor } from '../helpers/processes.js';

function snapshot(t: number, cpu: number) {
  return {
    t,
    bootId: 'boot',
    uptimeSec: 100,
    continuity: 'contiguous',
    cpu: { usage: cpu, iowait: 0, steal: 0, cores: [] },
    load: [0.5, 0.5, 0.5],
    memory: { total: 1000, used: 100, available: 900 },
    swap: null,
    disks: [],
    diskIo: null,
    net: null,
    connections: null,
    processes: null,
  } as never;
}

for (const target of storeTargets()) {
  describe(`alert evaluation on ${target.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let bus: EventBus;
    let registry: NodeRegistry;
    let delivered: AlertTransition[];
    let outboxFails: boolean;
    const running: Alerting[] = [];

    beforeEach(async () => {
      ({ store, cleanup } = await target.open());
      bus = new EventBus();
      registry = new NodeRegistry(store.db, bus);
      delivered = [];
      outboxFails = false;
      await store.db.schema
        .createTable('outbox_stand_in')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .execute();
    });

    afterEach(async () => {
      for (const a of running.splice(0)) await a.stop();
      await cleanup();
    });

    async function alerting(): Promise<Alerting> {
      const a = new Alerting({
        db: store.db,
        dialect: store.dialect,
        bus,
        log: silentLogger,
        registry,
        tasks: null as never,
        masterVersion: '1.0.0',
        billing: { calendar: new DayCalendar('UTC'), billingDay: 1 },
        shared: false,
        // Writes in the caller's transaction: rolled back with it, or committed with it.
        enqueueTransitions: async (trx, transitions) => {
          for (const t of transitions) {
            await (trx as never as typeof store.db)
              .insertInto('outbox_stand_in' as never)
              .values({ id: t.id } as never)
              .execute();
          }
          if (outboxFails) throw new Error('outbox unavailable');
          delivered.push(...transitions);
        },
      });
      await a.start();
      running.push(a);
      return a;
    }

    async function history() {
      return store.db.selectFrom('alert_history').selectAll().orderBy('id').execute();
    }

    async function node(name: string, labels: Record<string, string> = {}) {
      return (await registry.create({ name, labels })).node;
    }

    it('fires once after the duration, stays firing between the thresholds, resolves below the recovery', async () => {
      const web = await node('web-1');
      const a = await alerting();
      await a.rules.createRule({
        name: 'CPU hot',
        enabled: true,
        severity: 'critical',
        condition: { kind: 'cpu', op: 'above', threshold: 90, recovery: 70, forSec: 10 },
        scope: {},
        channelIds: ['ch1'],
        action: null,
      });
      await a.engine.reloadConfig();
      const t0 = 1_000_000;
      // 12 s above 90, then 80 (between), then 60 (recovered).
      for (let i = 0; i <= 12; i++) a.engine.observe(web.id, snapshot(t0 + i * 1000, 95));
      for (let i = 13; i <= 20; i++) a.engine.observe(web.id, snapshot(t0 + i * 1000, 80));
      await a.engine.flush();
      expect(delivered.map((t) => t.state)).toEqual(['firing']);
      expect(delivered[0]).toMatchObject({
        ruleName: 'CPU hot',
        severity: 'critical',
        nodeName: 'web-1',
        value: 95,
        threshold: 90,
        unit: '%',
        forSec: 10,
        channelIds: ['ch1'],
        at: t0 + 10_000,
        summary: 'CPU 95 % for 10 s on web-1',
      });
      a.engine.observe(web.id, snapshot(t0 + 21_000, 60));
      await a.engine.flush();
      expect(delivered.map((t) => t.state)).toEqual(['firing', 'resolved']);
      expect(delivered[1]?.summary).toBe('CPU back to 60 % on web-1');
      const rows = await history();
      expect(rows.map((r) => [r.state, Number(r.silenced)])).toEqual([
        ['firing', 0],
        ['resolved', 0],
      ]);
      // The outbox rows were written in the same transactions as these.
      const outbox = await store.db
        .selectFrom('outbox_stand_in' as never)
        .selectAll()
        .execute();
      expect(outbox).toHaveLength(2);
    });

    it('a silenced rule records its alerts as silenced and sends nothing; a maintenance window does the same', async () => {
      const db = await node('db-1', { role: 'db' });
      const web = await node('web-2', { role: 'web' });
      const a = await alerting();
      const rule = await a.rules.createRule({
        name: 'CPU any',
        enabled: true,
        severity: 'warning',
        condition: { kind: 'cpu', op: 'above', threshold: 50, forSec: 0 },
        scope: {},
        channelIds: [],
        action: null,
      });
      await a.rules.createSilence({
        ruleId: rule.id,
        selector: { role: 'db' },
        comment: 'db work',
        endsAt: Date.now() + 3_600_000,
      });
      // A window open right now: started at the top of this minute, for an hour.
      await a.rules.createMaintenance({
        name: 'web deploys',
        cron: '* * * * *',
        durationSec: 3600,
        timezone: 'UTC',
        enabled: true,
        ruleId: null,
        selector: { role: 'web' },
        comment: '',
      });
      await a.engine.reloadConfig();
      const now = Date.now();
      a.engine.observe(db.id, snapshot(now, 99));
      a.engine.observe(web.id, snapshot(now, 99));
      a.engine.observe(db.id, snapshot(now + 1000, 1));
      await a.engine.flush();
      expect(delivered).toEqual([]);
      const rows = await history();
      expect(rows.map((r) => [r.node_name, r.state, Number(r.silenced)]).sort()).toEqual([
        ['db-1', 'firing', 1],
        ['db-1', 'resolved', 1],
        ['web-2', 'firing', 1],
      ]);
      const listed = await a.handlers().listAlerts({ state: 'firing' }, desktopCaller);
      expect(listed).toMatchObject([{ nodeName: 'web-2', silenced: true, state: 'firing' }]);
    });

    it('pending and firing state survive a restart: the same alert resolves once and does not fire again', async () => {
      const web = await node('web-3');
      const first = await alerting();
      await first.rules.createRule({
        name: 'CPU',
        enabled: true,
        severity: 'warning',
        condition: { kind: 'cpu', op: 'above', threshold: 90, forSec: 5 },
        scope: { nodeIds: [web.id] },
        channelIds: [],
        action: null,
      });
      await first.engine.reloadConfig();
      const t0 = 2_000_000;
      for (let i = 0; i <= 5; i++) first.engine.observe(web.id, snapshot(t0 + i * 1000, 95));
      await first.stop();
      running.splice(running.indexOf(first), 1);
      const second = await alerting();
      second.engine.observe(web.id, snapshot(t0 + 6000, 96));
      second.engine.observe(web.id, snapshot(t0 + 7000, 10));
      await second.engine.flush();
      expect(delivered.map((t) => t.state)).toEqual(['firing', 'resolved']);
      // A pending condition keeps its start across a restart: 3 s before, 2 s after, fires at 5 s.
      const third = second;
      for (let i = 10; i <= 12; i++) third.engine.observe(web.id, snapshot(t0 + i * 1000, 95));
      await third.stop();
      running.splice(running.indexOf(third), 1);
      const fourth = await alerting();
      fourth.engine.observe(web.id, snapshot(t0 + 14_000, 95));
      await fourth.engine.flush();
      expect(delivered).toHaveLength(2);
      fourth.engine.observe(web.id, snapshot(t0 + 15_000, 95));
      await fourth.engine.flush();
      expect(delivered.map((t) => [t.state, t.at])).toEqual([
        ['firing', t0 + 5000],
        ['resolved', t0 + 7000],
        ['firing', t0 + 15_000],
      ]);
    });

    it('an outbox that fails rolls the state change back with it, and the change is committed on the next try', async () => {
      const web = await node('web-4');
      const a = await alerting();
      await a.rules.createRule({
        name: 'CPU',
        enabled: true,
        severity: 'info',
        condition: { kind: 'cpu', op: 'above', threshold: 90, forSec: 0 },
        scope: {},
        channelIds: [],
        action: null,
      });
      await a.engine.reloadConfig();
      outboxFails = true;
      a.engine.observe(web.id, snapshot(Date.now(), 99));
      await a.engine.flush();
      expect(await history()).toHaveLength(0);
      expect(await store.db.selectFrom('alert_states').selectAll().execute()).toHaveLength(0);
      outboxFails = false;
      await a.engine.flush();
      expect(delivered.map((t) => t.state)).toEqual(['firing']);
      expect(await history()).toHaveLength(1);
    });

    it('an offline node fires after its grace on the leader only, and resolves when it is back', async () => {
      const web = await node('web-5');
      // Offline, last seen 10 s ago, as the registry records a lost connection.
      await store.db
        .updateTable('nodes')
        .set({ status: 'offline', last_seen_at: Date.now() - 10_000 })
        .where('id', '=', web.id)
        .execute();
      const a = await alerting();
      await a.rules.createRule({
        name: 'Offline',
        enabled: true,
        severity: 'critical',
        condition: { kind: 'offline', graceSec: 5 },
        scope: {},
        channelIds: [],
        action: null,
      });
      await a.engine.reloadConfig();
      await new Promise((r) => setTimeout(r, 1500));
      await a.engine.flush();
      expect(delivered).toEqual([]);
      await a.engine.setLeader(true);
      await waitFor(async () => {
        await a.engine.flush();
        return delivered.length === 1;
      }, 'the offline alert');
      expect(delivered[0]).toMatchObject({ state: 'firing', summary: 'web-5 offline for more than 5 s', forSec: 5 });
      // Pretend it reconnected: the status event is what the index follows.
      await store.db.updateTable('nodes').set({ status: 'online' }).where('id', '=', web.id).execute();
      bus.emit('nodeStatus', { nodeId: web.id, status: 'online', at: Date.now(), reason: 'test' });
      await waitFor(async () => {
        await a.engine.flush();
        return delivered.length === 2;
      }, 'the resolution');
      expect(delivered[1]).toMatchObject({ state: 'resolved', summary: 'web-5 back online' });
      await new Promise((r) => setTimeout(r, 1200));
      await a.engine.flush();
      expect(delivered).toHaveLength(2);
    });

    it('flap damping: with resolveAfterSec a brief recovery sends nothing; without it, a resolved + firing pair', async () => {
      const damped = await node('damped');
      const plain = await node('plain');
      const a = await alerting();
      const cpu = { kind: 'cpu' as const, op: 'above' as const, threshold: 90, forSec: 0 };
      const rule = await a.rules.createRule({
        name: 'damped',
        enabled: true,
        severity: 'warning',
        condition: cpu,
        scope: { nodeIds: [damped.id] },
        channelIds: [],
        action: null,
        resolveAfterSec: 10,
      });
      expect((await a.rules.getRule(rule.id)).resolveAfterSec).toBe(10);
      await a.rules.createRule({
        name: 'plain',
        enabled: true,
        severity: 'warning',
        condition: cpu,
        scope: { nodeIds: [plain.id] },
        channelIds: [],
        action: null,
      });
      await a.engine.reloadConfig();
      const t0 = 2_000_000;
      // 95, then 5 s recovered, 95 again, then recovered for good.
      const values = [95, 50, 50, 50, 50, 50, 95, ...Array(12).fill(50)];
      for (const [i, v] of values.entries()) {
        a.engine.observe(damped.id, snapshot(t0 + i * 1000, v));
        a.engine.observe(plain.id, snapshot(t0 + i * 1000, v));
      }
      await a.engine.flush();
      const of = (name: string) => delivered.filter((t) => t.nodeName === name).map((t) => [t.state, t.at - t0]);
      expect(of('plain')).toEqual([
        ['firing', 0],
        ['resolved', 1000],
        ['firing', 6000],
        ['resolved', 7000],
      ]);
      // Recovered at 7 s and stayed so: resolved 10 s later, once.
      expect(of('damped')).toEqual([
        ['firing', 0],
        ['resolved', 17_000],
      ]);
    });

    it('flap damping holds a node that is back online for resolveAfterSec before "back online"', async () => {
      const web = await node('flappy');
      await store.db
        .updateTable('nodes')
        .set({ status: 'offline', last_seen_at: Date.now() - 10_000 })
        .where('id', '=', web.id)
        .execute();
      const a = await alerting();
      await a.rules.createRule({
        name: 'Offline',
        enabled: true,
        severity: 'critical',
        condition: { kind: 'offline', graceSec: 1 },
        scope: {},
        channelIds: [],
        action: null,
        resolveAfterSec: 2,
      });
      await a.engine.reloadConfig();
      await a.engine.setLeader(true);
      await waitFor(async () => {
        await a.engine.flush();
        return delivered.length === 1;
      }, 'the offline alert');
      const back = Date.now();
      await store.db.updateTable('nodes').set({ status: 'online' }).where('id', '=', web.id).execute();
      bus.emit('nodeStatus', { nodeId: web.id, status: 'online', at: back, reason: 'test' });
      await waitFor(async () => {
        await a.engine.flush();
        return delivered.length === 2;
      }, 'the damped resolution');
      expect(delivered[1]).toMatchObject({ state: 'resolved', summary: 'flappy back online' });
      expect(delivered[1]?.at ?? 0).toBeGreaterThanOrEqual(back + 2000);
    });

    it('disabling a rule resolves its firing alerts with a message, deleting one too; pending ones are cleared', async () => {
      const web = await node('web-9');
      const a = await alerting();
      const spec = (name: string, forSec: number) => ({
        name,
        enabled: true,
        severity: 'warning' as const,
        condition: { kind: 'cpu' as const, op: 'above' as const, threshold: 90, forSec },
        scope: {},
        channelIds: ['ch1'],
        action: null,
      });
      const disabled = await a.rules.createRule(spec('to disable', 0));
      const deleted = await a.rules.createRule(spec('to delete', 0));
      const pending = await a.rules.createRule(spec('still pending', 600));
      await a.engine.reloadConfig();
      a.engine.observe(web.id, snapshot(3_000_000, 95));
      await a.engine.flush();
      expect(delivered.map((t) => [t.ruleName, t.state])).toEqual([
        ['to disable', 'firing'],
        ['to delete', 'firing'],
      ]);
      const states = () =>
        store.db.selectFrom('alert_states').select(['rule_id', 'state']).orderBy('rule_id').execute();
      expect((await states()).map((r) => r.state).sort()).toEqual(['firing', 'firing', 'pending']);

      await a.rules.updateRule(disabled.id, { enabled: false });
      await a.rules.updateRule(pending.id, { enabled: false });
      await a.engine.reloadConfig();
      await a.engine.flush();
      expect(delivered[2]).toMatchObject({
        ruleName: 'to disable',
        state: 'resolved',
        channelIds: ['ch1'],
        summary: 'rule "to disable" was disabled: alert closed on web-9',
      });
      expect(delivered).toHaveLength(3);
      expect(await states()).toEqual([
        { rule_id: disabled.id, state: 'resolved' },
        { rule_id: deleted.id, state: 'firing' },
      ]);

      await a.rules.deleteRule(deleted.id);
      await a.engine.reloadConfig();
      await a.engine.flush();
      expect(delivered[3]).toMatchObject({
        ruleName: 'to delete',
        state: 'resolved',
        summary: 'rule "to delete" was deleted: alert closed on web-9',
      });
      expect(await states()).toEqual([{ rule_id: disabled.id, state: 'resolved' }]);
      const rows = await history();
      expect(rows.map((r) => [r.rule_name, r.state])).toEqual([
        ['to disable', 'firing'],
        ['to delete', 'firing'],
        ['to disable', 'resolved'],
        ['to delete', 'resolved'],
      ]);
      // Nothing more on the next reloads (another instance polling, a restart).
      await a.engine.reloadConfig();
      await a.engine.flush();
      expect(delivered).toHaveLength(4);
    });

    it('keeps the rule kinds open: an unknown kind is refused in words, and stored specs are read back', async () => {
      const a = await alerting();
      const created = await a.rules.createRule({
        name: 'quota',
        enabled: true,
        severity: 'warning',
        condition: { kind: 'traffic', direction: 'total', quotaLabel: 'quota', percent: 80, forecastDays: 3 },
        scope: { selector: { tier: 'edge' } },
        channelIds: [],
        action: null,
      });
      expect(await a.rules.getRule(created.id)).toMatchObject({ condition: { kind: 'traffic', percent: 80 } });
      const raw = await sql<{ n: number }>`select count(*) as n from alert_rules`.execute(store.db);
      expect(Number(raw.rows[0]?.n)).toBe(1);
    });
  });
}
