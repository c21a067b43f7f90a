// Contract handlers for daily uptime: the fleet's compact bars and one node's days with their outages,
// in the master's billing time zone (the days daily traffic is counted in).
import type { Handlers } from '../../contract/contract.js';
import type { DayCalendar } from '../metrics/calendar.js';
import type { Db } from '../store/schema.js';
import type { NodeRegistry } from './registry.js';
import {
  type DayRange,
  dayRanges,
  periodRanges,
  readFleetUptime,
  readUptime,
  type UptimePeriod,
} from './uptime-days.js';

/** The bars asked for: a period (24 h of hours, 30 or 90 days), else `days` local days. */
function bars(
  period: UptimePeriod | undefined,
  days: number,
  t: number,
  calendar: DayCalendar,
): { unit: 'day' | 'hour'; ranges: DayRange[] } {
  if (period) return { unit: period === '24h' ? 'hour' : 'day', ranges: periodRanges(period, t, calendar) };
  return { unit: 'day', ranges: dayRanges(t, days, calendar) };
}

export function uptimeHandlers(
  db: Db,
  registry: NodeRegistry,
  calendar: DayCalendar,
  now: () => number = Date.now,
): Pick<Handlers, 'fleetUptime' | 'nodeUptimeDays'> {
  return {
    fleetUptime: async ({ days, period }) => {
      const t = now();
      const { unit, ranges } = bars(period, days, t, calendar);
      const byNode = await readFleetUptime(db, ranges, t);
      return {
        timeZone: calendar.timeZone,
        unit,
        days: ranges,
        nodes: [...byNode].map(([nodeId, r]) => ({ nodeId, ...r })),
      };
    },
    nodeUptimeDays: async ({ id, days, period }) => {
      await registry.get(id); // not_found for an unknown node
      const t = now();
      const { unit, ranges } = bars(period, days, t, calendar);
      const r = (await readUptime(db, [id], ranges, t, true)).get(id);
      return {
        nodeId: id,
        timeZone: calendar.timeZone,
        unit,
        ratio: r?.ratio ?? null,
        downtimeMs: r?.downtimeMs ?? 0,
        outageCount: r?.outageCount ?? 0,
        outages: r?.outages ?? [],
        days: r?.days ?? [],
      };
    },
  };
}
