// Contract handlers for live metrics, rollups, traffic and monthly transfer.
import type { Handlers } from '../../contract/contract.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { Db } from '../store/schema.js';
import type { MetricsService } from './metrics-service.js';
import { fleetTransferReport, metricSeries, trafficReport, transferReport } from './queries.js';

type MetricHandlerNames =
  | 'fleetLive'
  | 'liveMetrics'
  | 'metricSeries'
  | 'nodeTransfer'
  | 'fleetTransfer'
  | 'trafficReport';

export function metricHandlers(
  db: Db,
  metrics: MetricsService,
  registry: NodeRegistry,
  minuteRetentionMs: number,
): Pick<Handlers, MetricHandlerNames> {
  return {
    fleetLive: async () => metrics.headlines(),
    // Served from memory: it keeps working while the database is away.
    liveMetrics: async ({ id }) => {
      if (!metrics.hasLive(id)) await registry.get(id);
      return metrics.live(id);
    },
    metricSeries: async (query) => {
      await registry.get(query.id);
      return metricSeries(db, metrics, query);
    },
    nodeTransfer: async ({ id, cycle }) => {
      await registry.get(id);
      return transferReport(db, metrics, id, cycle);
    },
    fleetTransfer: ({ cycle }) => fleetTransferReport(db, metrics, cycle),
    trafficReport: (query) => trafficReport(db, metrics, query, minuteRetentionMs),
  };
}
