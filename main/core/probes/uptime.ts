// A probe's daily uptime from its verdict history (probe_events), the same fold as the nodes' daily
// uptime (nodes/uptime-days.ts): a probe is observed from its first verdict; up/down are the quorum's.
// This is the read the status page and the uptime bars use.

import type { DayCalendar } from '../metrics/calendar.js';
import { DayFold, type DayRange, type DayUptime, dayRanges, type UptimeFoldResult } from '../nodes/uptime-days.js';
import type { Db } from '../store/schema.js';

const toStatus = (state: string) => (state === 'up' ? 'online' : 'offline');

/**
 * Daily uptime of the given probes (null: every probe) over `days`; `detail` adds each day's outages
 * (from, to, reason; the first 20 a day). Two reads per probe chunk: the last verdict before the window
 * and the window's verdicts in order.
 */
export async function readProbeUptime(
  db: Db,
  probeIds: string[] | null,
  days: readonly DayRange[],
  now: number,
  detail = true,
): Promise<Map<string, DayUptime[]>> {
  const read = await readProbeUptimeWindows(db, probeIds, [days], now, detail);
  return new Map([...read].map(([id, [r]]) => [id, r?.days ?? []]));
}

/**
 * Several windows at once (24 h of hours, 30 and 90 days for the status page) from one read of the
 * widest, as `nodes/uptime-days.ts` `readUptimeWindows` does for nodes: each window's whole period
 * (ratio, downtime, distinct outages, the state now) beside its bars.
 */
export async function readProbeUptimeWindows(
  db: Db,
  probeIds: string[] | null,
  windows: ReadonlyArray<readonly DayRange[]>,
  now: number,
  detail = true,
): Promise<Map<string, UptimeFoldResult[]>> {
  const from = Math.min(...windows.map((days) => days[0]?.from ?? now));
  const to = Math.min(Math.max(...windows.map((days) => days[days.length - 1]?.to ?? now)), now);
  const ids = probeIds ?? (await db.selectFrom('probes').select('id').orderBy('id').execute()).map((r) => r.id);
  const out = new Map<string, UptimeFoldResult[]>();
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    if (chunk.length === 0) continue;
    const before = new Map<string, { status: string; at: number; reason: string }>();
    for (const id of chunk) {
      const row = await db
        .selectFrom('probe_events')
        .select(['state', 'at', 'reason'])
        .where('probe_id', '=', id)
        .where('at', '<', from)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (row) before.set(id, { status: toStatus(row.state), at: Number(row.at), reason: row.reason });
    }
    const folds = new Map(
      chunk.map((id) => [id, windows.map((days) => new DayFold(days, now, before.get(id) ?? null, detail))]),
    );
    const events = await db
      .selectFrom('probe_events')
      .select(['probe_id', 'state', 'at', 'reason'])
      .where('probe_id', 'in', chunk)
      .where('at', '>=', from)
      .where('at', '<', to)
      .orderBy('at')
      .orderBy('id')
      .execute();
    for (const e of events) {
      const event = { status: toStatus(e.state), at: Number(e.at), reason: e.reason };
      for (const fold of folds.get(e.probe_id) ?? []) fold.add(event);
    }
    for (const [id, list] of folds)
      out.set(
        id,
        list.map((fold) => fold.finishPeriod()),
      );
  }
  return out;
}

/** The last `count` local days of the calendar (the billing time zone), today last. */
export const probeDays = (now: number, count: number, calendar: DayCalendar) => dayRanges(now, count, calendar);

/** Up share of everything observed in the days (weighted by each day's observed time). */
export function overallRatio(days: readonly DayUptime[]): number | null {
  let up = 0;
  let observed = 0;
  for (const d of days) {
    if (d.ratio === null) continue;
    const span = d.to - d.from;
    up += d.ratio * span;
    observed += span;
  }
  return observed > 0 ? up / observed : null;
}
