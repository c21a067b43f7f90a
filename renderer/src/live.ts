// Live headline metrics for every node: loaded once, then kept current by the ≈1 Hz `metrics` tick
// (no polling). A short CPU history per node feeds the sparklines. The merge is in live-merge.ts.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Client } from '../../main/contract/contract';
import { type FleetLive, liveFrom, mergeInPlace, nextVersion } from './live-merge';
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
  useEffect(() => {
    // A tick comes as several events (METRICS_EVENT_NODES each): each is merged as it comes, and the
    // list re-renders once per frame for all of them, not once per event. A hidden page draws no frames:
    // its entries keep up in place and the version moves when it shows again.
    let frame: number | null = null;
    const publish = () => {
      frame = null;
      queryClient.setQueryData<FleetLive>(['fleetLive'], (store) => store && nextVersion(store));
    };
    const off = transport.events.on('metrics', (data) => {
      const store = queryClient.getQueryData<FleetLive>(['fleetLive']);
      if (!store) {
        queryClient.setQueryData<FleetLive>(['fleetLive'], liveFrom(data.nodes));
        return;
      }
      mergeInPlace(store, data.nodes);
      frame ??= requestAnimationFrame(publish);
    });
    return () => {
      off();
      if (frame !== null) cancelAnimationFrame(frame);
    };
  }, [transport, queryClient]);
  return live.data ?? EMPTY;
}
