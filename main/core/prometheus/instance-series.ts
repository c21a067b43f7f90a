// Series about this master process: prom-client's process and Node.js runtime metrics (CPU, memory,
// descriptors, event-loop lag, GC), which instance it is, which build, and whether it leads.
import { collectDefaultMetrics } from 'prom-client';
import type { SeriesRegistrar, SeriesSource } from './exporter.js';

export interface InstanceFacts {
  instanceId: string;
  hostname: string;
  role: 'full' | 'console';
  dialect: 'sqlite' | 'mariadb';
  version: string;
  isLeader: () => boolean;
}

const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function instanceSeries(facts: InstanceFacts): SeriesSource {
  return {
    name: 'instance',
    register(series: SeriesRegistrar) {
      collectDefaultMetrics({ register: series.registry });
      // prom-client names three gauges `_total`, which promtool refuses for a gauge; the same counts
      // stay by type in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
      for (const name of MISNAMED_DEFAULTS) series.registry.removeSingleMetric(name);
      series.gauge({
        name: 'fleetdeck_instance_info',
        help: 'This master instance (always 1): its id, host, role and database.',
        labelNames: ['instance_id', 'hostname', 'role', 'database'],
        read: () => [
          [{ instance_id: facts.instanceId, hostname: facts.hostname, role: facts.role, database: facts.dialect }, 1],
        ],
      });
      series.gauge({
        name: 'fleetdeck_build_info',
        help: 'The FleetDeck build this instance runs (always 1).',
        labelNames: ['version'],
        read: () => [[{ version: facts.version }, 1]],
      });
      series.gauge({
        name: 'fleetdeck_instance_leader',
        help: '1 while this instance leads (runs schedules, expiry, retention); 0 otherwise.',
        read: () => [[{}, facts.isLeader() ? 1 : 0]],
      });
    },
  };
}
