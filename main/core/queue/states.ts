// Command states and the only transitions allowed between them (docs/architecture.md, Command queue:
// the table of moves). Every write in the queue is a guarded single-row update:
// `… WHERE id = ? AND status IN (<allowed predecessors>)`.
import type { ActiveStatus, CommandStatus, TerminalStatus } from '../../contract/command-status.js';

/** Active states name their successors; a terminal state has none, and its type says so. */
const allowed: Record<ActiveStatus, readonly CommandStatus[]> & Record<TerminalStatus, readonly []> = {
  pending: ['dispatched', 'cancelled', 'expired'],
  dispatched: ['running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'expired', 'lost'],
  running: ['succeeded', 'failed', 'timed_out', 'cancelled', 'lost'],
  succeeded: [],
  failed: [],
  timed_out: [],
  cancelled: [],
  expired: [],
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
