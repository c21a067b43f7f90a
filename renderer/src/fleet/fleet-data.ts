// What the fleet's cards add to the node list and live headlines: every node's daily uptime (a compact
// 30-day bar) and its traffic in the billing cycle. Each is one request for the whole fleet, refreshed
// every few minutes; the per-day objects a bar draws are made only for the cards on screen.
import { queryOptions, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { UptimePeriod } from '../../../main/contract/availability-schemas';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { currentLanguage } from '../i18n';
import type { UptimeDay } from './UptimeBar';

export const UPTIME_PERIODS: readonly UptimePeriod[] = ['24h', '30d', '90d'];
const PERIOD_KEY = 'fleetdeck.fleet-uptime-period';

export function savedUptimePeriod(storage: Pick<Storage, 'getItem'> = localStorage): UptimePeriod {
  const v = storage.getItem(PERIOD_KEY);
  return UPTIME_PERIODS.find((p) => p === v) ?? '30d';
}

export function saveUptimePeriod(period: UptimePeriod, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(PERIOD_KEY, period);
}

/** A bar's name: its day (YYYY-MM-DD) or, for hourly bars, the hour in the viewer's language and zone. */
export function barName(bar: { day: string; from: number }, unit: 'day' | 'hour'): string {
  if (unit === 'day') return bar.day;
  const t = new Date(bar.from);
  return `${t.toLocaleDateString(currentLanguage(), { month: 'short', day: 'numeric' })} ${t.toLocaleTimeString(currentLanguage(), { hour: '2-digit', minute: '2-digit' })}`;
}

/**
 * One node's bars with each bar's outages: the node page's query, and the one a fleet card or table
 * strip makes for the day it shows (same key, so the two share an answer).
 */
export function uptimeDaysQuery(client: Client, nodeId: string, period: UptimePeriod) {
  return queryOptions({
    queryKey: ['uptimeDays', nodeId, period],
    queryFn: () => client.nodeUptimeDays({ id: nodeId, period }),
    refetchInterval: period === '24h' ? 60_000 : 5 * 60_000,
    staleTime: 60_000,
  });
}

export interface FleetUptimeIndex {
  /** The window the bars cover. */
  period: UptimePeriod;
  /** The node's days, oldest first, or null when the answer does not have it (a node added since). */
  daysOf(nodeId: string): UptimeDay[] | null;
  /** Online share over the days observed, 0–1, or null before the first connect. */
  ratioOf(nodeId: string): number | null;
}

export function indexUptime(data: OutputOf<'fleetUptime'> | undefined, period: UptimePeriod = '30d'): FleetUptimeIndex {
  const byNode = new Map((data?.nodes ?? []).map((n) => [n.nodeId, n]));
  const names = (data?.days ?? []).map((d) => barName(d, data?.unit ?? 'day'));
  // Made once per node and answer: the same array each render lets the bars skip re-rendering.
  const made = new Map<string, UptimeDay[]>();
  return {
    period,
    daysOf(nodeId) {
      const n = byNode.get(nodeId);
      if (!n || !data) return null;
      let days = made.get(nodeId);
      if (!days) {
        days = data.days.map((d, i) => {
          const permille = n.permille[i] ?? null;
          return {
            day: names[i] ?? d.day,
            ratio: permille === null ? null : permille / 1000,
            outageCount: n.outages[i] ?? 0,
          };
        });
        made.set(nodeId, days);
      }
      return days;
    },
    ratioOf(nodeId) {
      return byNode.get(nodeId)?.ratio ?? null;
    },
  };
}

export function useFleetUptime(client: Client, period: UptimePeriod): FleetUptimeIndex {
  const query = useQuery({
    queryKey: ['fleetUptime', period],
    queryFn: () => client.fleetUptime({ period }),
    // Hourly bars move every hour; daily ones are refreshed every few minutes.
    refetchInterval: period === '24h' ? 60_000 : 5 * 60_000,
  });
  return useMemo(() => indexUptime(query.data, period), [query.data, period]);
}

export type CycleTraffic = { rxBytes: number; txBytes: number };

export function useFleetTransfer(client: Client): {
  byNode: ReadonlyMap<string, CycleTraffic>;
  cycle: { start: string; end: string } | null;
} {
  const query = useQuery({
    queryKey: ['fleetTransfer', 'current'],
    queryFn: () => client.fleetTransfer({ cycle: 'current' }),
    refetchInterval: 60_000,
  });
  return useMemo(
    () => ({
      byNode: new Map((query.data?.nodes ?? []).map((n) => [n.nodeId, n])),
      cycle: query.data ? { start: query.data.cycleStart, end: query.data.cycleEnd } : null,
    }),
    [query.data],
  );
}
