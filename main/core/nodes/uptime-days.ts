// Daily uptime from the status history: per node and calendar day, the share of the observed time it
// was online and the outages that touched the day. A node is observed from its first connect (the
// hours before an agent was started are not downtime) until now. The fleet's answer reads the window's
// events once for every node, in pages, folding each into its node's days as it goes: memory stays
// nodes × days, however long the history is.
import type { Kysely } from 'kysely';
import { type DayCalendar, parseYmd } from '../metrics/calendar.js';
import type { Database } from '../store/schema.js';

/** Outages listed per day in a node's detail; the rest are counted. */
export const MAX_OUTAGES_PER_DAY = 20;
/** Outages listed for a whole period (the most recent ones); the rest are counted. */
export const MAX_PERIOD_OUTAGES = 50;
const HOUR_MS = 3_600_000;

/** The windows uptime history is asked for: 24 hourly bars, or 30 / 90 local days. */
export const UPTIME_PERIODS = ['24h', '30d', '90d'] as const;
export type UptimePeriod = (typeof UPTIME_PERIODS)[number];
const EVENT_PAGE = 5_000;
const ID_CHUNK = 500;

export interface DayRange {
  day: string;
  from: number;
  to: number;
}

export interface Outage {
  from: number;
  /** null: still offline. */
  to: number | null;
  reason: string;
}

export interface DayUptime extends DayRange {
  /** Online share of the observed part of the day; null when nothing was observed (before the first connect). */
  ratio: number | null;
  outageCount: number;
  outages: Outage[];
}

export interface StatusEventRow {
  status: string;
  at: number;
  reason: string;
}

