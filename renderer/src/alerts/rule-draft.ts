// The rule editor's form state and its conversion to and from the contract's rule: every field as the
// form holds it (texts and numbers), so a half-typed rule is still a draft the preview can be asked about.

import { isProbeKind, PROBE_KINDS } from '../../../main/contract/alert-schemas.js';
import { parseBytes } from '../../../main/contract/byte-sizes.js';
import type { InputOf, OutputOf } from '../../../main/contract/contract.js';
import { labelPairs, parseLabels } from '../../../main/contract/labels.js';

export type Rule = OutputOf<'listAlertRules'>[number];
export type RuleSpec = InputOf<'createAlertRule'>;
export type Kind = Rule['condition']['kind'];

export const KINDS: Kind[] = [
  'offline',
  'cpu',
  'memory',
  'swap',
  'disk',
  'load',
  'network',
  'traffic',
  'command',
  'agent-version',
  ...PROBE_KINDS,
];
/** Kinds about probes: a probe picker instead of the node scope, which does not apply to them. */
export const isProbeRule = (kind: Kind) => isProbeKind(kind);
export const THRESHOLD_KINDS: ReadonlySet<Kind> = new Set(['cpu', 'memory', 'swap', 'disk', 'load', 'network']);
export const PERCENT_KINDS: ReadonlySet<Kind> = new Set(['cpu', 'memory', 'swap', 'disk']);
export const OUTCOMES = ['failed', 'timed_out', 'expired', 'lost'] as const;

export interface RuleDraft {
  name: string;
  severity: 'info' | 'warning' | 'critical';
  enabled: boolean;
  kind: Kind;
  op: 'above' | 'below';
  threshold: number | string;
  recovery: number | string;
  forSec: number | string;
  graceSec: number | string;
  mount: string;
  window: '1m' | '5m' | '15m';
  direction: 'rx' | 'tx' | 'total';
  quotaMode: 'bytes' | 'label';
  quota: string;
  quotaLabel: string;
  percent: number | string;
  forecastDays: number | string;
  source: 'any' | 'task' | 'adhoc';
  commandTaskId: string | null;
  outcomes: string[];
  /** Probe kinds: which probes (none: every probe). */
  probeIds: string[];
  /** probe-certificate: fires this many days before expiry. */
  days: number | string;
  nodeIds: string[];
  selector: string;
  channelIds: string[];
  actionTaskId: string | null;
  resolveAfterSec: number | string;
}

export const EMPTY_DRAFT: RuleDraft = {
  name: '',
  severity: 'warning',
  enabled: true,
  kind: 'cpu',
  op: 'above',
  threshold: 90,
  recovery: '',
  forSec: 300,
  graceSec: 60,
  mount: '',
  window: '1m',
  direction: 'total',
  quotaMode: 'bytes',
  quota: '1TB',
  quotaLabel: 'quota',
  percent: 100,
  forecastDays: '',
  source: 'any',
  commandTaskId: null,
  outcomes: ['failed', 'timed_out', 'expired'],
  probeIds: [],
  days: 14,
  nodeIds: [],
  selector: '',
  channelIds: [],
  actionTaskId: null,
  resolveAfterSec: 0,
};

const num = (v: number | string): number | undefined => (v === '' || v === null ? undefined : Number(v));

/** What is wrong with a draft, in the form's words (keys of the `alerts` namespace), or null. */
export function draftProblem(d: RuleDraft): string | null {
  if (!d.name.trim()) return 'rules.problems.name';
  if ((THRESHOLD_KINDS.has(d.kind) || d.kind === 'probe-latency') && num(d.threshold) === undefined)
    return 'rules.problems.threshold';
  if (d.kind === 'probe-latency' && (num(d.recovery) ?? 0) > (num(d.threshold) ?? 0))
    return 'rules.problems.latencyRecovery';
  if (d.kind === 'probe-certificate' && num(d.days) === undefined) return 'rules.problems.days';
  if (d.kind === 'traffic' && d.quotaMode === 'bytes' && parseBytes(d.quota) === null) return 'rules.problems.quota';
  if (d.kind === 'traffic' && d.quotaMode === 'label' && !d.quotaLabel.trim()) return 'rules.problems.quotaLabel';
  if (d.kind === 'command' && d.outcomes.length === 0) return 'rules.problems.outcomes';
  if (!isProbeKind(d.kind) && labelPairs(d.selector).some(([key]: [string, string]) => !key))
    return 'rules.problems.selector';
  return null;
}

