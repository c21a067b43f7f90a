// Command statuses: the one list the store's column type, the contract's schemas, the queue's
// transition table and the renderer share. Plain values (no zod, no Node), so every layer imports them.
export const COMMAND_STATUSES = [
  'pending',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'expired',
  'lost',
] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** Not finished: waiting, on its way to the node, or running there. */
export const ACTIVE_STATUSES = ['pending', 'dispatched', 'running'] as const satisfies readonly CommandStatus[];
export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];

/** Finished: nothing moves a command out of these (the queue's transition table is typed from them). */
export const TERMINAL_STATUSES = [
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'expired',
  'lost',
] as const satisfies readonly CommandStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/** True for a finished command; takes any string, as events and screens carry them. */
export function isTerminalStatus(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}
