// Alert rules, silences, maintenance windows and alert states as the API speaks them. The rule's
// condition is a discriminated union on `kind`: a kind added later (probes, TLS certificates) is one
// more member here and one more evaluator in core/alerts/.
import { z } from 'zod';
import { Labels, NodeId } from './schemas.js';

const Id = z.string().min(1).max(64);
const Seconds = (max: number) => z.number().int().min(0).max(max);
const WEEK_SEC = 7 * 86_400;
const Percent = z.number().min(0).max(100);

export const AlertSeverity = z.enum(['info', 'warning', 'critical']);

/** Which nodes a rule, a silence or a maintenance window covers: none given = every node. */
export const AlertScope = z
  .object({
    nodeIds: z.array(NodeId).max(10_000).optional(),
    selector: Labels.optional(),
  })
  .strict();
export type AlertScope = z.infer<typeof AlertScope>;

const Comparison = z.enum(['above', 'below']);

/**
 * A threshold held for `forSec` fires; a firing alert resolves only once the value is back past
 * `recovery` (hysteresis; default: the threshold itself).
 */
const thresholdFields = {
  op: Comparison.default('above'),
  threshold: z.number().finite(),
  recovery: z.number().finite().optional(),
  forSec: Seconds(WEEK_SEC).default(300),
};

const percentFields = { ...thresholdFields, threshold: Percent, recovery: Percent.optional() };

export const OfflineCondition = z
  .object({
    kind: z.literal('offline'),
    /** Offline this long before it fires; it resolves when the node is back online. */
    graceSec: Seconds(WEEK_SEC).default(60),
  })
  .strict();
export const CpuCondition = z.object({ kind: z.literal('cpu'), ...percentFields }).strict();
export const MemoryCondition = z.object({ kind: z.literal('memory'), ...percentFields }).strict();
export const SwapCondition = z.object({ kind: z.literal('swap'), ...percentFields }).strict();
export const DiskCondition = z
  .object({
    kind: z.literal('disk'),
    /** One mount point (exact); omitted: every mount, each its own alert. */
    mount: z.string().min(1).max(4096).optional(),
    ...percentFields,
  })
  .strict();
export const LoadCondition = z
  .object({
    kind: z.literal('load'),
    /** The 1-, 5- or 15-minute load average. */
    window: z.enum(['1m', '5m', '15m']).default('1m'),
    ...thresholdFields,
    threshold: z.number().min(0).max(1_000_000),
    recovery: z.number().min(0).max(1_000_000).optional(),
  })
  .strict();
export const NetworkCondition = z
  .object({
    kind: z.literal('network'),
    direction: z.enum(['rx', 'tx', 'total']).default('total'),
    /** Bytes per second over the node's counted interfaces. */
    ...thresholdFields,
    threshold: z.number().min(0).max(1e13),
    recovery: z.number().min(0).max(1e13).optional(),
  })
  .strict();
export const TrafficCondition = z
  .object({
    kind: z.literal('traffic'),
    direction: z.enum(['rx', 'tx', 'total']).default('total'),
    /** The quota of the current billing cycle in bytes, the same for every node... */
    quotaBytes: z.number().int().min(1).max(1e18).optional(),
    /** ...or each node's own quota from a label ("1TB", "500GiB", bytes), this share of it. */
    quotaLabel: z.string().min(1).max(128).optional(),
    percent: Percent.default(100),
    /** Also fire when the cycle's pace says the quota will be passed within this many days. */
    forecastDays: z.number().int().min(1).max(31).optional(),
  })
  .strict()
  .refine((c) => (c.quotaBytes === undefined) !== (c.quotaLabel === undefined), {
    message: 'Give exactly one of quotaBytes (the same quota for every node) or quotaLabel (each node its own).',
  });
export const CommandCondition = z
  .object({
    kind: z.literal('command'),
    /** Which commands: those of task runs (`taskId` narrows it to one task), ad-hoc ones, or both. */
    source: z.enum(['any', 'task', 'adhoc']).default('any'),
    taskId: Id.optional(),
    outcomes: z
      .array(z.enum(['failed', 'timed_out', 'expired', 'lost']))
      .min(1)
      .default(['failed', 'timed_out', 'expired']),
  })
  .strict();
export const AgentVersionCondition = z.object({ kind: z.literal('agent-version') }).strict();

// Probe kinds (core/probes/): one alert per probe; `probeIds` narrows them (none given = every probe).
// The rule's node scope does not apply: a probe is not a node.
const probeIds = z.array(z.string().min(1).max(64)).max(1000).optional();
/** The probe's quorum verdict is down (its own quorum and `forSec` decide); resolves when it is up. */
export const ProbeDownCondition = z.object({ kind: z.literal('probe-down'), probeIds }).strict();
/** The median of its fresh vantage points' latencies (ms) above the threshold for `forSec`. */
export const ProbeLatencyCondition = z
  .object({
    kind: z.literal('probe-latency'),
    probeIds,
    threshold: z.number().min(0).max(600_000),
    recovery: z.number().min(0).max(600_000).optional(),
    forSec: Seconds(WEEK_SEC).default(300),
  })
  .strict();
