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
    const end = this.clamp(this.now);
    this.segment(this.since, end);
    this.since = end;
    if (this.outage) this.closeOutage(null);
    return this.days.map((d, i) => {
      const observed = this.observed[i] as number;
      return {
        ...d,
        ratio: observed > 0 ? Math.min(1, (this.online[i] as number) / observed) : null,
        outageCount: this.counts[i] as number,
        outages: this.lists[i] as Outage[],
      };
    });
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
    const a = this.clamp(outage.from);
    const b = Math.max(a + 1, this.clamp(to ?? this.now));
    this.eachDay(a, b, (i) => {
      (this.counts[i] as number) += 1;
      const list = this.lists[i] as Outage[];
      if (this.detail && list.length < MAX_OUTAGES_PER_DAY) list.push(outage);
    });
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
  const from = days[0]?.from ?? now;
  const to = Math.min(days[days.length - 1]?.to ?? now, now);
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
  }
  const folds = new Map(rows.map((r) => [r.id, new DayFold(days, now, before.get(r.id) ?? null, detail)]));
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
      folds.get(e.node_id)?.add({ status: e.status, at: Number(e.at), reason: e.reason });
    }
    const last = events[events.length - 1];
    if (!last || events.length < EVENT_PAGE) break;
    after = { at: Number(last.at), id: Number(last.id) };
  }
  return new Map([...folds].map(([id, fold]) => [id, fold.finish()]));
}
