// What a live condition reads from a node's snapshot, and the threshold state machine every
// thresholded kind shares (Prometheus-style `for`, with a recovery threshold for hysteresis). Pure:
// the engine feeds it values and times, unit tests feed it sequences.
import type { AlertCondition } from '../../contract/alert-schemas.js';
import type { LiveSnapshot } from '../../contract/metrics-schemas.js';

export type ThresholdCondition = Extract<
  AlertCondition,
  { kind: 'cpu' | 'memory' | 'swap' | 'disk' | 'load' | 'network' }
>;
export type LiveKind = ThresholdCondition['kind'];
export const LIVE_KINDS: ReadonlySet<string> = new Set<LiveKind>(['cpu', 'memory', 'swap', 'disk', 'load', 'network']);

export const isLive = (c: AlertCondition): c is ThresholdCondition => LIVE_KINDS.has(c.kind);

/** One value a condition watches: the node's, or one mount's (disk rules without a mount). */
export interface Reading {
  /** `null` for the node itself, else the mount point. */
  subject: string | null;
  value: number;
}

const share = (used: number, total: number) => (total > 0 ? Math.round((used / total) * 10_000) / 100 : null);

const finite = (value: number | null | undefined): number | null =>
  value === null || value === undefined || !Number.isFinite(value) ? null : value;

/**
 * The value a live condition sees in one snapshot, or null when the host does not report it. A disk
 * condition reads one mount (`disk`: one of the snapshot's, chosen by the caller). Returns a number, not
 * a list, because it runs for every rule on every sample.
 */
export function readingOf(
  condition: ThresholdCondition,
  s: LiveSnapshot,
  disk?: NonNullable<LiveSnapshot['disks']>[number],
): number | null {
  switch (condition.kind) {
    case 'cpu':
      return finite(s.cpu?.usage);
    case 'memory':
      return s.memory ? finite(share(s.memory.used, s.memory.total)) : null;
    case 'swap':
      // A host without swap has nothing to fill.
      return s.swap && s.swap.total > 0 ? finite(share(s.swap.used, s.swap.total)) : null;
    case 'load':
      return finite(s.load?.[condition.window === '1m' ? 0 : condition.window === '5m' ? 1 : 2]);
    case 'network': {
      const rx = s.net?.rxBps;
      const tx = s.net?.txBps;
      if (rx === null || rx === undefined || tx === null || tx === undefined) return null;
      return finite(condition.direction === 'rx' ? rx : condition.direction === 'tx' ? tx : rx + tx);
    }
    case 'disk':
      return disk ? share(disk.used, disk.total) : null;
  }
}

/** Every value a live condition sees in one snapshot (a disk rule without a mount: one per mount). */
export function readingsOf(condition: ThresholdCondition, s: LiveSnapshot): Reading[] {
  if (condition.kind !== 'disk') {
    const value = readingOf(condition, s);
    return value === null ? [] : [{ subject: null, value }];
  }
  const out: Reading[] = [];
  for (const d of s.disks ?? []) {
    if (condition.mount !== undefined && d.mount !== condition.mount) continue;
    const value = readingOf(condition, s, d);
    if (value !== null) out.push({ subject: d.mount, value });
  }
  return out;
}

export const unitOf = (c: AlertCondition): string | null =>
  c.kind === 'probe-latency'
    ? 'ms'
    : c.kind === 'probe-certificate'
      ? 'd'
      : c.kind === 'network'
        ? 'B/s'
        : c.kind === 'load'
          ? null
          : isLive(c)
            ? '%'
            : c.kind === 'traffic'
              ? 'B'
              : null;

/** Where an alert instance stands in the state machine (resolved and never-seen are both `ok`). */
export type Phase = { phase: 'ok' } | { phase: 'pending'; since: number } | { phase: 'firing'; since: number };

export type Step = 'none' | 'pending' | 'cleared' | 'firing' | 'resolved';

export interface StepResult {
  next: Phase;
  step: Step;
}

type Thresholds = Pick<ThresholdCondition, 'op' | 'threshold' | 'recovery' | 'forSec'>;

/** Past the threshold (inclusive): the condition holds. */
export const breaches = (c: Thresholds, v: number) => (c.op === 'above' ? v >= c.threshold : v <= c.threshold);

/** Strictly back past the recovery value (the threshold when none): a firing alert resolves. */
export const recovers = (c: Thresholds, v: number) => {
  const r = c.recovery ?? c.threshold;
  return c.op === 'above' ? v < r : v > r;
};

/**
 * One observation. ok → pending when the value breaches (firing at once when `forSec` is 0);
 * pending → firing once it has breached for `forSec`, → cleared (ok) when it stops breaching before;
 * firing → resolved only when it recovers past the recovery value, so a value hovering between the
 * two thresholds neither resolves nor fires again.
 */
export function step(c: Thresholds, phase: Phase, value: number, t: number): StepResult {
  switch (phase.phase) {
    case 'ok':
      if (!breaches(c, value)) return { next: phase, step: 'none' };
      if (c.forSec === 0) return { next: { phase: 'firing', since: t }, step: 'firing' };
      return { next: { phase: 'pending', since: t }, step: 'pending' };
    case 'pending':
      if (!breaches(c, value)) return { next: { phase: 'ok' }, step: 'cleared' };
      if (t - phase.since >= c.forSec * 1000) return { next: { phase: 'firing', since: t }, step: 'firing' };
      return { next: phase, step: 'none' };
    case 'firing':
      if (recovers(c, value)) return { next: { phase: 'ok' }, step: 'resolved' };
      return { next: phase, step: 'none' };
  }
}

/** Human figures for summaries: "97 %", "1.2 GB/s", "3.5". */
export function formatValue(value: number, unit: string | null): string {
  if (unit === '%') return `${Math.round(value * 10) / 10} %`;
  if (unit === 'B' || unit === 'B/s') return `${formatBytes(value)}${unit === 'B/s' ? '/s' : ''}`;
  return String(Math.round(value * 100) / 100);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(sec: number): string {
  if (sec < 60) return `${sec} s`;
  if (sec < 3600) return `${Math.round(sec / 6) / 10} min`.replace('.0 ', ' ');
  return `${Math.round(sec / 360) / 10} h`.replace('.0 ', ' ');
}

const KIND_WORDS: Record<LiveKind, string> = {
  cpu: 'CPU',
  memory: 'memory',
  swap: 'swap',
  disk: 'disk',
  load: 'load',
  network: 'network',
};

/** "CPU 97 % for 5 min on web-1", "disk /var 91 % on db-2", "CPU back to 12 % on web-1". */
export function liveSummary(
  c: ThresholdCondition,
  state: 'firing' | 'resolved',
  value: number,
  nodeName: string,
  subject: string | null,
): string {
  const what = `${KIND_WORDS[c.kind]}${c.kind === 'network' && c.direction !== 'total' ? ` ${c.direction}` : ''}${
    subject ? ` ${subject}` : ''
  }`;
  const shown = formatValue(value, unitOf(c));
  if (state === 'resolved') return `${what} back to ${shown} on ${nodeName}`;
  const held = c.forSec > 0 ? ` for ${formatDuration(c.forSec)}` : '';
  return `${what} ${shown}${held} on ${nodeName}`;
}