/** An HTTPS probe's certificate expires within `days` (seen by any fresh vantage point). */
export const ProbeCertificateCondition = z
  .object({ kind: z.literal('probe-certificate'), probeIds, days: z.number().int().min(0).max(3650).default(14) })
  .strict();

/** The kinds whose alerts are about a probe rather than a node. */
export const PROBE_KINDS = ['probe-down', 'probe-latency', 'probe-certificate'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];
export const isProbeKind = (kind: string): kind is ProbeKind => (PROBE_KINDS as readonly string[]).includes(kind);

export const AlertCondition = z.discriminatedUnion('kind', [
  OfflineCondition,
  CpuCondition,
  MemoryCondition,
  SwapCondition,
  DiskCondition,
  LoadCondition,
  NetworkCondition,
  TrafficCondition,
  CommandCondition,
  AgentVersionCondition,
  ProbeDownCondition,
  ProbeLatencyCondition,
  ProbeCertificateCondition,
]);
export type AlertCondition = z.infer<typeof AlertCondition>;
export type AlertKind = AlertCondition['kind'];

export const AlertAction = z
  .object({
    /** A saved task, run on the affected node once per firing (through the command queue). */
    taskId: Id,
  })
  .strict();

const ResolveAfterSec = z
  .number()
  .int()
  .min(0)
  .max(86_400)
  .describe('a firing alert resolves only after its condition has stayed recovered this many seconds (flap damping)');

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean().default(true),
  severity: AlertSeverity.default('warning'),
  condition: AlertCondition,
  scope: AlertScope.default({}),
  /** Notification channels (notify's channel ids). */
  channelIds: z.array(Id).max(50).default([]),
  action: AlertAction.nullable().default(null),
  /**
   * Flap damping: a firing alert resolves only once its condition has stayed recovered this long, so
   * a value or a node that recovers for a moment sends no resolved + firing pair. 0: at once.
   */
  resolveAfterSec: ResolveAfterSec.default(0),
};

/** A rule's check that the condition alone cannot make: hysteresis must lie on the recovering side. */
export function recoveryOnTheRightSide(condition: AlertCondition): boolean {
  if (!('recovery' in condition) || condition.recovery === undefined) return true;
  // A latency is always "above": recovering means coming down.
  if (condition.kind === 'probe-latency') return condition.recovery <= condition.threshold;
  return condition.op === 'above'
    ? condition.recovery <= condition.threshold
    : condition.recovery >= condition.threshold;
}
const recoveryMessage = {
  message:
    'The recovery value must be on the recovering side of the threshold: at or below it for "above", at or above it for "below".',
  path: ['condition', 'recovery'],
};

export const AlertRuleSpec = z
  .object(ruleFields)
  .strict()
  .refine((r) => recoveryOnTheRightSide(r.condition), recoveryMessage);
export type AlertRuleSpec = z.output<typeof AlertRuleSpec>;

export const AlertRulePatch = z
  .object({
    name: ruleFields.name.optional(),
    enabled: z.boolean().optional(),
    severity: AlertSeverity.optional(),
    condition: AlertCondition.optional(),
    scope: AlertScope.optional(),
    channelIds: z.array(Id).max(50).optional(),
    action: AlertAction.nullable().optional(),
    resolveAfterSec: ResolveAfterSec.optional(),
  })
  .strict();
export type AlertRulePatch = z.output<typeof AlertRulePatch>;

