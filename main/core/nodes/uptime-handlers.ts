// Contract handlers for daily uptime: the fleet's compact bars and one node's days with their outages,
// in the master's billing time zone (the days daily traffic is counted in).
import type { Handlers } from '../../contract/contract.js';
import type { DayCalendar } from '../metrics/calendar.js';
import type { Db } from '../store/schema.js';
import type { NodeRegistry } from './registry.js';
import { dayRanges, readDailyUptime } from './uptime-days.js';

export function uptimeHandlers(
  db: Db,
  registry: NodeRegistry,
  calendar: DayCalendar,
  now: () => number = Date.now,
): Pick<Handlers, 'fleetUptime' | 'nodeUptimeDays'> {
  return {
    fleetUptime: async ({ days }) => {
      const t = now();
      const ranges = dayRanges(t, days, calendar);
      const byNode = await readDailyUptime(db, null, ranges, t, false);
      return {
        timeZone: calendar.timeZone,
        days: ranges,
        nodes: [...byNode].map(([nodeId, list]) => ({
          nodeId,
          permille: list.map((d) => (d.ratio === null ? null : Math.round(d.ratio * 1000))),
          outages: list.map((d) => d.outageCount),
        })),
      };
    },
    nodeUptimeDays: async ({ id, days }) => {
      await registry.get(id); // not_found for an unknown node
      const t = now();
      const ranges = dayRanges(t, days, calendar);
      const list = (await readDailyUptime(db, [id], ranges, t, true)).get(id) ?? [];
      let online = 0;
      let observed = 0;
      for (const d of list) {
        if (d.ratio === null) continue;
        const span = Math.min(d.to, t) - d.from;
        observed += span;
        online += d.ratio * span;
      }
      return { nodeId: id, timeZone: calendar.timeZone, ratio: observed > 0 ? online / observed : null, days: list };
    },
  };
}
