// Command states and the only transitions allowed between them (docs/architecture.md, Command queue:
// the table of moves). Every write in the queue is a guarded single-row update:
// `… WHERE id = ? AND status IN (<allowed predecessors>)`.
import type { ActiveStatus, CommandStatus, TerminalStatus } from '../../contract/command-status.js';

/**
 * Active states name their successors; a terminal state has none, and its type says so. Each state
 * says what it means and who moves a command out of it (queue.ts: enqueue, claim, reports;
 * sweeper.ts: deadlines and leases).
 */
const allowed: Record<ActiveStatus, readonly CommandStatus[]> & Record<TerminalStatus, readonly []> = {
  /** Stored, not yet handed to its node: waits for the node to connect, for room in its window, for a
   * retry's delay or for its task run to release it. The claim dispatches it; a cancel or its
   * deadline (deadline expirer) ends it. */
  pending: ['dispatched', 'cancelled', 'expired'],
  /** Claimed and sent (or about to be, after the commit) to its connected node, which has not said it
   * started. Its lease runs while the node is away: past it the lease rescuer ends it `lost`; past its
   * deadline with the node away, the deadline expirer ends it `expired`. A result may arrive before the
   * start (a fast command), so every outcome is reachable from here. */
  dispatched: ['running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'expired', 'lost'],
  /** The agent reported `started`; its lease is the command's timeout plus the grace. Only the agent's
   * result, a cancel or the lease (node away) ends it; a deadline no longer applies. */
  running: ['succeeded', 'failed', 'timed_out', 'cancelled', 'lost'],
  /** Exited 0. */
  succeeded: [],
  /** Exited non-zero, could not be spawned, or was refused by the agent (e.g. --no-exec). */
  failed: [],
  /** Ran past its timeout; the agent killed its process group. */
  timed_out: [],
  /** Cancelled by an admin, a cancelled task run or the node's revoke; a running one was signalled. */
  cancelled: [],
  /** Its deadline passed before it reached a node that could run it. */
  expired: [],
  /** Its node went away past the lease, or the agent restarted mid-run (`interrupted`): the outcome
   * is unknown and it is never re-run silently (a retry policy adds a visible new attempt). */
  lost: [],
};

function successorsOf(from: CommandStatus): readonly CommandStatus[] {
  return allowed[from];
}

export function canTransition(from: CommandStatus, to: CommandStatus): boolean {
  return successorsOf(from).includes(to);
}

/** The states a command may be in for a move to `to` to be legal. */
export function predecessorsOf(to: CommandStatus): CommandStatus[] {
  return (Object.keys(allowed) as CommandStatus[]).filter((from) => successorsOf(from).includes(to));
}