export const AlertRuleView = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  severity: AlertSeverity,
  condition: AlertCondition,
  scope: AlertScope,
  channelIds: z.array(z.string()),
  action: AlertAction.nullable(),
  resolveAfterSec: z.number().int(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type AlertRuleView = z.infer<typeof AlertRuleView>;

export const AlertPreview = z.object({
  /** Whether the history can answer for this kind (disk, swap, traffic, commands, versions, certificates: no). */
  supported: z.boolean(),
  fires: z.number().int(),
  windowHours: z.number(),
  /** What `nodes` and `byNode` count: nodes, or probes for the probe kinds (ids and names in byNode). */
  subjects: z.enum(['nodes', 'probes']),
  nodes: z.number().int(),
  /** Per node (or probe) that would have fired: how often. */
  byNode: z.array(z.object({ nodeId: z.string(), nodeName: z.string(), fires: z.number().int() })),
  note: z.string().nullable(),
});

export const AlertState = z.enum(['pending', 'firing', 'resolved']);

export const AlertView = z.object({
  id: z.string(),
  alertKey: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  severity: AlertSeverity,
  kind: z.string(),
  /** The node's id, or for the probe kinds the probe's (as stored; `probeId` says which). */
  nodeId: z.string().nullable(),
  /** The node's name, or the probe's. */
  nodeName: z.string().nullable(),
  /** Set for the probe kinds: the probe the alert is about (the Probes screen opens it). */
  probeId: z.string().nullable(),
  subject: z.string().nullable(),
  state: AlertState,
  /** Pending: since the condition held; firing: since it fired; resolved: since it resolved. */
  since: z.number(),
  firedAt: z.number().nullable(),
  resolvedAt: z.number().nullable(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  unit: z.string().nullable(),
  summary: z.string(),
  silenced: z.boolean(),
  acknowledgedAt: z.number().nullable(),
});
export type AlertView = z.infer<typeof AlertView>;

export const ListAlerts = z.object({
  /** `active`: pending and firing (default); `recent`: resolved in the last 24 h too. */
  state: z.enum(['active', 'firing', 'pending', 'resolved', 'recent']).optional(),
  ruleId: Id.optional(),
  nodeId: NodeId.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const AlertHistoryEntry = z.object({
  id: z.string(),
  alertId: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  severity: AlertSeverity,
  nodeId: z.string().nullable(),
  nodeName: z.string().nullable(),
  /** Set when the rule is (still) of a probe kind: the probe the entry is about. */
  probeId: z.string().nullable(),
  state: z.enum(['firing', 'resolved']),
  at: z.number(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  summary: z.string(),
  silenced: z.boolean(),
  /** The rule's action on this firing: queued (run id), failed (why), or none. */
  action: z.object({ state: z.enum(['pending', 'done', 'failed']), detail: z.string().nullable() }).nullable(),
});
export type AlertHistoryEntry = z.infer<typeof AlertHistoryEntry>;

const Instant = z.coerce.number().int().min(0).max(253_402_300_799_999);

export const AlertHistoryQuery = z.object({
  ruleId: Id.optional(),
  nodeId: NodeId.optional(),
  state: z.enum(['firing', 'resolved']).optional(),
  severity: AlertSeverity.optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  /** The `id` of the last entry of the previous page (entries are newest first). */
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** What silences and maintenance windows match: a rule and/or a label selector (neither: everything). */
const matchFields = {
  ruleId: Id.nullable().default(null),
  selector: Labels.nullable().default(null),
  comment: z.string().max(1024).default(''),
};

export const SilenceSpec = z
  .object({ ...matchFields, startsAt: Instant.optional(), endsAt: Instant })
  .strict()
  .refine((s) => s.startsAt === undefined || s.startsAt < s.endsAt, {
    message: 'A silence must end after it starts.',
    path: ['endsAt'],
  });
export const SilencePatch = z
  .object({
    ruleId: Id.nullable().optional(),
    selector: Labels.nullable().optional(),
    comment: z.string().max(1024).optional(),
    startsAt: Instant.optional(),
    endsAt: Instant.optional(),
  })
  .strict();
export const SilenceView = z.object({
  id: z.string(),
  ruleId: z.string().nullable(),
  selector: z.record(z.string(), z.string()).nullable(),
  comment: z.string(),
  startsAt: z.number(),
  endsAt: z.number(),
  active: z.boolean(),
  createdAt: z.number(),
});
export type SilenceView = z.infer<typeof SilenceView>;

export const MaintenanceSpec = z
  .object({
    name: z.string().trim().min(1).max(200),
    /** Five- or six-field cron: when each window starts. */
    cron: z.string().trim().min(1).max(200),
    durationSec: z
      .number()
      .int()
      .min(60)
      .max(31 * 86_400),
    timezone: z.string().max(64).default('UTC'),
    enabled: z.boolean().default(true),
    ...matchFields,
  })
  .strict();
export const MaintenancePatch = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    cron: z.string().trim().min(1).max(200).optional(),
    durationSec: z
      .number()
      .int()
      .min(60)
      .max(31 * 86_400)
      .optional(),
    timezone: z.string().max(64).optional(),
    enabled: z.boolean().optional(),
    ruleId: Id.nullable().optional(),
    selector: Labels.nullable().optional(),
    comment: z.string().max(1024).optional(),
  })
  .strict();
export const MaintenanceView = z.object({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  durationSec: z.number(),
  timezone: z.string(),
  enabled: z.boolean(),
  ruleId: z.string().nullable(),
  selector: z.record(z.string(), z.string()).nullable(),
  comment: z.string(),
  /** Whether a window is open now, and until when; else when the next one opens. */
  activeUntil: z.number().nullable(),
  nextStart: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type MaintenanceView = z.infer<typeof MaintenanceView>;
