// Per-node series. Each node is shown by exactly one instance: the one its agent is connected to (the
// local node by its master); a node connected nowhere by the leader, as `fleetdeck_node_up 0`. So a
// cluster scraped instance by instance has no duplicates and no stale zeros from instances that do
// not hold the node. Node metadata is one `fleetdeck_node_info` series per node (join on `node_id`)
// rather than a name label on every series, so a rename does not start new series.
// Traffic is exposed as counters (bytes accounted by this instance since it started; Prometheus'
// rate() makes rates of them), not as rates.
import { NodeStatus, type NodeView } from '../../contract/schemas.js';
import type { MetricsService } from '../metrics/metrics-service.js';
import { labelValue, type Samples, type SeriesRegistrar, type SeriesSource } from './exporter.js';

export interface NodeFigures {
  nodes: () => Promise<NodeView[]>;
  /** Whether this instance holds the node (its agent is connected here, or it is the local node). */
  holds: (nodeId: string) => boolean;
  isLeader: () => boolean;
  metrics: MetricsService;
}

type Headline = NonNullable<ReturnType<MetricsService['ownHeadline']>>;

export function nodeSeries(figures: NodeFigures): SeriesSource {
  let all: NodeView[] = [];
  /** The nodes this instance shows, each with whether it is up here. */
  type Shown = { node: NodeView; up: boolean };
  let shown: Shown[] = [];
  const perNode =
    (pick: (h: Headline) => number | null): (() => Samples) =>
    () =>
      shown.flatMap(({ node }) => {
        const h = figures.metrics.ownHeadline(node.id);
        const value = h ? pick(h) : null;
        return value === null ? [] : [[{ node_id: node.id }, value]];
      });
  const totals =
    (pick: (t: { rx: number; tx: number }) => number): (() => Samples) =>
    () =>
      shown
        .filter(({ up }) => up)
        .map(
          ({ node }) =>
            [{ node_id: node.id }, pick(figures.metrics.totals(node.id))] as [Record<string, string>, number],
        );
  return {
    name: 'nodes',
    async prepare() {
      all = await figures.nodes();
      const leader = figures.isLeader();
      shown = all.flatMap((node): Shown[] => {
        if (figures.holds(node.id)) return [{ node, up: true }];
        // Connected nowhere: the leader says so. A node another instance holds is that instance's.
        return leader && node.status !== 'online' ? [{ node, up: false }] : [];
      });
    },
    register(series: SeriesRegistrar) {
      series.gauge({
        name: 'fleetdeck_nodes',
        help: 'Nodes by connection status over the whole fleet (the same on every instance; every status, 0 included).',
        labelNames: ['status'],
        read: () => {
          const counts = new Map<string, number>();
          for (const node of all) counts.set(node.status, (counts.get(node.status) ?? 0) + 1);
          return NodeStatus.options.map((status) => [{ status }, counts.get(status) ?? 0]);
        },
      });
      series.gauge({
        name: 'fleetdeck_node_info',
        help: 'One per node shown by this instance (always 1): its name and host facts. Join on node_id.',
        labelNames: ['node_id', 'node', 'kind', 'hostname', 'os', 'arch', 'agent_version'],
        read: () =>
          shown.map(({ node }) => [
            {
              node_id: node.id,
              node: node.name,
              kind: node.kind,
              hostname: labelValue(node.hostname),
              os: labelValue(node.os),
              arch: labelValue(node.arch),
              agent_version: labelValue(node.agentVersion),
            },
            1,
          ]),
      });
      series.gauge({
        name: 'fleetdeck_node_up',
        help: '1 when the node is connected to this instance; 0 (shown by the leader) when it is connected to none.',
        labelNames: ['node_id'],
        read: () => shown.map(({ node, up }) => [{ node_id: node.id }, up ? 1 : 0]),
      });
      const gauge = (name: string, help: string, pick: (h: Headline) => number | null) =>
        series.gauge({ name, help, labelNames: ['node_id'], read: perNode(pick) });
      gauge('fleetdeck_node_cpu_usage_ratio', 'Share of all cores busy over the last sample interval (0-1).', (h) =>
        h.cpu === null ? null : h.cpu / 100,
      );
      gauge('fleetdeck_node_memory_used_bytes', 'Memory in use.', (h) => h.memUsed);
      gauge('fleetdeck_node_memory_total_bytes', 'Memory installed.', (h) => h.memTotal);
      gauge('fleetdeck_node_disk_used_bytes', 'Used bytes over real filesystems.', (h) => h.diskUsed);
      gauge('fleetdeck_node_disk_total_bytes', 'Size of real filesystems.', (h) => h.diskTotal);
      gauge('fleetdeck_node_load1', '1-minute load average.', (h) => h.load1);
      series.counter({
        name: 'fleetdeck_node_network_receive_bytes_total',
        help: 'Bytes received over counted interfaces, as accounted by this instance since it started.',
        labelNames: ['node_id'],
        read: totals((t) => t.rx),
      });
      series.counter({
        name: 'fleetdeck_node_network_transmit_bytes_total',
        help: 'Bytes sent over counted interfaces, as accounted by this instance since it started.',
        labelNames: ['node_id'],
        read: totals((t) => t.tx),
      });
    },
  };
}
