// When an alert is kept quiet: a silence (until a time) or an open maintenance window (cron + duration
// in a time zone) that matches its rule and/or its node's labels. Matching is in memory, from what
// rules.ts loaded; the engine asks at the moment of each transition. A label selector is about nodes:
// an alert that is not a node's (a probe's) is matched only by silences and windows without one, so
// "role=db" never quiets — nor, by a rule + selector pair, half-quiets — a probe's alerts.
import { Cron } from 'croner';
import type { MaintenanceView, SilenceView } from '../../contract/alert-schemas.js';
import { FleetError } from '../../contract/errors.js';
import { hasLabels } from '../../contract/labels.js';

export interface Matcher {
  ruleId: string | null;
  selector: Record<string, string> | null;
}

/**
 * Neither a rule nor a selector: everything; both: that rule on those nodes. `labels` null: the alert
 * is not a node's (a probe's), which no selector matches.
 */
export function matches(m: Matcher, ruleId: string, labels: Record<string, string> | null): boolean {
  if (m.ruleId !== null && m.ruleId !== ruleId) return false;
  const pairs = Object.entries(m.selector ?? {});
  // An empty selector selects nothing out: it is the same as none.
  if (pairs.length === 0) return true;
  return labels !== null && hasLabels(labels, pairs);
}

export const silenceActive = (s: Pick<SilenceView, 'startsAt' | 'endsAt'>, now: number) =>
  s.startsAt <= now && now < s.endsAt;

export interface Window {
  cron: Cron;
  durationMs: number;
}

/** A parsed window; a bad expression or zone is refused in the user's words. */
export function windowOf(spec: { cron: string; timezone: string; durationSec: number }): Window {
  try {
    return {
      cron: new Cron(spec.cron, { paused: true, timezone: spec.timezone }),
      durationMs: spec.durationSec * 1000,
    };
  } catch (error) {
    throw new FleetError(
      'bad_request',
      `The maintenance schedule "${spec.cron}" (time zone ${spec.timezone}) is not valid: ${(error as Error).message}. Use five or six cron fields, e.g. "0 2 * * 0" for Sundays at 02:00, and an IANA zone such as Europe/Berlin.`,
    );
  }
}

/**
 * The end of the window open at `now`, or null. A window is open when one started within the last
 * `durationMs`: the first start after `now - duration` is at or before `now`.
 */
export function openUntil(w: Window, now: number): number | null {
  const start = w.cron.nextRun(new Date(now - w.durationMs))?.getTime();
  return start !== undefined && start <= now ? start + w.durationMs : null;
}

export function nextStart(w: Window, now: number): number | null {
  return w.cron.nextRun(new Date(now))?.getTime() ?? null;
}

export interface Quiet {
  silences: Array<Matcher & Pick<SilenceView, 'startsAt' | 'endsAt'>>;
  windows: Array<Matcher & { window: Window; enabled: boolean }>;
}

/** Whether a transition of this rule on a node with these labels (null: a probe) is silenced now. */
export function isQuiet(q: Quiet, ruleId: string, labels: Record<string, string> | null, now: number): boolean {
  for (const s of q.silences) if (silenceActive(s, now) && matches(s, ruleId, labels)) return true;
  for (const w of q.windows) {
    if (w.enabled && matches(w, ruleId, labels) && openUntil(w.window, now) !== null) return true;
  }
  return false;
}

export type { MaintenanceView };
