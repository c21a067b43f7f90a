// The leader's slower checks: agent versions against the master's, and traffic in the current
// billing cycle against a quota, with a forecast from the cycle's pace so far.

import type { z } from 'zod';
import type { TrafficCondition } from '../../contract/alert-schemas.js';
import { parseBytes } from '../../contract/byte-sizes.js';
import { billingCycle, DAY_MS, type DayCalendar, parseYmd } from '../metrics/calendar.js';
import type { Db } from '../store/schema.js';
import { type IndexedNode, inScope } from './node-index.js';
import type { Rule } from './rules.js';

const parts = (v: string) =>
  v
    .split(/[.+-]/)
    .slice(0, 3)
    .map((p) => Number.parseInt(p, 10) || 0);

/** "0.9.2" older than "0.10.0": numeric major.minor.patch; anything after is ignored. */
export function agentOutdated(agent: string, master: string): boolean {
  const a = parts(agent);
  const m = parts(master);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (m[i] ?? 0)) return (a[i] ?? 0) < (m[i] ?? 0);
  }
  return false;
}

type TrafficRule = Rule & { condition: z.output<typeof TrafficCondition> };

export interface TrafficVerdict {
  rule: TrafficRule;
  node: IndexedNode;
  used: number;
  quota: number;
  holds: boolean;
  /** "3 days" when the forecast (not the quota itself) made it hold. */
  forecast: string | null;
}

const utcDay = (ymd: string) => {
  const { year, month, day } = parseYmd(ymd);
  return Date.UTC(year, month - 1, day);
};

/** The node's quota for a rule: the rule's bytes, or the node's label, times the percentage. */
export function quotaOf(rule: TrafficRule, node: IndexedNode): number | null {
  const c = rule.condition;
  const base = c.quotaBytes ?? (c.quotaLabel !== undefined ? parseBytes(node.labels[c.quotaLabel] ?? '') : null);
  return base === null ? null : (base * c.percent) / 100;
}

export async function trafficVerdicts(
  db: Db,
  billing: { calendar: DayCalendar; billingDay: number },
  rules: TrafficRule[],
  nodes: IndexedNode[],
  now: number,
): Promise<TrafficVerdict[]> {
  const today = billing.calendar.dayOf(now);
  const cycle = billingCycle(today, billing.billingDay);
  const rows = await db
    .selectFrom('traffic_days')
    .select((eb) => ['node_id', eb.fn.sum<number>('rx_bytes').as('rx'), eb.fn.sum<number>('tx_bytes').as('tx')])
    .where('day', '>=', cycle.start)
    .where('day', '<', cycle.end)
    .groupBy('node_id')
    .execute();
  const used = new Map(rows.map((r) => [r.node_id, { rx: Number(r.rx), tx: Number(r.tx) }]));
  // Days are counted on the calendar (the time of day from the UTC clock): enough for a pace.
  const cycleDays = (utcDay(cycle.end) - utcDay(cycle.start)) / DAY_MS;
  const elapsedDays = Math.max((utcDay(today) - utcDay(cycle.start)) / DAY_MS + (now % DAY_MS) / DAY_MS, 1 / 24);
  const out: TrafficVerdict[] = [];
  for (const rule of rules) {
    for (const node of nodes) {
      if (node.revoked || !inScope(rule.scope, node)) continue;
      const quota = quotaOf(rule, node);
      if (quota === null) continue;
      const u = used.get(node.id) ?? { rx: 0, tx: 0 };
      const c = rule.condition;
      const value = c.direction === 'rx' ? u.rx : c.direction === 'tx' ? u.tx : u.rx + u.tx;
      let forecast: string | null = null;
      if (value < quota && c.forecastDays !== undefined && value > 0) {
        const daysLeft = (quota - value) / (value / elapsedDays);
        if (daysLeft <= c.forecastDays && daysLeft < cycleDays - elapsedDays) {
          forecast = `${Math.max(1, Math.ceil(daysLeft))} day${Math.ceil(daysLeft) > 1 ? 's' : ''}`;
        }
      }
      out.push({ rule, node, used: value, quota, holds: value >= quota || forecast !== null, forecast });
    }
  }
  return out;
}
