// The terminal operations of the contract: open (refused unless the node's agent allows terminals),
// tickets for the session socket, the session list, close, broadcast input and recordings.
import type { Handlers } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { Db } from '../store/schema.js';
import { listSessions, readRecording, sessionRow, viewOf } from './history.js';
import type { TerminalSessions } from './sessions.js';

type TerminalHandlers = Pick<
  Handlers,
  | 'openTerminal'
  | 'terminalTicket'
  | 'listTerminalSessions'
  | 'closeTerminal'
  | 'broadcastTerminalInput'
  | 'terminalRecording'
>;

export function terminalHandlers(sessions: TerminalSessions, registry: NodeRegistry, db: Db): TerminalHandlers {
  return {
    openTerminal: async ({ id, cols, rows }, caller) => {
      const node = await registry.get(id);
      if (node.capabilities?.terminal !== true) {
        throw new FleetError(
          'capability_missing',
          `The agent on ${node.name} does not allow terminals. Terminals are off unless the agent is started ` +
            'with --terminal on the host (the master cannot turn them on); the host also needs util-linux ' +
            '`script` and `stty`.',
        );
      }
      if (!sessions.reachable(id)) {
        throw new FleetError(
          'node_offline',
          node.status === 'online'
            ? `${node.name} is connected to another FleetDeck instance: open its terminal from that instance.`
            : `${node.name} is not connected; open the terminal once it is.`,
        );
      }
      const session = sessions.open(node, cols, rows);
      return { session, ...sessions.ticket(session.id, caller) };
    },
    terminalTicket: async ({ sessionId }, caller) => sessions.ticket(sessionId, caller),
    listTerminalSessions: async (query) => listSessions(db, (sid) => sessions.get(sid), query),
    closeTerminal: async ({ sessionId }) => {
      sessions.close(sessionId);
      return { ok: true as const };
    },
    broadcastTerminalInput: async ({ sessionIds, data }) => {
      const sent: string[] = [];
      const skipped: Array<{ sessionId: string; message: string }> = [];
      for (const sessionId of new Set(sessionIds)) {
        try {
          sessions.input(sessionId, data);
          sent.push(sessionId);
        } catch (error) {
          skipped.push({ sessionId, message: (error as Error).message });
        }
      }
      return { sent, skipped };
    },
    terminalRecording: async ({ sessionId }) => {
      const row = await sessionRow(db, sessionId);
      if (!row)
        throw new FleetError('not_found', 'There is no recording of this terminal session (it may have expired).');
      return { session: sessions.get(sessionId) ?? viewOf(row), cast: await readRecording(db, sessionId) };
    },
  };
}
