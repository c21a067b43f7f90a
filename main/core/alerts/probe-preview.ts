// The rule preview for the probe kinds: "would have fired N times in the last 24 h", per probe. Down
// replays the quorum's verdicts (probe_events, the history the live rule follows); latency replays the
// minute rollups (the median over vantage points of each one's mean latency that minute, so a spike
// shorter than a minute counts less than live). Certificates keep no history: no preview.
import type { AlertRuleSpec, ProbeKind } from '../../contract/alert-schemas.js';
import type { ProbePoint, ProbeView } from '../../contract/probe-schemas.js';
import { MINUTE_MS } from '../metrics/calendar.js';
import type { Db } from '../store/schema.js';
import type { Preview } from './preview.js';

/** A preview reads at most this many probes' history. */
const MAX_PROBES = 200;

export interface ProbeHistory {
  /** The probes as they are now (names, enabled). */
  probes: () => readonly ProbeView[];
  /** A probe's minute rollups in [from, to), every vantage point (ProbeRollups.series). */
  minutes: (probeId: string, from: number, to: number) => Promise<ProbePoint[]>;
}

type ProbeCondition = Extract<AlertRuleSpec['condition'], { kind: ProbeKind }>;
type LatencyCondition = Extract<ProbeCondition, { kind: 'probe-latency' }>;

/**
 * Firings of a probe-down rule over the verdicts (oldest first; the last one before the window says
 * how it began). With flap damping, a down that comes back within `resolveAfterMs` of the up before it
 * continues the same firing, as live.
 */
export function replayProbeDown(
  events: Array<{ state: string; at: number }>,
  resolveAfterMs: number,
  from: number,
): number {
  let firing = false;
  let upSince: number | null = null;
  let fires = 0;
  for (const e of events) {
    if (e.state === 'down') {
      // A new firing unless one is still open: not yet up, or up for less than the damping.
      const open = firing && (upSince === null || e.at - upSince < resolveAfterMs);
      if (!open && e.at >= from) fires += 1;
      firing = true;
      upSince = null;
    } else if (e.state === 'up' && firing && upSince === null) {
      upSince = e.at;
    }
  }
  return fires;
}

/** The minute's value the replay compares: the median of the vantage points' mean latencies. */
export function minuteMedians(points: readonly ProbePoint[]): Array<{ bucket: number; ms: number }> {
  const byBucket = new Map<number, number[]>();
  for (const p of points) {
    if (p.meanMs === null) continue;
    const list = byBucket.get(p.bucket) ?? [];
    list.push(p.meanMs);
    byBucket.set(p.bucket, list);
  }
  return [...byBucket.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucket, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return { bucket, ms: sorted[Math.floor((sorted.length - 1) / 2)] as number };
    });
}

/**
 * Firings of a latency rule over minute medians, with the engine's rules: above the threshold for
 * `forSec` fires; a firing one resolves once at or below the recovery value. A missing minute starts a
 * pending breach over.
 */
export function replayLatency(c: LatencyCondition, minutes: Array<{ bucket: number; ms: number }>): number {
  let pendingSince: number | null = null;
  let firing = false;
  let fires = 0;
  let previous = Number.NEGATIVE_INFINITY;
  for (const m of minutes) {
    if (m.bucket - previous > MINUTE_MS) pendingSince = null;
    previous = m.bucket;
    const end = m.bucket + MINUTE_MS;
    if (firing) {
      if (m.ms <= (c.recovery ?? c.threshold)) firing = false;
      continue;
    }
    if (m.ms <= c.threshold) {
      pendingSince = null;
      continue;
    }
    pendingSince ??= m.bucket;
    if (end - pendingSince >= c.forSec * 1000) {
      firing = true;
      pendingSince = null;
      fires += 1;
    }
  }
  return fires;
}

async function downEvents(db: Db, probeId: string, from: number): Promise<Array<{ state: string; at: number }>> {
  const before = await db
    .selectFrom('probe_events')
    .select(['state', 'at'])
    .where('probe_id', '=', probeId)
    .where('at', '<', from)
    .orderBy('at', 'desc')
    .limit(1)
    .execute();
  const inside = await db
    .selectFrom('probe_events')
    .select(['state', 'at'])
    .where('probe_id', '=', probeId)
    .where('at', '>=', from)
    .orderBy('at')
    .limit(10_000)
    .execute();
  return [...before, ...inside].map((e) => ({ state: e.state, at: Number(e.at) }));
}

export async function previewProbeRule(
  db: Db,
  spec: AlertRuleSpec,
  history: ProbeHistory | undefined,
  window: { hours: number; now: number },
): Promise<Preview> {
  const c = spec.condition as ProbeCondition;
  const wanted = c.probeIds && c.probeIds.length > 0 ? new Set(c.probeIds) : null;
  const scoped = (history?.probes() ?? []).filter((p) => p.enabled && (wanted === null || wanted.has(p.id)));
  const base = { windowHours: window.hours, subjects: 'probes' as const, nodes: scoped.length };
  if (c.kind === 'probe-certificate' || !history) {
    return {
      ...base,
      supported: false,
      fires: 0,
      byNode: [],
      note: 'No preview for certificate rules: the stored history does not keep certificate expiry.',
    };
  }
  const from = window.now - window.hours * 3_600_000;
  const sampled = scoped.slice(0, MAX_PROBES);
  const byNode: Preview['byNode'] = [];
  for (const probe of sampled) {
    const fires =
      c.kind === 'probe-down'
        ? replayProbeDown(await downEvents(db, probe.id, from), spec.resolveAfterSec * 1000, from)
        : replayLatency(c, minuteMedians(await history.minutes(probe.id, from, window.now)));
    if (fires > 0) byNode.push({ nodeId: probe.id, nodeName: probe.name, fires });
  }
  byNode.sort((a, b) => b.fires - a.fires);
  const note =
    scoped.length > sampled.length
      ? `Replayed on the first ${sampled.length} of ${scoped.length} probes.`
      : c.kind === 'probe-latency'
        ? "From each vantage point's 1-minute mean latency: spikes shorter than a minute count less than they will live."
        : null;
  return {
    ...base,
    supported: true,
    fires: byNode.reduce((s, n) => s + n.fires, 0),
    byNode: byNode.slice(0, 50),
    note,
  };
}
