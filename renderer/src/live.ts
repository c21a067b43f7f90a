// Live headline metrics for every node: loaded once, then kept current by the ≈1 Hz `metrics` event
// (no polling). A short CPU history per node feeds the sparklines.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Client, OutputOf } from '../../main/contract/contract';
import type { Transport } from './transport';

export type NodeLive = OutputOf<'fleetLive'>[number];
export interface FleetLive {
  byNode: Map<string, NodeLive>;
  cpuHistory: Map<string, number[]>;
}

const HISTORY = 30;

function withUpdates(previous: FleetLive | undefined, updates: NodeLive[]): FleetLive {
  const byNode = new Map(previous?.byNode);
  const cpuHistory = new Map(previous?.cpuHistory);
  for (const n of updates) {
    byNode.set(n.nodeId, n);
    if (n.cpu !== null) cpuHistory.set(n.nodeId, [...(cpuHistory.get(n.nodeId) ?? []), n.cpu].slice(-HISTORY));
  }
  return { byNode, cpuHistory };
}

export function useFleetLive(client: Client, transport: Transport): FleetLive {
  const queryClient = useQueryClient();
  const live = useQuery({
    queryKey: ['fleetLive'],
    queryFn: async () => withUpdates(undefined, await client.fleetLive({})),
    staleTime: Number.POSITIVE_INFINITY,
  });
  useEffect(
    () =>
      transport.events.on('metrics', (data) => {
        queryClient.setQueryData<FleetLive>(['fleetLive'], (previous) => withUpdates(previous, data.nodes));
      }),
    [transport, queryClient],
  );
  return live.data ?? { byNode: new Map(), cpuHistory: new Map() };
}
