// Command states and the only transitions allowed between them (DESIGN §3). Every write in the
// queue is a guarded single-row update: `… WHERE id = ? AND status IN (<allowed predecessors>)`.
import type { CommandStatus } from '../store/schema.js';

export const TERMINAL: readonly CommandStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'expired', 'lost'];
export const ACTIVE: readonly CommandStatus[] = ['pending', 'dispatched', 'running'];

const allowed: Record<CommandStatus, readonly CommandStatus[]> = {
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

export function canTransition(from: CommandStatus, to: CommandStatus): boolean {
  return allowed[from].includes(to);
}

/** The states a command may be in for a move to `to` to be legal. */
export function predecessorsOf(to: CommandStatus): CommandStatus[] {
  return (Object.keys(allowed) as CommandStatus[]).filter((from) => allowed[from].includes(to));
}

export function isTerminal(status: CommandStatus): boolean {
  return TERMINAL.includes(status);
}
