// "Would have fired N times in the last 24 h": a draft rule replayed over the stored history. CPU,
// memory, load and network run the same state machine over the 1-minute rollups (averages per
// minute, so a spike shorter than a minute counts less than live); offline replays the status history.
// Disk and swap have no rollups; traffic, commands and versions are not replayed. The probe kinds:
// probe-preview.ts.
import { type AlertRuleSpec, isProbeKind } from '../../contract/alert-schemas.js';
import { MINUTE_MS } from '../metrics/calendar.js';
import type { Db, MetricRollupTable } from '../store/schema.js';
import { isLive, type Phase, step, type ThresholdCondition } from './conditions.js';
import { type IndexedNode, inScope } from './node-index.js';
import { type ProbeHistory, previewProbeRule } from './probe-preview.js';

const WINDOW_HOURS = 24;
/** A preview reads at most this many nodes' minutes (1,440 rows each). */
const MAX_NODES = 200;

export interface Preview {
  supported: boolean;
  fires: number;
  windowHours: number;
  subjects: 'nodes' | 'probes';
  nodes: number;
  byNode: Array<{ nodeId: string; nodeName: string; fires: number }>;
  note: string | null;
}

type Minute = Pick<
  MetricRollupTable,
  | 'bucket'
  | 'cpu_samples'
  | 'cpu_sum'
  | 'mem_samples'
  | 'mem_used_sum'
  | 'mem_total'
  | 'load_samples'
  | 'load_sum'
  | 'rx_bytes'
  | 'tx_bytes'
  | 'samples'
>;

function minuteValue(c: ThresholdCondition, m: Minute): number | null {
  const n = (v: unknown) => Number(v);
  switch (c.kind) {
    case 'cpu':
      return n(m.cpu_samples) > 0 ? n(m.cpu_sum) / n(m.cpu_samples) : null;
    case 'memory':
      return n(m.mem_samples) > 0 && n(m.mem_total) > 0
        ? (n(m.mem_used_sum) / n(m.mem_samples) / n(m.mem_total)) * 100
        : null;
    case 'load':
      return n(m.load_samples) > 0 ? n(m.load_sum) / n(m.load_samples) : null;
    case 'network': {
      const rx = n(m.rx_bytes) / 60;
      const tx = n(m.tx_bytes) / 60;
      return n(m.samples) > 0 ? (c.direction === 'rx' ? rx : c.direction === 'tx' ? tx : rx + tx) : null;
    }
    default:
      return null;
  }
}

/** Firings of a threshold condition over one node's minutes; a missing minute starts over. */
export function replayMinutes(c: ThresholdCondition, minutes: Minute[]): number {
  let phase: Phase = { phase: 'ok' };
  let fires = 0;
  let previous = Number.NEGATIVE_INFINITY;
  for (const m of minutes) {
    const bucket = Number(m.bucket);
    if (bucket - previous > MINUTE_MS && phase.phase === 'pending') phase = { phase: 'ok' };
    previous = bucket;
    const value = minuteValue(c, m);
    if (value === null) continue;
    // The value describes the minute up to its end.
    const result = step(c, phase, value, bucket + MINUTE_MS);
    phase = result.next;
    if (result.step === 'firing') fires += 1;
  }
  return fires;
}

/** Offline periods of at least the grace in the window (one still open counts if past its grace). */
export function replayOffline(
  events: Array<{ status: string; at: number }>,
  graceMs: number,
  from: number,
  now: number,
): number {
  let offlineSince: number | null = null;
  let fires = 0;
  for (const e of events) {
    if (e.status === 'offline' && offlineSince === null) offlineSince = e.at;
    else if (e.status === 'online' && offlineSince !== null) {
      if (e.at - offlineSince >= graceMs && offlineSince + graceMs >= from) fires += 1;
      offlineSince = null;
    }
  }
  if (offlineSince !== null && now - offlineSince >= graceMs && offlineSince + graceMs >= from) fires += 1;
  return fires;
}

export async function previewRule(
  db: Db,
  spec: AlertRuleSpec,
  nodes: IndexedNode[],
  now: number,
  probes?: ProbeHistory,
): Promise<Preview> {
  if (isProbeKind(spec.condition.kind)) return previewProbeRule(db, spec, probes, { hours: WINDOW_HOURS, now });
  const scoped = nodes.filter((n) => !n.revoked && inScope(spec.scope, n));
  const c = spec.condition;
  const base = { windowHours: WINDOW_HOURS, subjects: 'nodes' as const, nodes: scoped.length };
  const from = now - WINDOW_HOURS * 3_600_000;
  const supported = c.kind === 'offline' || (isLive(c) && c.kind !== 'disk' && c.kind !== 'swap');
  if (!supported) {
    return {
      ...base,
      supported: false,
      fires: 0,
      byNode: [],
      note: `No preview for ${c.kind} rules: the stored history does not keep what they watch.`,
    };
  }
  const sampled = scoped.slice(0, MAX_NODES);
  const byNode: Preview['byNode'] = [];
  for (const node of sampled) {
    const fires =
      c.kind === 'offline'
        ? await offlineFires(db, node.id, c.graceSec * 1000, from, now)
        : await liveFires(db, c as ThresholdCondition, node.id, from);
    if (fires > 0) byNode.push({ nodeId: node.id, nodeName: node.name, fires });
  }
  byNode.sort((a, b) => b.fires - a.fires);
  const note =
    scoped.length > sampled.length
      ? `Replayed on the first ${sampled.length} of ${scoped.length} nodes.`
      : c.kind !== 'offline'
        ? 'From 1-minute averages: spikes shorter than a minute count less than they will live.'
        : null;
  return {
    ...base,
    supported: true,
    fires: byNode.reduce((s, n) => s + n.fires, 0),
    byNode: byNode.slice(0, 50),
    note,
  };
}

async function liveFires(db: Db, c: ThresholdCondition, nodeId: string, from: number): Promise<number> {
  const minutes = await db
    .selectFrom('metric_minutes')
    .select([
      'bucket',
      'samples',
      'cpu_samples',
      'cpu_sum',
      'mem_samples',
      'mem_used_sum',
      'mem_total',
      'load_samples',
      'load_sum',
      'rx_bytes',
      'tx_bytes',
    ])
    .where('node_id', '=', nodeId)
    .where('bucket', '>=', from)
    .orderBy('bucket')
    .execute();
  return replayMinutes(c, minutes);
}

async function offlineFires(db: Db, nodeId: string, graceMs: number, from: number, now: number): Promise<number> {
  // The last change before the window says whether it began offline.
  const before = await db
    .selectFrom('node_status_events')
    .select(['status', 'at'])
    .where('node_id', '=', nodeId)
    .where('at', '<', from)
    .orderBy('at', 'desc')
    .limit(1)
    .execute();
  const inside = await db
    .selectFrom('node_status_events')
    .select(['status', 'at'])
    .where('node_id', '=', nodeId)
    .where('at', '>=', from)
    .orderBy('at')
    .execute();
  const events = [...before, ...inside].map((e) => ({ status: e.status, at: Number(e.at) }));
  return replayOffline(events, graceMs, from, now);
}
