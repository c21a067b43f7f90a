// Probes as the API speaks them: the definition (target, interval, vantage points, quorum), its live
// state per vantage point, rollups and daily uptime. The target and result shapes are the agent's own
// (agent/probes/spec.ts), so the API and the wire bound them alike.
import { z } from 'zod';
import {
  HEADER_VALUE_MASK,
  MAX_INTERVAL_SEC,
  MAX_TIMEOUT_MS,
  MIN_INTERVAL_SEC,
  ProbeId,
  ProbeTarget,
} from '../../agent/probes/spec.js';
import { Outage, UptimePeriod } from './availability-schemas.js';
import { Labels, NodeId } from './schemas.js';

export { HEADER_VALUE_MASK, ProbeId, ProbeTarget };

/** The master's own vantage point (the leader's process; nodes are named by their ids). */
export const MASTER_VANTAGE = 'master';

export const ProbeVantage = z
  .object({
    /** Also run from the master itself (the leader in shared mode). */
    master: z.boolean().default(false),
    nodeIds: z.array(NodeId).max(1000).default([]),
    /** Every node with these labels (and the probes capability). */
    selector: Labels.optional(),
  })
  .strict();

const fields = {
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean(),
  target: ProbeTarget,
  /** Seconds between runs from each vantage point, ±10 % jitter. */
  intervalSec: z.number().int().min(MIN_INTERVAL_SEC).max(MAX_INTERVAL_SEC),
  timeoutMs: z.number().int().min(100).max(MAX_TIMEOUT_MS),
  vantage: ProbeVantage,
  /** Down once at least this many vantage points see it down (capped at how many there are). */
  quorum: z.number().int().min(1).max(1000),
  /** ...for this long (0: at once). */
  forSec: z.number().int().min(0).max(86_400),
};

function vantageGiven(v: { master: boolean; nodeIds: string[]; selector?: Record<string, string> }): boolean {
  return v.master || v.nodeIds.length > 0 || v.selector !== undefined;
}

/** The checks a whole definition must pass (a patch is checked once merged with what it changes). */
export function probeSpecProblem(s: {
  intervalSec: number;
  timeoutMs: number;
  vantage: z.infer<typeof ProbeVantage>;
}): { path: string[]; message: string } | null {
  if (!vantageGiven(s.vantage)) {
    return { path: ['vantage'], message: 'Choose at least one vantage point (the master, nodes or a selector).' };
  }
  if (s.timeoutMs >= s.intervalSec * 1000) {
    return { path: ['timeoutMs'], message: 'The timeout must be shorter than the interval.' };
  }
  return null;
}

export const ProbeSpec = z
  .object({
    ...fields,
    enabled: fields.enabled.default(true),
    intervalSec: fields.intervalSec.default(60),
    timeoutMs: fields.timeoutMs.default(10_000),
    quorum: fields.quorum.default(1),
    forSec: fields.forSec.default(0),
  })
  .strict()
  .superRefine((s, ctx) => {
    const problem = probeSpecProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  });
export type ProbeSpec = z.infer<typeof ProbeSpec>;

export const ProbePatch = z
  .object({
    id: ProbeId,
    name: fields.name.optional(),
    enabled: fields.enabled.optional(),
    target: fields.target.optional(),
    intervalSec: fields.intervalSec.optional(),
    timeoutMs: fields.timeoutMs.optional(),
    vantage: fields.vantage.optional(),
    quorum: fields.quorum.optional(),
    forSec: fields.forSec.optional(),
  })
  .strict();
export type ProbePatch = z.infer<typeof ProbePatch>;

export const ProbeState = z.enum(['up', 'down', 'unknown']);
export type ProbeState = z.infer<typeof ProbeState>;

export const VantageView = z.object({
  /** A node id or `master`. */
  vantage: z.string(),
  name: z.string(),
  /** Whether it reported within two intervals (a disconnected node is stale: it counts neither way). */
  fresh: z.boolean(),
  ok: z.boolean().nullable(),
  at: z.number().nullable(),
  latencyMs: z.number().nullable(),
  error: z.string().nullable(),
  certDaysLeft: z.number().nullable(),
  certValid: z.boolean().nullable(),
});
export type VantageView = z.infer<typeof VantageView>;

export const ProbeView = z.object({
  id: ProbeId,
  name: z.string(),
  enabled: z.boolean(),
  target: ProbeTarget,
  intervalSec: z.number(),
  timeoutMs: z.number(),
  vantage: ProbeVantage,
  quorum: z.number(),
  forSec: z.number(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** The quorum's verdict; unknown until a vantage point reported (or while none is fresh). */
  state: ProbeState,
  since: z.number().nullable(),
  /** Fresh vantage points seeing it down, and the quorum needed of how many there are. */
  downCount: z.number(),
  needed: z.number(),
  vantages: z.array(VantageView),
});
export type ProbeView = z.infer<typeof ProbeView>;

export const ProbeSeriesQuery = z.object({
  id: ProbeId,
  resolution: z.enum(['minute', 'hour']).default('minute'),
  from: z.coerce.number().int().min(0),
  to: z.coerce.number().int().min(0),
  /** One vantage point; omitted: every vantage point, each its own series. */
  vantage: z.string().max(64).optional(),
});
export const ProbePoint = z.object({
  vantage: z.string(),
  bucket: z.number(),
  runs: z.number(),
  oks: z.number(),
  successRatio: z.number().nullable(),
  meanMs: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
export type ProbePoint = z.infer<typeof ProbePoint>;
export const ProbeSeries = z.object({
  id: ProbeId,
  resolution: z.enum(['minute', 'hour']),
  points: z.array(ProbePoint),
});

export const ProbeUptimeQuery = z.object({
  /** Comma-separated probe ids; omitted: every probe. */
  ids: z
    .string()
    .max(41 * 500)
    .optional()
    .transform((s) => (s ? s.split(',').filter(Boolean) : null))
    .pipe(z.array(ProbeId).max(500).nullable()),
  days: z.coerce.number().int().min(1).max(90).default(30),
  /** Instead of `days`: 24 hourly bars (`24h`), or 30 / 90 local days, with the period's figures. */
  period: UptimePeriod.optional(),
});
const DayRange = z.object({ day: z.string(), from: z.number(), to: z.number() });
export const ProbeUptime = z.object({
  timeZone: z.string(),
  /** What each bar is: a local day, or an hour (`period=24h`). */
  unit: z.enum(['day', 'hour']),
  probes: z.array(
    z.object({
      probeId: ProbeId,
      /** Up share of everything observed in the days; null when it never reported in them. */
      ratio: z.number().min(0).max(1).nullable(),
      /** Down time observed in the bars, ms. */
      downtimeMs: z.number().min(0),
      /** Distinct outages that touched the bars (one across midnight counts once). */
      outageCount: z.number().int().min(0),
      /** The newest 50 of them, oldest first. */
      outages: z.array(Outage),
      days: z.array(
        DayRange.extend({
          ratio: z.number().min(0).max(1).nullable(),
          outageCount: z.number().int().min(0),
          outages: z.array(Outage),
        }),
      ),
    }),
  ),
});
export type ProbeUptime = z.infer<typeof ProbeUptime>;

/** The `probeState` event: a probe's verdict changed, or its vantage points reported (≤ 1 a second per probe). */
export const ProbeStateEvent = ProbeView;