/** Offset of `zone` from UTC at instant `t`, in ms. */
function zoneOffset(t: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant the local day containing `t` began in `zone` (twice refined: DST moves the offset). */
export function startOfDay(t: number, calendar: DayCalendar): number {
  const { year, month, day } = parseYmd(calendar.dayOf(t));
  const midnightUtc = Date.UTC(year, month - 1, day);
  let start = midnightUtc - zoneOffset(t, calendar.timeZone);
  start = midnightUtc - zoneOffset(start, calendar.timeZone);
  return start;
}

/** The last `days` local days, oldest first; the last is today (it ends at the next midnight). */
export function dayRanges(now: number, days: number, calendar: DayCalendar): DayRange[] {
  const out: DayRange[] = [];
  let start = startOfDay(now, calendar);
  let end = startOfDay(start + 36 * 3_600_000, calendar);
  for (let i = 0; i < days; i++) {
    out.push({ day: calendar.dayOf(start), from: start, to: end });
    end = start;
    start = startOfDay(start - 1, calendar);
  }
  return out.reverse();
}

/**
 * The last `hours` whole hours (UTC hours: every zone's hour boundaries but a few half-hour zones'),
 * oldest first; the last is the current hour. `day` names the hour as `YYYY-MM-DDTHH:00Z`.
 */
export function hourRanges(now: number, hours: number): DayRange[] {
  const current = Math.floor(now / HOUR_MS) * HOUR_MS;
  const out: DayRange[] = [];
  for (let i = hours - 1; i >= 0; i--) {
    const from = current - i * HOUR_MS;
    out.push({ day: `${new Date(from).toISOString().slice(0, 13)}:00Z`, from, to: from + HOUR_MS });
  }
  return out;
}

/** A period's bars: hours for 24 h, local days of the calendar for 30 and 90 days. */
export function periodRanges(period: UptimePeriod, now: number, calendar: DayCalendar): DayRange[] {
  if (period === '24h') return hourRanges(now, 24);
  return dayRanges(now, period === '30d' ? 30 : 90, calendar);
}

/** The buckets of one subject and its whole period: ratio, distinct outages (the newest listed). */
export interface UptimeFoldResult {
  days: DayUptime[];
  /** Online share of everything observed in the period; null when it was never observed. */
  ratio: number | null;
  /** Offline time observed in the period, ms. */
  downtimeMs: number;
  /** Distinct outages that touched the period (one across midnight counts once here). */
  outageCount: number;
  /** The newest `MAX_PERIOD_OUTAGES` of them, oldest first. */
  outages: Outage[];
  /** The state after the last event: online, offline, or never observed. */
  state: 'online' | 'offline' | 'unobserved';
}

/** A fleet bar's period: see DayFold.finishSummary. */
export interface UptimeSummary {
  ratio: number | null;
  outageCount: number;
  /** Per bucket, oldest first: the online share in permille; null: not observed. */
  permille: Array<number | null>;
  /** Per bucket: the outages that touched it. */
  outages: number[];
}

/**
 * One node's days, fed its status events in order. `before` is the last event before the first day
 * (null: the node had not connected by then).
 */
export class DayFold {
  private readonly online: number[];
  private readonly observed: number[];
  private readonly counts: number[];
  private readonly lists: Outage[][];
  private state: 'unobserved' | 'online' | 'offline';
  private since: number;
  private outage: { from: number; reason: string } | null = null;
  private periodCount = 0;
  private readonly periodList: Outage[] = [];

  constructor(
    private readonly days: readonly DayRange[],
    private readonly now: number,
    before: StatusEventRow | null,
    private readonly detail: boolean,
  ) {
    const n = days.length;
    this.online = new Array(n).fill(0);
    this.observed = new Array(n).fill(0);
    this.counts = new Array(n).fill(0);
    this.lists = Array.from({ length: n }, () => []);
    this.since = days[0]?.from ?? now;
    this.state = before === null ? 'unobserved' : before.status === 'online' ? 'online' : 'offline';
    if (this.state === 'offline' && before) this.outage = { from: before.at, reason: before.reason };
  }

  add(event: StatusEventRow): void {
    const at = this.clamp(event.at);
    this.segment(this.since, at);
    this.since = at;
    if (event.status === 'online') {
      if (this.outage) this.closeOutage(event.at);
      this.state = 'online';
    } else if (this.state !== 'offline') {
      this.outage = { from: event.at, reason: event.reason };
      this.state = 'offline';
    }
  }

  finish(): DayUptime[] {
    return this.finishPeriod().days;
  }

  /** The buckets and the whole period at once (call once: it closes an outage still going). */
  finishPeriod(): UptimeFoldResult {
    this.close();
    const { online, observed } = this.totals();
    return {
      days: this.days.map((d, i) => ({
        ...d,
        ratio: this.share(i),
        outageCount: this.counts[i] as number,
        outages: this.lists[i] as Outage[],
      })),
      ratio: observed > 0 ? Math.min(1, online / observed) : null,
      downtimeMs: observed - online,
      outageCount: this.periodCount,
      outages: this.periodList,
      state: this.state,
    };
  }

  /**
   * The fleet's view of the period: each bucket's online share in permille and its outage count, no
   * bucket objects (10,000 nodes × 90 days of them took seconds of the master's only thread). Call once,
   * instead of finishPeriod.
   */
  finishSummary(): UptimeSummary {
    this.close();
    const { online, observed } = this.totals();
    return {
      ratio: observed > 0 ? Math.min(1, online / observed) : null,
      outageCount: this.periodCount,
      permille: this.days.map((_d, i) => {
        const share = this.share(i);
        return share === null ? null : Math.round(share * 1000);
      }),
      outages: this.counts,
    };
  }

  /** Bucket i's online share of its observed time; null when none of it was observed. */
  private share(i: number): number | null {
    const seen = this.observed[i] as number;
    return seen > 0 ? Math.min(1, (this.online[i] as number) / seen) : null;
  }

  /** Online and observed time over the whole period, ms. */
  private totals(): { online: number; observed: number } {
    let online = 0;
    let observed = 0;
    for (let i = 0; i < this.days.length; i++) {
      online += this.online[i] as number;
      observed += this.observed[i] as number;
    }
    return { online, observed };
  }

  /** Counts the time up to now and closes an outage still going. */
  private close(): void {
    const end = this.clamp(this.now);
    this.segment(this.since, end);
    this.since = end;
    if (this.outage) this.closeOutage(null);
  }

  private clamp(t: number): number {
    const first = this.days[0]?.from ?? t;
    const last = Math.min(this.days[this.days.length - 1]?.to ?? t, this.now);
    return Math.min(Math.max(t, first), last);
  }

  /** Time in [a, b) spent in the current state, split over the days. */
  private segment(a: number, b: number): void {
    if (b <= a || this.state === 'unobserved') return;
    this.eachDay(a, b, (i, overlap) => {
      (this.observed[i] as number) += overlap;
      if (this.state === 'online') (this.online[i] as number) += overlap;
    });
  }

  /** An outage counts on every day it touched (a zero-length one on the day it happened). */
  private closeOutage(to: number | null): void {
    const outage = { ...(this.outage as { from: number; reason: string }), to };
    this.outage = null;
    // Over before the window began (a fold fed a wider window's events): not this window's.
    if (to !== null && to < (this.days[0]?.from ?? to)) return;
    const a = this.clamp(outage.from);
    const b = Math.max(a + 1, this.clamp(to ?? this.now));
    let touched = false;
    this.eachDay(a, b, (i) => {
      touched = true;
      (this.counts[i] as number) += 1;
      const list = this.lists[i] as Outage[];
      if (this.detail && list.length < MAX_OUTAGES_PER_DAY) list.push(outage);
    });
    if (!touched) return;
    this.periodCount += 1;
    if (!this.detail) return;
    this.periodList.push(outage);
    if (this.periodList.length > MAX_PERIOD_OUTAGES) this.periodList.shift();
  }

  private eachDay(a: number, b: number, f: (index: number, overlap: number) => void): void {
    this.days.forEach((d, i) => {
      const overlap = Math.min(b, d.to) - Math.max(a, d.from);
      if (overlap > 0) f(i, overlap);
    });
  }
}

/**
 * Daily uptime of the given nodes (null: every node) over the days. Three reads: each node's last
 * event before the window (one index seek per node), those events by id, and the window's events in
 * (at, id) order, page by page.
 */
export async function readDailyUptime(
  db: Kysely<Database>,
  nodeIds: string[] | null,
  days: readonly DayRange[],
  now: number,
  detail: boolean,
): Promise<Map<string, DayUptime[]>> {
  const read = await readUptime(db, nodeIds, days, now, detail);
  return new Map([...read].map(([id, r]) => [id, r.days]));
}

/** As `readDailyUptime`, with each node's whole period (ratio, downtime, distinct outages) beside its buckets. */
export async function readUptime(
  db: Kysely<Database>,
  nodeIds: string[] | null,
  days: readonly DayRange[],
  now: number,
  detail: boolean,
): Promise<Map<string, UptimeFoldResult>> {
  const read = await readUptimeWindows(db, nodeIds, [days], now, detail);
  return new Map([...read].map(([id, [r]]) => [id, r as UptimeFoldResult]));
}

/**
 * Several windows (say 24 h of hours and 90 days) from one read of the widest: every fold is fed the
 * same events in order; one before its own window only sets its state (its time is clamped to the
 * window's start), so each answer equals a read of its window alone.
 */
export function readUptimeWindows(
  db: Kysely<Database>,
  nodeIds: string[] | null,
  windows: ReadonlyArray<readonly DayRange[]>,
  now: number,
  detail: boolean,
): Promise<Map<string, UptimeFoldResult[]>> {
  return foldWindows(db, nodeIds, windows, now, detail, (fold) => fold.finishPeriod());
}

/** Every node's summary of one window (the fleet's bars): see DayFold.finishSummary. */
export async function readFleetUptime(
  db: Kysely<Database>,
  days: readonly DayRange[],
  now: number,
): Promise<Map<string, UptimeSummary>> {
  const read = await foldWindows(db, null, [days], now, false, (fold) => fold.finishSummary());
  return new Map([...read].map(([id, [r]]) => [id, r as UptimeSummary]));
}

/** Nodes folded (or finished) between two yields to the event loop. */
const FOLD_SLICE = 1_000;
/**
 * Lets the rest of the master run: SQLite answers synchronously, so without this a 10,000-node
 * fleet's read is one task of a second or more, and agents' frames and heartbeats wait behind it.
 */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function foldWindows<R>(
  db: Kysely<Database>,
  nodeIds: string[] | null,
  windows: ReadonlyArray<readonly DayRange[]>,
  now: number,
  detail: boolean,
  finish: (fold: DayFold) => R,
): Promise<Map<string, R[]>> {
  const from = Math.min(...windows.map((days) => days[0]?.from ?? now));
  const to = Math.min(Math.max(...windows.map((days) => days[days.length - 1]?.to ?? now)), now);
  let nodes = db
    .selectFrom('nodes as n')
    .select((eb) => [
      'n.id as id',
      eb
        .selectFrom('node_status_events as e')
        .select('e.id')
        .whereRef('e.node_id', '=', 'n.id')
        .where('e.at', '<', from)
        .orderBy('e.at', 'desc')
        .orderBy('e.id', 'desc')
        .limit(1)
        .as('beforeId'),
    ]);
  if (nodeIds) nodes = nodes.where('n.id', 'in', nodeIds.length > 0 ? nodeIds : ['']);
  const rows = await nodes.execute();
  const before = new Map<string, StatusEventRow>();
  const beforeIds = rows.map((r) => r.beforeId).filter((id): id is number => id !== null && id !== undefined);
  for (let i = 0; i < beforeIds.length; i += ID_CHUNK) {
    const found = await db
      .selectFrom('node_status_events')
      .select(['node_id', 'status', 'at', 'reason'])
      .where('id', 'in', beforeIds.slice(i, i + ID_CHUNK).map(Number))
      .execute();
    for (const e of found) before.set(e.node_id, { status: e.status, at: Number(e.at), reason: e.reason });
    await yieldToLoop();
  }
  const folds = new Map(
    rows.map((r) => [r.id, windows.map((days) => new DayFold(days, now, before.get(r.id) ?? null, detail))]),
  );
  let after: { at: number; id: number } | null = null;
  for (;;) {
    let page = db
      .selectFrom('node_status_events')
      .select(['id', 'node_id', 'status', 'at', 'reason'])
      .where('at', '>=', from)
      .where('at', '<=', to);
    if (nodeIds && nodeIds.length <= ID_CHUNK) page = page.where('node_id', 'in', nodeIds.length ? nodeIds : ['']);
    if (after) {
      const { at, id } = after;
      page = page.where((eb) => eb.or([eb('at', '>', at), eb.and([eb('at', '=', at), eb('id', '>', id)])]));
    }
    const events = await page.orderBy('at').orderBy('id').limit(EVENT_PAGE).execute();
    for (const e of events) {
      const event = { status: e.status, at: Number(e.at), reason: e.reason };
      for (const fold of folds.get(e.node_id) ?? []) fold.add(event);
    }
    const last = events[events.length - 1];
    if (!last || events.length < EVENT_PAGE) break;
    after = { at: Number(last.at), id: Number(last.id) };
    await yieldToLoop();
  }
  const out = new Map<string, R[]>();
  for (const [id, list] of folds) {
    out.set(id, list.map(finish));
    if (out.size % FOLD_SLICE === 0) await yieldToLoop();
  }
  return out;
}
