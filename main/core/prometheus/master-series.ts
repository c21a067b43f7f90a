// Series about this instance's work: agent connections and TLS admission, the queue (fleet-wide,
// from the database) and the metrics pipeline.
import type { HandshakeFigures } from '../gateway/tls-admission.js';
import type { MetricsService } from '../metrics/metrics-service.js';
import type { SeriesRegistrar, SeriesSource } from './exporter.js';

export interface MasterFigures {
  agentsConnected: () => number;
  tlsHandshakes: () => HandshakeFigures | null;
  queueActive: () => Promise<number>;
  metrics: MetricsService;
}

export function masterSeries(figures: MasterFigures): SeriesSource {
  let queueActive = 0;
  const handshake = (pick: (h: HandshakeFigures) => number) => () => {
    const h = figures.tlsHandshakes();
    return h ? ([[{}, pick(h)]] as Array<[Record<string, string>, number]>) : [];
  };
  return {
    name: 'master',
    async prepare() {
      queueActive = await figures.queueActive();
    },
    register(series: SeriesRegistrar) {
      series.gauge({
        name: 'fleetdeck_agents_connected',
        help: 'Agent connections on this instance.',
        read: () => [[{}, figures.agentsConnected()]],
      });
      series.gauge({
        name: 'fleetdeck_tls_handshakes_in_progress',
        help: 'Agent TLS handshakes running now.',
        read: handshake((h) => h.inProgress),
      });
      series.gauge({
        name: 'fleetdeck_tls_handshakes_waiting',
        help: 'Agent connections waiting for a handshake slot.',
        read: handshake((h) => h.waiting),
      });
      series.counter({
        name: 'fleetdeck_tls_connections_shed_total',
        help: 'Agent connections closed unserved (wait full or too long).',
        read: handshake((h) => h.shed),
      });
      series.gauge({
        name: 'fleetdeck_agent_connections_unauthenticated',
        help: 'Agent connections not yet past hello.',
        read: handshake((h) => h.unauthenticated),
      });
      series.gauge({
        name: 'fleetdeck_agent_connections_silent',
        help: 'Agent connections that have sent nothing yet.',
        read: handshake((h) => h.silent),
      });
      series.counter({
        name: 'fleetdeck_agent_connections_closed_total',
        help: 'Agent connections closed before hello: over a cap at accept, evicted for an address with a good history, or by a deadline.',
        labelNames: ['cause'],
        read: () => {
          const h = figures.tlsHandshakes();
          if (!h) return [];
          return [
            [{ cause: 'refused' }, h.refused],
            [{ cause: 'evicted' }, h.evicted],
            [{ cause: 'timed_out' }, h.timedOut],
          ];
        },
      });
      series.gauge({
        name: 'fleetdeck_queue_active_commands',
        help: 'Commands pending, dispatched or running (the whole fleet).',
        read: () => [[{}, queueActive]],
      });
      const m = figures.metrics;
      series.counter({
        name: 'fleetdeck_metric_samples_total',
        help: 'Metric samples this instance ingested since it started.',
        read: () => [[{}, m.samplesIngested]],
      });
      series.counter({
        name: 'fleetdeck_traffic_deltas_rejected_total',
        help: 'Traffic deltas rejected as physically impossible.',
        read: () => [[{}, m.deltasRejected]],
      });
      series.counter({
        name: 'fleetdeck_metric_rows_set_aside_total',
        help: 'Rollup rows the database refused for their values, logged and dropped so the others were written.',
        read: () => [[{}, m.rowsSetAside]],
      });
      series.gauge({
        name: 'fleetdeck_metric_rollups_unwritten_age_seconds',
        help: 'Age of the oldest rollups not yet in the database (0: none).',
        read: () => [[{}, m.writeHealth().oldestAgeSec ?? 0]],
      });
    },
  };
}
