// Uptime history for 24 h, 30 d and 90 d: ratio, downtime and distinct outages exact against status
// events constructed by hand, through the contract's handlers, on SQLite and MariaDB.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desktopCaller } from '../../main/contract/caller.js';
import { EventBus } from '../../main/core/events.js';
import { DayCalendar } from '../../main/core/metrics/calendar.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { DayFold, hourRanges, MAX_PERIOD_OUTAGES, periodRanges } from '../../main/core/nodes/uptime-days.js';
import { uptimeHandlers } from '../../main/core/nodes/uptime-handlers.js';
import { readProbeUptimeWindows } from '../../main/core/probes/uptime.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const utc = new DayCalendar('UTC');
/** 12:30 UTC on 2026-03-10. */
const NOW = Date.UTC(2026, 2, 10, 12, 30);

describe('period bars', () => {
  it('are 24 whole hours with the current one last, or 30 / 90 local days with today last', () => {
    const hours = hourRanges(NOW, 24);
    expect(hours).toHaveLength(24);
    expect(hours[23]).toEqual({
      day: '2026-03-10T12:00Z',
      from: Date.UTC(2026, 2, 10, 12),
      to: Date.UTC(2026, 2, 10, 13),
    });
    expect(hours[0]?.from).toBe(Date.UTC(2026, 2, 9, 13));
    expect(periodRanges('30d', NOW, utc)).toHaveLength(30);
    const ninety = periodRanges('90d', NOW, utc);
    expect(ninety).toHaveLength(90);
    expect(ninety[89]?.day).toBe('2026-03-10');
    expect(ninety[0]?.day).toBe('2025-12-11');
  });

  it('count an outage across several bars once for the period, and keep the newest 50 listed', () => {
    const hours = hourRanges(NOW, 24);
    const start = (hours[0]?.from ?? 0) - HOUR;
    const fold = new DayFold(hours, NOW, { status: 'online', at: start, reason: 'connected' }, true);
    // One outage over three hours (10:15 yesterday+… spanning bars 2–4), then 60 one-minute blips.
    const a = (hours[2]?.from ?? 0) + 15 * MIN;
    fold.add({ status: 'offline', at: a, reason: 'heartbeat timeout' });
    fold.add({ status: 'online', at: a + 2 * HOUR + 30 * MIN, reason: 'connected' });
    const blipsFrom = hours[10]?.from ?? 0;
    for (let i = 0; i < 60; i++) {
      fold.add({ status: 'offline', at: blipsFrom + i * 2 * MIN, reason: `blip ${i}` });
      fold.add({ status: 'online', at: blipsFrom + i * 2 * MIN + MIN, reason: 'connected' });
    }
    const r = fold.finishPeriod();
    expect(r.outageCount).toBe(61);
    expect(r.outages).toHaveLength(MAX_PERIOD_OUTAGES);
    expect(r.outages[MAX_PERIOD_OUTAGES - 1]?.reason).toBe('blip 59');
    expect(r.days.slice(2, 5).map((d) => d.outageCount)).toEqual([1, 1, 1]);
    const observed = 23 * HOUR + 30 * MIN; // 23 whole hours and the current half hour
    expect(r.downtimeMs).toBe(2 * HOUR + 30 * MIN + 60 * MIN);
    expect(r.ratio).toBe((observed - r.downtimeMs) / observed);
  });
});

