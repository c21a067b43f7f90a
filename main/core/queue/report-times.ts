// Times an agent reports (a command's start and finish) come from its clock, which may be wrong. The
// protocol already bounds them to what Date and the database hold; here they must also be possible on
// the master's clock: no later than a day ahead of it — healthy clocks agree within seconds, and a day
// covers a host set to local time instead of UTC (±14 h) or a drifting RTC — and no earlier than the
// longest command (its 7-day timeout; a start is re-reported on redelivery, a finish re-sent after a
// reconnect) plus that day. Outside the window the master's own clock is recorded instead, with a log
// line: durations and history order stay meaningful, and the result is still stored and acknowledged.
import { CommandMessage, type CommandResult } from '../../../agent/protocol.js';
import type { Logger } from '../log.js';

export const CLOCK_SKEW_MS = 86_400_000;
const LONGEST_RUN_MS = CommandMessage.shape.timeoutMs.maxValue ?? 7 * 86_400_000;

export function isPlausibleTime(t: number, now: number): boolean {
  return t >= now - LONGEST_RUN_MS - CLOCK_SKEW_MS && t <= now + CLOCK_SKEW_MS;
}

/** The reported time, or the master's `now` (logged) when the agent's clock cannot be right. */
export function plausibleTime(
  t: number,
  now: number,
  log: Logger,
  what: { id: string; nodeId: string; field: string },
) {
  if (isPlausibleTime(t, now)) return t;
  log.warn({ ...what, reported: t, now }, "an agent reported an impossible time; the master's clock is recorded");
  return now;
}

/** The result with its start and finish times made plausible. */
export function withPlausibleTimes(result: CommandResult, nodeId: string, now: number, log: Logger): CommandResult {
  const where = (field: string) => ({ id: result.id, nodeId, field });
  const finishedAt = plausibleTime(result.finishedAt, now, log, where('finishedAt'));
  const startedAt = result.startedAt === null ? null : plausibleTime(result.startedAt, now, log, where('startedAt'));
  if (finishedAt === result.finishedAt && startedAt === result.startedAt) return result;
  return { ...result, finishedAt, startedAt };
}
