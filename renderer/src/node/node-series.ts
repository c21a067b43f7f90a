// The node page's chart data: the live ring (last ≈10 min, refreshed with each metrics event for this
// node) or the rollups of a longer range, in one shape.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Client, OutputOf } from '../../../main/contract/contract';
import type { Transport } from '../transport';

export const RANGES = [
  { id: '10m', ms: 600_000 },
  { id: '1h', ms: 3_600_000 },
  { id: '24h', ms: 86_400_000 },
  { id: '7d', ms: 7 * 86_400_000 },
  { id: '30d', ms: 30 * 86_400_000 },
] as const;
export type RangeId = (typeof RANGES)[number]['id'];

export interface Series {
  times: number[];
  /** The rollup bucket (null for live samples: their typical spacing is used). */
  stepMs: number | null;
  cpu: Array<number | null>;
  memUsed: Array<number | null>;
  rx: Array<number | null>;
  tx: Array<number | null>;
  diskRead: Array<number | null>;
  diskWrite: Array<number | null>;
}

const STEP_SEC = { '1m': 60, '1h': 3600, '1d': 86_400 } as const;

function fromRollups(data: OutputOf<'metricSeries'>): Series {
  const sec = STEP_SEC[data.step];
  const p = data.points;
  return {
    times: p.map((x) => x.t),
    stepMs: sec * 1000,
    cpu: p.map((x) => x.cpuAvg),
    memUsed: p.map((x) => x.memUsedAvg),
    rx: p.map((x) => x.rxBytes / sec),
    tx: p.map((x) => x.txBytes / sec),
    diskRead: p.map((x) => x.diskReadBytes / sec),
    diskWrite: p.map((x) => x.diskWriteBytes / sec),
  };
}

function fromLive(data: OutputOf<'liveMetrics'>): Series {
  const r = data.recent;
  return {
    times: r.t,
    stepMs: null,
    cpu: r.cpu,
    memUsed: r.memUsed,
    rx: r.rxBps,
    tx: r.txBps,
    diskRead: r.diskReadBps,
    diskWrite: r.diskWriteBps,
  };
}

export function rangeMs(range: RangeId): number {
  return RANGES.find((r) => r.id === range)?.ms ?? 600_000;
}

export function useSeries(client: Client, transport: Transport, id: string, range: RangeId) {
  const queryClient = useQueryClient();
  const live = useQuery({
    queryKey: ['liveMetrics', id],
    queryFn: () => client.liveMetrics({ id }),
  });
  useEffect(
    () =>
      transport.events.on('metrics', (data) => {
        if (data.nodes.some((n) => n.nodeId === id))
          void queryClient.invalidateQueries({ queryKey: ['liveMetrics', id] });
      }),
    [transport, queryClient, id],
  );
  const history = useQuery({
    queryKey: ['metricSeries', id, range],
    queryFn: () => client.metricSeries({ id, from: Date.now() - rangeMs(range) }),
    enabled: range !== '10m',
    refetchInterval: 60_000,
  });
  const series =
    range === '10m' ? (live.data ? fromLive(live.data) : null) : history.data ? fromRollups(history.data) : null;
  // Only the error of the range on screen; each clears with that query's next success.
  return { live: live.data, series, error: range === '10m' ? live.error : history.error };
}
