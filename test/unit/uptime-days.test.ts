// Daily uptime from the status history: the pure fold's edges (a node's first connect mid-day, an outage
// across midnight, one still going, flapping past the listed maximum, DST days), then the fleet read on
// both databases against a real registry's transitions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HelloMessage } from '../../agent/protocol.js';
import { EventBus } from '../../main/core/events.js';
import { DayCalendar } from '../../main/core/metrics/calendar.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import {
  DayFold,
  type DayRange,
  dayRanges,
  MAX_OUTAGES_PER_DAY,
  readDailyUptime,
  startOfDay,
} from '../../main/core/nodes/uptime-days.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const utc = new DayCalendar('UTC');
/** Noon of 2026-03-10 UTC; day 0 of the ranges below starts 3 days before its midnight. */
const NOON = Date.UTC(2026, 2, 10, 12);
const days = (n = 4): DayRange[] => dayRanges(NOON, n, utc);
const pick = (r: readonly DayRange[], i: number): DayRange => {
  const d = r[i];
  if (!d) throw new Error(`no day ${i}`);
  return d;
};
const online = (at: number) => ({ status: 'online', at, reason: 'connected' });
const offline = (at: number, reason = 'heartbeat timeout') => ({ status: 'offline', at, reason });

describe('day ranges', () => {
  it('are local days in the zone, today last, and 23 or 25 hours across a DST change', () => {
    const ranges = dayRanges(NOON, 3, utc);
    expect(ranges.map((d) => d.day)).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    expect(ranges[2]?.from).toBe(Date.UTC(2026, 2, 10));
    expect(ranges.every((d) => d.to - d.from === DAY)).toBe(true);
    // New York springs forward on 2026-03-08: that day has 23 hours, midnight is 05:00 UTC after it.
    const ny = new DayCalendar('America/New_York');
    const nyRanges = dayRanges(NOON, 3, ny);
    expect(nyRanges.map((d) => d.day)).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    expect((nyRanges[0] as DayRange).to - (nyRanges[0] as DayRange).from).toBe(23 * HOUR);
    expect(nyRanges[1]?.from).toBe(Date.UTC(2026, 2, 9, 4));
    expect(startOfDay(Date.UTC(2026, 2, 8, 3), ny)).toBe(Date.UTC(2026, 2, 7, 5));
    // Shanghai: UTC+8 all year, its day starts at 16:00 UTC the day before.
    expect(startOfDay(NOON, new DayCalendar('Asia/Shanghai'))).toBe(Date.UTC(2026, 2, 9, 16));
  });
});

describe('day fold', () => {
  it('leaves the days before the first connect unobserved and counts the first day from the connect', () => {
    const r = days();
    const fold = new DayFold(r, NOON, null, true);
    fold.add(online((r[2] as DayRange).from + 6 * HOUR));
    const result = fold.finish();
    expect(result.map((d) => d.ratio)).toEqual([null, null, 1, 1]);
    expect(result.every((d) => d.outageCount === 0)).toBe(true);
  });

  it('splits an outage across midnight and lists it on both days; today counts only up to now', () => {
    const r = days();
    const fold = new DayFold(r, NOON, online(pick(r, 0).from - DAY), true);
    const down = pick(r, 1).to - 2 * HOUR;
    const up = pick(r, 2).from + 4 * HOUR;
    fold.add(offline(down, 'heartbeat timeout'));
    fold.add(online(up));
    const [d0, d1, d2, d3] = fold.finish();
    expect(d0?.ratio).toBe(1);
    expect(d1?.ratio).toBeCloseTo(22 / 24);
    expect(d2?.ratio).toBeCloseTo(20 / 24);
    // Today: 12 h observed so far, all online.
    expect(d3?.ratio).toBe(1);
    for (const d of [d1, d2]) {
      expect(d?.outageCount).toBe(1);
      expect(d?.outages).toEqual([{ from: down, to: up, reason: 'heartbeat timeout' }]);
    }
    expect(d3?.outageCount).toBe(0);
  });

  it('keeps an outage that began before the window and is still going open, on every day it touched', () => {
    const r = days();
    const since = pick(r, 0).from - 3 * HOUR;
    const fold = new DayFold(r, NOON, offline(since, 'agent stopping'), true);
    const result = fold.finish();
    expect(result.map((d) => d.ratio)).toEqual([0, 0, 0, 0]);
    expect(result.map((d) => d.outageCount)).toEqual([1, 1, 1, 1]);
    expect(result[3]?.outages).toEqual([{ from: since, to: null, reason: 'agent stopping' }]);
  });

  it('counts every flap of a day but lists at most the first 20', () => {
    const r = days(1);
    const fold = new DayFold(r, NOON, online(pick(r, 0).from - HOUR), true);
    for (let i = 0; i < 30; i++) {
      const t = pick(r, 0).from + i * 60_000;
      fold.add(offline(t));
      fold.add(online(t + 30_000));
    }
    const [today] = fold.finish();
    expect(today?.outageCount).toBe(30);
    expect(today?.outages).toHaveLength(MAX_OUTAGES_PER_DAY);
    expect(today?.ratio).toBeCloseTo(1 - (30 * 30_000) / (12 * HOUR));
  });

  it('ignores a repeated offline mark and lists no outages without detail', () => {
    const r = days(1);
    const fold = new DayFold(r, NOON, online(pick(r, 0).from - HOUR), false);
    fold.add(offline(pick(r, 0).from + HOUR, 'first'));
    fold.add(offline(pick(r, 0).from + 2 * HOUR, 'again'));
    fold.add(online(pick(r, 0).from + 3 * HOUR));
    const [today] = fold.finish();
    expect(today?.outageCount).toBe(1);
    expect(today?.outages).toEqual([]);
    expect(today?.ratio).toBeCloseTo(10 / 12);
  });
});

