// What the fleet's cards add to the node list and live headlines: every node's daily uptime (a compact
// 30-day bar) and its traffic in the billing cycle. Each is one request for the whole fleet, refreshed
// every few minutes; the per-day objects a bar draws are made only for the cards on screen.
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { Client, OutputOf } from '../../../main/contract/contract';
import type { UptimeDay } from './UptimeBar';

export const FLEET_UPTIME_DAYS = 30;

export interface FleetUptimeIndex {
  /** The node's days, oldest first, or null when the answer does not have it (a node added since). */
  daysOf(nodeId: string): UptimeDay[] | null;
  /** Online share over the days observed, 0–1, or null before the first connect. */
  ratioOf(nodeId: string): number | null;
}

export function indexUptime(data: OutputOf<'fleetUptime'> | undefined): FleetUptimeIndex {
  const byNode = new Map((data?.nodes ?? []).map((n) => [n.nodeId, n]));
  const spans = (data?.days ?? []).map((d) => d.to - d.from);
  // Made once per node and answer: the same array each render lets the bars skip re-rendering.
  const made = new Map<string, UptimeDay[]>();
  return {
    daysOf(nodeId) {
      const n = byNode.get(nodeId);
      if (!n || !data) return null;
      let days = made.get(nodeId);
      if (!days) {
        days = data.days.map((d, i) => {
          const permille = n.permille[i] ?? null;
          return { day: d.day, ratio: permille === null ? null : permille / 1000, outageCount: n.outages[i] ?? 0 };
        });
        made.set(nodeId, days);
      }
      return days;
    },
    ratioOf(nodeId) {
      const n = byNode.get(nodeId);
      if (!n) return null;
      let up = 0;
      let seen = 0;
      n.permille.forEach((p, i) => {
        if (p === null) return;
        up += (p / 1000) * (spans[i] ?? 0);
        seen += spans[i] ?? 0;
      });
      return seen > 0 ? up / seen : null;
    },
  };
}

export function useFleetUptime(client: Client): FleetUptimeIndex {
  const query = useQuery({
    queryKey: ['fleetUptime', FLEET_UPTIME_DAYS],
    queryFn: () => client.fleetUptime({ days: FLEET_UPTIME_DAYS }),
    refetchInterval: 5 * 60_000,
  });
  return useMemo(() => indexUptime(query.data), [query.data]);
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
