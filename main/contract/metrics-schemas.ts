// Schemas for live metrics, rollups, traffic and monthly transfer.
import { z } from 'zod';
import { NodeId } from './schemas.js';

/** An instant as epoch milliseconds or an ISO 8601 date-time. */
export const Instant = z.union([z.number(), z.string().min(1).max(64)]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected epoch milliseconds or an ISO 8601 date-time' });
    return z.NEVER;
  }
  return ms;
});

const Rate = z.number().nullable();
const Bytes = z.number();

export const LiveSnapshot = z.object({
  t: z.number(),
  bootId: z.string(),
  uptimeSec: z.number(),
  /** How this sample relates to the previous one; rates are null unless contiguous. */
  continuity: z.enum(['first', 'contiguous', 'away', 'reboot']),
  cpu: z
    .object({
      /** Percent of all cores busy over the last interval. */
      usage: Rate,
      iowait: Rate,
      steal: Rate,
      cores: z.array(Rate),
    })
    .nullable(),
  load: z.tuple([z.number(), z.number(), z.number()]).nullable(),
  memory: z
    .object({ total: Bytes, available: Bytes, used: Bytes, buffers: Bytes.nullable(), cached: Bytes.nullable() })
    .nullable(),
  swap: z.object({ total: Bytes, free: Bytes, used: Bytes }).nullable(),
  disks: z.array(z.object({ mount: z.string(), fs: z.string(), total: Bytes, used: Bytes, free: Bytes })).nullable(),
  diskIo: z.object({ readBps: Rate, writeBps: Rate, readOps: Rate, writeOps: Rate }).nullable(),
  net: z
    .object({
      rxBps: Rate,
      txBps: Rate,
      /** The interfaces that count toward traffic (the agent's --net-include/--net-exclude), at most 256. */
      interfaces: z.array(
        z.object({
          name: z.string(),
          rxBps: Rate,
          txBps: Rate,
          /** Bytes since the host booted (the kernel's counters). */
          rxBytes: Bytes,
          txBytes: Bytes,
          speedMbps: z.number().nullable(),
        }),
      ),
    })
    .nullable(),
  connections: z.object({ tcp: z.number(), udp: z.number() }).nullable(),
  processes: z.number().nullable(),
});
export type LiveSnapshot = z.infer<typeof LiveSnapshot>;

/** The recent ring in columns (uPlot's shape); null marks a gap or an unavailable value. */
export const LiveSeries = z.object({
  intervalMs: z.number(),
  t: z.array(z.number()),
  cpu: z.array(Rate),
  memUsed: z.array(Rate),
  rxBps: z.array(Rate),
  txBps: z.array(Rate),
  diskReadBps: z.array(Rate),
  diskWriteBps: z.array(Rate),
  load1: z.array(Rate),
});
export type LiveSeries = z.infer<typeof LiveSeries>;

export const LiveMetrics = z.object({
  nodeId: NodeId,
  latest: LiveSnapshot.nullable(),
  recent: LiveSeries,
});
export type LiveMetrics = z.infer<typeof LiveMetrics>;

export const Step = z.enum(['1m', '1h', '1d']);
export type Step = z.infer<typeof Step>;

export const MetricsQuery = z.object({
  id: NodeId,
  from: Instant.optional(),
  to: Instant.optional(),
  step: Step.optional(),
});

export const MetricPoint = z.object({
  t: z.number(),
  samples: z.number(),
  cpuAvg: Rate,
  cpuMax: Rate,
  memUsedAvg: Rate,
  memTotal: Rate,
  load1Avg: Rate,
  rxBytes: Bytes,
  txBytes: Bytes,
  rxPackets: z.number(),
  txPackets: z.number(),
  diskReadBytes: Bytes,
  diskWriteBytes: Bytes,
});
export type MetricPoint = z.infer<typeof MetricPoint>;

export const MetricsSeries = z.object({
  nodeId: NodeId,
  step: Step,
  from: z.number(),
  to: z.number(),
  points: z.array(MetricPoint),
});

export const TrafficQuery = z.object({
  from: Instant.optional(),
  to: Instant.optional(),
  groupBy: z.literal('node').optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(20),
});

export const TrafficReport = z.object({
  from: z.number(),
  to: z.number(),
  /** The rollup tier the window was read from; the window is aligned to it. */
  step: z.enum(['1m', '1h']),
  rxBytes: Bytes,
  txBytes: Bytes,
  nodes: z.array(z.object({ nodeId: NodeId, name: z.string(), rxBytes: Bytes, txBytes: Bytes })).optional(),
});

export const TransferQuery = z.object({ id: NodeId, cycle: z.enum(['current', 'previous']).default('current') });

export const FleetTransferQuery = z.object({ cycle: z.enum(['current', 'previous']).default('current') });

/** Every node's traffic in one billing cycle (nodes without traffic in it are left out). */
export const FleetTransferReport = z.object({
  billingDay: z.number(),
  timeZone: z.string(),
  cycleStart: z.string(),
  cycleEnd: z.string(),
  nodes: z.array(z.object({ nodeId: NodeId, rxBytes: Bytes, txBytes: Bytes })),
});

export const TransferReport = z.object({
  nodeId: NodeId,
  billingDay: z.number(),
  timeZone: z.string(),
  cycleStart: z.string(),
  cycleEnd: z.string(),
  rxBytes: Bytes,
  txBytes: Bytes,
  totalBytes: Bytes,
  days: z.array(z.object({ day: z.string(), rxBytes: Bytes, txBytes: Bytes })),
});

/** One node's headline numbers in the ≈1 Hz live event. */
export const NodeLive = z.object({
  nodeId: NodeId,
  t: z.number(),
  cpu: Rate,
  memUsed: Rate,
  memTotal: Rate,
  diskUsed: Rate,
  diskTotal: Rate,
  rxBps: Rate,
  txBps: Rate,
  load1: Rate,
  /** Seconds since the host booted (null from an instance that does not send it). */
  uptimeSec: z.number().nullable().default(null),
});
export type NodeLive = z.infer<typeof NodeLive>;

export const MetricsEvent = z.object({ t: z.number(), nodes: z.array(NodeLive) });

/**
 * The most nodes one `metrics` event carries (≈ 70 KB of JSON). A browser parses an event in one task:
 * the ≈ 2.8 MB of a 10,000-node tick in one piece cost a frame or more every second, and as one large
 * string it went straight to the old generation, so the page's major collections stalled it too.
 */
export const METRICS_EVENT_NODES = 250;