function conditionOf(d: RuleDraft): RuleSpec['condition'] {
  const thresholds = {
    op: d.op,
    threshold: num(d.threshold) ?? 0,
    ...(num(d.recovery) !== undefined ? { recovery: num(d.recovery) } : {}),
    forSec: num(d.forSec) ?? 0,
  };
  const probes = d.probeIds.length > 0 ? { probeIds: d.probeIds } : {};
  switch (d.kind) {
    case 'offline':
      return { kind: 'offline', graceSec: num(d.graceSec) ?? 0 };
    case 'cpu':
    case 'memory':
    case 'swap':
      return { kind: d.kind, ...thresholds };
    case 'disk':
      return { kind: 'disk', ...thresholds, ...(d.mount.trim() ? { mount: d.mount.trim() } : {}) };
    case 'load':
      return { kind: 'load', window: d.window, ...thresholds };
    case 'network':
      return { kind: 'network', direction: d.direction, ...thresholds };
    case 'traffic':
      return {
        kind: 'traffic',
        direction: d.direction,
        ...(d.quotaMode === 'bytes' ? { quotaBytes: parseBytes(d.quota) ?? 1 } : { quotaLabel: d.quotaLabel.trim() }),
        percent: num(d.percent) ?? 100,
        ...(num(d.forecastDays) !== undefined ? { forecastDays: num(d.forecastDays) } : {}),
      };
    case 'command':
      return {
        kind: 'command',
        source: d.source,
        ...(d.commandTaskId ? { taskId: d.commandTaskId } : {}),
        outcomes: d.outcomes as Array<(typeof OUTCOMES)[number]>,
      };
    case 'agent-version':
      return { kind: 'agent-version' };
    case 'probe-down':
      return { kind: 'probe-down', ...probes };
    case 'probe-latency':
      return {
        kind: 'probe-latency',
        ...probes,
        threshold: num(d.threshold) ?? 0,
        ...(num(d.recovery) !== undefined ? { recovery: num(d.recovery) } : {}),
        forSec: num(d.forSec) ?? 0,
      };
    case 'probe-certificate':
      return { kind: 'probe-certificate', ...probes, days: num(d.days) ?? 14 };
  }
}

export function draftToSpec(d: RuleDraft): RuleSpec {
  const selector = parseLabels(d.selector);
  return {
    name: d.name.trim(),
    severity: d.severity,
    enabled: d.enabled,
    condition: conditionOf(d),
    // The node scope does not apply to probes (the form hides it): none is saved with them.
    scope: isProbeKind(d.kind)
      ? {}
      : {
          ...(d.nodeIds.length > 0 ? { nodeIds: d.nodeIds } : {}),
          ...(Object.keys(selector).length > 0 ? { selector } : {}),
        },
    channelIds: d.channelIds,
    action: d.actionTaskId ? { taskId: d.actionTaskId } : null,
    resolveAfterSec: d.kind === 'command' ? 0 : (num(d.resolveAfterSec) ?? 0),
  };
}

export function ruleToDraft(rule: Rule): RuleDraft {
  const c = rule.condition as Record<string, unknown> & { kind: Kind };
  const pick = <T>(key: string, fallback: T): T => (c[key] === undefined ? fallback : (c[key] as T));
  return {
    ...EMPTY_DRAFT,
    name: rule.name,
    severity: rule.severity,
    enabled: rule.enabled,
    kind: c.kind,
    op: pick('op', EMPTY_DRAFT.op),
    threshold: pick('threshold', EMPTY_DRAFT.threshold),
    recovery: pick('recovery', ''),
    forSec: pick('forSec', EMPTY_DRAFT.forSec),
    graceSec: pick('graceSec', EMPTY_DRAFT.graceSec),
    mount: pick('mount', ''),
    window: pick('window', EMPTY_DRAFT.window),
    direction: pick('direction', EMPTY_DRAFT.direction),
    quotaMode: c.quotaLabel !== undefined ? 'label' : 'bytes',
    quota: c.quotaBytes !== undefined ? String(c.quotaBytes) : EMPTY_DRAFT.quota,
    quotaLabel: pick('quotaLabel', EMPTY_DRAFT.quotaLabel),
    percent: pick('percent', EMPTY_DRAFT.percent),
    forecastDays: pick('forecastDays', ''),
    source: pick('source', EMPTY_DRAFT.source),
    commandTaskId: pick('taskId', null),
    outcomes: pick('outcomes', EMPTY_DRAFT.outcomes),
    probeIds: pick('probeIds', []),
    days: pick('days', EMPTY_DRAFT.days),
    nodeIds: rule.scope.nodeIds ?? [],
    selector: Object.entries(rule.scope.selector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
    channelIds: rule.channelIds,
    actionTaskId: rule.action?.taskId ?? null,
    resolveAfterSec: rule.resolveAfterSec ?? 0,
  };
}