describe.each(storeTargets())('uptime history on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
  });
  afterEach(() => cleanup());

  it('answers ratio, downtime and outages per node exactly for 24 h, 30 d and 90 d', async () => {
    const registry = new NodeRegistry(store.db, new EventBus(), () => NOW - 200 * DAY, 'instance');
    const web = (await registry.create({ name: 'web' })).node;
    const fresh = (await registry.create({ name: 'fresh' })).node;
    const never = (await registry.create({ name: 'never' })).node;
    const events = [
      // web: online 120 days ago; a 6 h outage 60 days ago; a 90 min one 37 h ago that crosses
      // midnight (23:30 on the 8th to 01:00); a 10 min one 3 h ago; offline again for the last 20 min.
      { node_id: web.id, status: 'online', at: NOW - 120 * DAY, reason: 'connected' },
      { node_id: web.id, status: 'offline', at: NOW - 60 * DAY, reason: 'heartbeat timeout' },
      { node_id: web.id, status: 'online', at: NOW - 60 * DAY + 6 * HOUR, reason: 'connected' },
      { node_id: web.id, status: 'offline', at: NOW - 37 * HOUR, reason: 'agent stopping' },
      { node_id: web.id, status: 'online', at: NOW - 37 * HOUR + 90 * MIN, reason: 'connected' },
      { node_id: web.id, status: 'offline', at: NOW - 3 * HOUR, reason: 'heartbeat timeout' },
      { node_id: web.id, status: 'online', at: NOW - 3 * HOUR + 10 * MIN, reason: 'connected' },
      { node_id: web.id, status: 'offline', at: NOW - 20 * MIN, reason: 'connection closed' },
      // fresh: first connected 5 hours ago, never down since.
      { node_id: fresh.id, status: 'online', at: NOW - 5 * HOUR, reason: 'connected' },
    ] as const;
    await store.db
      .insertInto('node_status_events')
      .values(events.map((e) => ({ ...e })))
      .execute();
    const handlers = uptimeHandlers(store.db, registry, utc, () => NOW);

    // 24 h: bars from 13:00 yesterday; observed 23.5 h; down 10 min + 20 min (the 37 h one is older).
    const h24 = await handlers.nodeUptimeDays({ id: web.id, days: 30, period: '24h' }, desktopCaller);
    const observed24 = 23 * HOUR + 30 * MIN;
    expect(h24.unit).toBe('hour');
    expect(h24.days).toHaveLength(24);
    expect(h24.downtimeMs).toBe(30 * MIN);
    expect(h24.ratio).toBe((observed24 - 30 * MIN) / observed24);
    expect(h24.outageCount).toBe(2);
    expect(h24.outages).toEqual([
      { from: NOW - 3 * HOUR, to: NOW - 3 * HOUR + 10 * MIN, reason: 'heartbeat timeout' },
      { from: NOW - 20 * MIN, to: null, reason: 'connection closed' },
    ]);

    // 30 d: days from 2026-02-09 00:00; the 40 h outage (across midnight) counts once, on two days.
    const d30 = await handlers.nodeUptimeDays({ id: web.id, days: 30, period: '30d' }, desktopCaller);
    const observed30 = 29 * DAY + 12 * HOUR + 30 * MIN;
    expect(d30.unit).toBe('day');
    expect(d30.downtimeMs).toBe(90 * MIN + 10 * MIN + 20 * MIN);
    expect(d30.ratio).toBe((observed30 - d30.downtimeMs) / observed30);
    expect(d30.outageCount).toBe(3);
    const byDay = new Map(d30.days.map((d) => [d.day, d]));
    expect(byDay.get('2026-03-08')?.outageCount).toBe(1);
    expect(byDay.get('2026-03-09')?.outageCount).toBe(1);
    expect(byDay.get('2026-03-08')?.ratio).toBe((DAY - 30 * MIN) / DAY);
    expect(byDay.get('2026-03-09')?.ratio).toBe((DAY - 60 * MIN) / DAY);
    expect(byDay.get('2026-03-10')?.ratio).toBe((12 * HOUR) / (12 * HOUR + 30 * MIN));

    // 90 d: the 6 h outage of 60 days ago counts too.
    const d90 = await handlers.nodeUptimeDays({ id: web.id, days: 30, period: '90d' }, desktopCaller);
    const observed90 = 89 * DAY + 12 * HOUR + 30 * MIN;
    expect(d90.downtimeMs).toBe(6 * HOUR + 120 * MIN);
    expect(d90.ratio).toBe((observed90 - d90.downtimeMs) / observed90);
    expect(d90.outageCount).toBe(4);

    // The fleet's answer agrees, and a node is observed only from its first connect.
    const fleet = await handlers.fleetUptime({ days: 30, period: '90d' }, desktopCaller);
    const row = (id: string) => fleet.nodes.find((n) => n.nodeId === id);
    expect(row(web.id)).toMatchObject({ ratio: d90.ratio, outageCount: 4 });
    expect(row(web.id)?.permille).toEqual(d90.days.map((d) => (d.ratio === null ? null : Math.round(d.ratio * 1000))));
    expect(row(web.id)?.outages).toEqual(d90.days.map((d) => d.outageCount));
    expect(row(fresh.id)).toMatchObject({ ratio: 1, outageCount: 0 });
    expect(row(fresh.id)?.permille.filter((p) => p !== null)).toEqual([1000]);
    expect(row(never.id)).toMatchObject({ ratio: null, outageCount: 0 });
    const fleet24 = await handlers.fleetUptime({ days: 30, period: '24h' }, desktopCaller);
    expect(fleet24.unit).toBe('hour');
    expect(fleet24.nodes.find((n) => n.nodeId === fresh.id)?.permille.filter((p) => p !== null)).toHaveLength(6);
    expect(fleet24.nodes.find((n) => n.nodeId === web.id)?.ratio).toBe(h24.ratio);
    // Without a period, `days` still picks the bars (the fleet view's default answer).
    expect((await handlers.fleetUptime({ days: 7 }, desktopCaller)).days).toHaveLength(7);
  });

  it("lets the master's other work run while it reads a large fleet's bars", async () => {
    const registry = new NodeRegistry(store.db, new EventBus(), () => NOW - 200 * DAY, 'instance');
    const nodes = await registry.createMany(Array.from({ length: 3_000 }, (_v, i) => ({ name: `n-${i}` })));
    await store.db
      .insertInto('node_status_events')
      .values(
        nodes.map(({ node }) => ({ node_id: node.id, status: 'online', at: NOW - 10 * DAY, reason: 'connected' })),
      )
      .execute();
    const handlers = uptimeHandlers(store.db, registry, utc, () => NOW);
    // What waits for the event loop (an agent's frame, a heartbeat) gets turns during the read.
    let turns = 0;
    let reading = true;
    const turn = () => {
      turns += 1;
      if (reading) setImmediate(turn);
    };
    setImmediate(turn);
    const fleet = await handlers.fleetUptime({ days: 30, period: '90d' }, desktopCaller);
    reading = false;
    expect(fleet.nodes).toHaveLength(3_000);
    expect(fleet.nodes[0]?.permille.filter((p) => p === 1000)).toHaveLength(11);
    expect(turns).toBeGreaterThan(2);
  });

  it('answers probe verdicts the same way: 24 h and 90 d from one read, exact', async () => {
    await store.db
      .insertInto('probes')
      .values({ id: 'prb_web', name: 'web', enabled: 1, spec: '{}', created_at: NOW - 100 * DAY, updated_at: NOW })
      .execute();
    // First verdict 50 days ago; down 2 h 30 days ago; down 15 min 5 h ago; down since 10 min ago.
    const verdicts = [
      { state: 'up', at: NOW - 50 * DAY },
      { state: 'down', at: NOW - 30 * DAY },
      { state: 'up', at: NOW - 30 * DAY + 2 * HOUR },
      { state: 'down', at: NOW - 5 * HOUR },
      { state: 'up', at: NOW - 5 * HOUR + 15 * MIN },
      { state: 'down', at: NOW - 10 * MIN },
    ] as const;
    await store.db
      .insertInto('probe_events')
      .values(verdicts.map((v) => ({ probe_id: 'prb_web', state: v.state, at: v.at, reason: 'quorum' })))
      .execute();
    const windows = [periodRanges('24h', NOW, utc), periodRanges('90d', NOW, utc)];
    const [h24, d90] = (await readProbeUptimeWindows(store.db, ['prb_web'], windows, NOW)).get('prb_web') ?? [];
    const observed24 = 23 * HOUR + 30 * MIN;
    expect(h24?.downtimeMs).toBe(25 * MIN);
    expect(h24?.ratio).toBe((observed24 - 25 * MIN) / observed24);
    expect(h24?.outageCount).toBe(2);
    expect(h24?.state).toBe('offline');
    // Observed from the first verdict (50 days ago), not the 90 days.
    expect(d90?.downtimeMs).toBe(2 * HOUR + 25 * MIN);
    expect(d90?.ratio).toBe((50 * DAY - (d90?.downtimeMs ?? 0)) / (50 * DAY));
    expect(d90?.outageCount).toBe(3);
    expect(d90?.days.filter((d) => d.ratio === null)).toHaveLength(39);
  });
});
