// A probe's verdict from its vantage points: down once at least K of its N vantage points see it down
// (K capped at N) for `forSec`; back up as soon as fewer do. A vantage point counts only while its last
// result is fresh (two intervals and the timeout): a disconnected node or a stopped master counts
// neither way, so one cut-off vantage point can neither page anyone nor hide an outage the others see.
import type { ProbeResult } from '../../../agent/probes/spec.js';

export type Latest = Omit<ProbeResult, 'id'>;

export interface QuorumInput {
  intervalSec: number;
  timeoutMs: number;
  quorum: number;
  forSec: number;
  /** The vantage points the probe runs from now. */
  vantages: readonly string[];
  latest: ReadonlyMap<string, Latest>;
}

export interface QuorumState {
  /** The last verdict recorded in probe_events (null: none yet). */
  recorded: 'up' | 'down' | null;
  since: number | null;
  /** When enough vantage points started seeing it down (null: not enough now). */
  downSince: number | null;
}

export interface QuorumOutcome {
  state: QuorumState;
  live: 'up' | 'down' | 'unknown';
  downCount: number;
  needed: number;
  /** A verdict to record, with its reason. */
  change: { state: 'up' | 'down'; reason: string } | null;
}

export const freshWithinMs = (intervalSec: number, timeoutMs: number) => 2 * intervalSec * 1000 + timeoutMs + 5_000;

export function isFresh(latest: Latest | undefined, intervalSec: number, timeoutMs: number, now: number): boolean {
  return latest !== undefined && now - latest.at <= freshWithinMs(intervalSec, timeoutMs);
}

export function evaluateQuorum(input: QuorumInput, prior: QuorumState, now: number): QuorumOutcome {
  const needed = Math.min(input.quorum, input.vantages.length);
  let fresh = 0;
  const downs: Latest[] = [];
  for (const v of input.vantages) {
    const latest = input.latest.get(v);
    if (!isFresh(latest, input.intervalSec, input.timeoutMs, now)) continue;
    fresh++;
    if (!latest?.ok) downs.push(latest as Latest);
  }
  const state: QuorumState = { ...prior };
  let verdict: 'up' | 'down' | null;
  if (needed > 0 && downs.length >= needed) {
    state.downSince ??= now;
    verdict = now - state.downSince >= input.forSec * 1000 ? 'down' : (prior.recorded ?? 'up');
  } else {
    state.downSince = null;
    verdict = fresh > 0 ? 'up' : null;
  }
  let change: QuorumOutcome['change'] = null;
  if (verdict !== null && verdict !== prior.recorded) {
    const of = `${downs.length} of ${input.vantages.length} vantage points`;
    const reason =
      verdict === 'down' ? `down from ${of}: ${downs[0]?.error ?? 'failed'}`.slice(0, 512) : `up (down from ${of})`;
    change = { state: verdict, reason };
    state.recorded = verdict;
    state.since = now;
  }
  return { state, live: verdict ?? 'unknown', downCount: downs.length, needed, change };
}