const hello: HelloMessage = {
  type: 'hello',
  protocol: 1,
  agentVersion: 'test',
  facts: { hostname: 'h', os: 'linux', platform: 'linux', arch: 'x64', kernel: '6', bootId: 'b' },
  capabilities: { exec: true, files: false, filesWrite: false, roots: [] },
  running: [],
};

describe.each(storeTargets())('daily uptime read on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let clock: number;
  let registry: NodeRegistry;

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
    clock = NOON - 3 * DAY;
    registry = new NodeRegistry(store.db, new EventBus(), () => clock, 'instance');
  });
  afterEach(() => cleanup());

  it('answers every node from one pass over the window, paged through many events', async () => {
    const steady = (await registry.create({ name: 'steady' })).node;
    const flaky = (await registry.create({ name: 'flaky' })).node;
    const never = (await registry.create({ name: 'never' })).node;
    clock -= 10 * DAY; // steady connected long before the window
    await registry.markOnline(steady.id, hello, '127.0.0.1', 'connected');
    clock += 10 * DAY;
    await registry.markOnline(flaky.id, hello, '127.0.0.1', 'connected');
    // 3,000 half-minute outages (6,000 events: more than one page) over the next 50 hours, written as
    // the registry writes transitions (in bulk: one transaction each would take a minute on MariaDB).
    const rows: Array<{ node_id: string; status: 'online' | 'offline'; at: number; reason: string }> = [];
    for (let i = 0; i < 3_000; i++) {
      rows.push({ node_id: flaky.id, status: 'offline', at: clock + 30_000, reason: 'gone' });
      rows.push({ node_id: flaky.id, status: 'online', at: clock + 60_000, reason: 'connected' });
      clock += 60_000;
    }
    for (let i = 0; i < rows.length; i += 500) {
      await store.db
        .insertInto('node_status_events')
        .values(rows.slice(i, i + 500))
        .execute();
    }
    clock = NOON;
    const ranges = dayRanges(clock, 5, utc);
    const result = await readDailyUptime(store.db, null, ranges, clock, false);
    expect(result.get(steady.id)?.map((d) => d.ratio)).toEqual([1, 1, 1, 1, 1]);
    expect(result.get(never.id)?.map((d) => d.ratio)).toEqual([null, null, null, null, null]);
    const flakyDays = result.get(flaky.id) ?? [];
    // Connected at noon of day 1; flapping at half uptime all of day 2; steady since day 3's afternoon.
    expect(flakyDays[0]?.ratio).toBeNull();
    expect(flakyDays[1]?.ratio).toBeCloseTo(0.5, 2);
    expect(flakyDays[2]?.ratio).toBeCloseTo(0.5, 2);
    expect(flakyDays[2]?.outageCount).toBe(1_440);
    expect(flakyDays[4]?.ratio).toBe(1);
    expect(flakyDays.reduce((n, d) => n + d.outageCount, 0)).toBe(3_000);
    // One node's detail lists its outages, bounded per day.
    const detail = (await readDailyUptime(store.db, [flaky.id], ranges, clock, true)).get(flaky.id) ?? [];
    expect(detail.map((d) => d.outageCount)).toEqual(flakyDays.map((d) => d.outageCount));
    expect(detail.every((d) => d.outages.length <= MAX_OUTAGES_PER_DAY)).toBe(true);
    expect(detail[2]?.outages[0]).toMatchObject({ reason: 'gone' });
  });
});
