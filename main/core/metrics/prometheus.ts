// Prometheus text exposition (format 0.0.4) of fleet and per-node figures, for GET /metrics.
import type { NodeView } from '../../contract/schemas.js';
import type { HandshakeFigures } from '../gateway/tls-admission.js';
import type { MetricsService } from './metrics-service.js';

export interface FleetFigures {
  nodes: NodeView[];
  agentsConnected: number;
  eventLoopLagP99Sec: number;
  tlsHandshakes: HandshakeFigures | null;
  queueActive: number;
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

class Exposition {
  private readonly lines: string[] = [];

  metric(name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Record<string, string>, number]>) {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      this.lines.push(`${name}${text ? `{${text}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`);
    }
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export function prometheusText(fleet: FleetFigures, metrics: MetricsService): string {
  const out = new Exposition();
  const byStatus = new Map<string, number>();
  for (const n of fleet.nodes) byStatus.set(n.status, (byStatus.get(n.status) ?? 0) + 1);
  out.metric(
    'fleetdeck_nodes',
    'gauge',
    'Nodes by connection status.',
    [...byStatus].map(([status, n]) => [{ status }, n]),
  );
  out.metric('fleetdeck_agents_connected', 'gauge', 'Agent connections on this master.', [[{}, fleet.agentsConnected]]);
  out.metric('fleetdeck_event_loop_lag_p99_seconds', 'gauge', "p99 of the master's event-loop delay.", [
    [{}, fleet.eventLoopLagP99Sec],
  ]);
  if (fleet.tlsHandshakes) {
    const { inProgress, waiting, shed, silent, unauthenticated, refused, evicted, timedOut } = fleet.tlsHandshakes;
    out.metric('fleetdeck_tls_handshakes_in_progress', 'gauge', 'Agent TLS handshakes running now.', [
      [{}, inProgress],
    ]);
    out.metric('fleetdeck_tls_handshakes_waiting', 'gauge', 'Agent connections waiting for a handshake slot.', [
      [{}, waiting],
    ]);
    out.metric(
      'fleetdeck_tls_connections_shed_total',
      'counter',
      'Agent connections closed unserved (wait full or too long).',
      [[{}, shed]],
    );
    out.metric('fleetdeck_agent_connections_unauthenticated', 'gauge', 'Agent connections not yet past hello.', [
      [{}, unauthenticated],
    ]);
    out.metric('fleetdeck_agent_connections_silent', 'gauge', 'Agent connections that have sent nothing yet.', [
      [{}, silent],
    ]);
    out.metric(
      'fleetdeck_agent_connections_closed_total',
      'counter',
      'Agent connections closed before hello: over a cap at accept, evicted for an address with a good history, or by a deadline.',
      [
        [{ cause: 'refused' }, refused],
        [{ cause: 'evicted' }, evicted],
        [{ cause: 'timed_out' }, timedOut],
      ],
    );
  }
  out.metric('fleetdeck_queue_active_commands', 'gauge', 'Commands pending, dispatched or running.', [
    [{}, fleet.queueActive],
  ]);
  out.metric('fleetdeck_metric_samples_total', 'counter', 'Metric samples ingested since the master started.', [
    [{}, metrics.samplesIngested],
  ]);
  out.metric(
    'fleetdeck_traffic_deltas_rejected_total',
    'counter',
    'Traffic deltas rejected as physically impossible.',
    [[{}, metrics.deltasRejected]],
  );
  out.metric(
    'fleetdeck_metric_rows_set_aside_total',
    'counter',
    'Rollup rows the database refused for their values, logged and dropped so the others were written.',
    [[{}, metrics.rowsSetAside]],
  );
  const writes = metrics.writeHealth();
  out.metric(
    'fleetdeck_metric_rollups_unwritten_age_seconds',
    'gauge',
    'Age of the oldest rollups not yet in the database (0: none).',
    [[{}, writes.oldestAgeSec ?? 0]],
  );

  const live = new Map(metrics.headlines().map((h) => [h.nodeId, h]));
  const labels = (n: NodeView) => ({ node_id: n.id, node: n.name });
  const gauge = (name: string, help: string, pick: (h: NonNullable<ReturnType<typeof live.get>>) => number | null) =>
    out.metric(
      name,
      'gauge',
      help,
      fleet.nodes.flatMap((n) => {
        const h = live.get(n.id);
        const v = h ? pick(h) : null;
        return v === null ? [] : [[labels(n), v] as [Record<string, string>, number]];
      }),
    );
  out.metric(
    'fleetdeck_node_up',
    'gauge',
    '1 when the node is connected.',
    fleet.nodes.map((n) => [labels(n), n.status === 'online' ? 1 : 0]),
  );
  gauge('fleetdeck_node_cpu_usage_ratio', 'Share of all cores busy (0-1).', (h) =>
    h.cpu === null ? null : h.cpu / 100,
  );
  gauge('fleetdeck_node_memory_used_bytes', 'Memory in use.', (h) => h.memUsed);
  gauge('fleetdeck_node_memory_total_bytes', 'Memory installed.', (h) => h.memTotal);
  gauge('fleetdeck_node_disk_used_bytes', 'Used bytes over real filesystems.', (h) => h.diskUsed);
  gauge('fleetdeck_node_disk_total_bytes', 'Size of real filesystems.', (h) => h.diskTotal);
  gauge('fleetdeck_node_load1', '1-minute load average.', (h) => h.load1);
  gauge('fleetdeck_node_network_receive_rate_bytes', 'Receive rate over counted interfaces.', (h) => h.rxBps);
  gauge('fleetdeck_node_network_transmit_rate_bytes', 'Transmit rate over counted interfaces.', (h) => h.txBps);
  const withTraffic = fleet.nodes.filter((n) => live.has(n.id));
  out.metric(
    'fleetdeck_node_network_receive_bytes_total',
    'counter',
    'Bytes received, as accounted since this master started.',
    withTraffic.map((n) => [labels(n), metrics.totals(n.id).rx]),
  );
  out.metric(
    'fleetdeck_node_network_transmit_bytes_total',
    'counter',
    'Bytes sent, as accounted since this master started.',
    withTraffic.map((n) => [labels(n), metrics.totals(n.id).tx]),
  );
  return out.toString();
}
