// Live headline metrics for every node: loaded once, then kept current by the ≈1 Hz `metrics` event
// (no polling). A short CPU history per node feeds the sparklines. The merge is in live-merge.ts.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Client } from '../../main/contract/contract';
import { type FleetLive, liveFrom, mergeLive } from './live-merge';
import type { Transport } from './transport';

export type { FleetLive, LiveEntry, NodeLive } from './live-merge';

const EMPTY: FleetLive = { version: 0, byNode: new Map() };

export function useFleetLive(client: Client, transport: Transport): FleetLive {
  const queryClient = useQueryClient();
  const live = useQuery({
    queryKey: ['fleetLive'],
    queryFn: async () => liveFrom(await client.fleetLive({})),
    staleTime: Number.POSITIVE_INFINITY,
    // The store's map and entries are updated in place; comparing them deeply would only cost time.
    structuralSharing: false,
  });
  useEffect(
    () =>
      transport.events.on('metrics', (data) => {
        queryClient.setQueryData<FleetLive>(['fleetLive'], (previous) => mergeLive(previous, data.nodes));
      }),
    [transport, queryClient],
  );
  return live.data ?? EMPTY;
}
