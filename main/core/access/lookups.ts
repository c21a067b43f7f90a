// The nodes behind an id an operation names (a command → its node, a task → its targets, a run → its
// task's targets, a terminal session, an alert, a running transfer or copy), for the checks of
// operations that change them. Null: no such thing (the handler then answers its own 404).
import type { Lookup, Selection } from '../../contract/access-rules.js';
import type { FileCopies } from '../files/copies.js';
import type { MasterTransfers } from '../files/transfers.js';
import type { Db } from '../store/schema.js';
import type { TerminalSessions } from '../terminal/sessions.js';

export interface LookupSources {
  db: Db;
  terminals: TerminalSessions;
  transfers: MasterTransfers;
  copies: FileCopies;
}

export type Lookups = (kind: Lookup, id: string) => Promise<Selection | null>;

function parseTargets(text: string): Selection {
  try {
    const parsed = JSON.parse(text) as { nodeIds?: string[]; selector?: Record<string, string> };
    return { nodeIds: parsed.nodeIds, selector: parsed.selector };
  } catch {
    // Unreadable targets reach no node a scoped caller may be shown.
    return { fleet: true };
  }
}

export function lookups(sources: LookupSources): Lookups {
  const { db } = sources;
  const taskTargets = async (taskId: string) => {
    const row = await db.selectFrom('tasks').select('targets').where('id', '=', taskId).executeTakeFirst();
    return row ? parseTargets(row.targets) : null;
  };
  return async (kind, id) => {
    switch (kind) {
      case 'command': {
        const row = await db.selectFrom('commands').select('node_id').where('id', '=', id).executeTakeFirst();
        return row ? { nodeIds: [row.node_id] } : null;
      }
      case 'task':
        return taskTargets(id);
      case 'run': {
        const row = await db.selectFrom('task_runs').select('task_id').where('id', '=', id).executeTakeFirst();
        return row ? taskTargets(row.task_id) : null;
      }
      case 'terminal': {
        const live = sources.terminals.get(id);
        if (live) return { nodeIds: [live.nodeId] };
        const row = await db.selectFrom('terminal_sessions').select('node_id').where('id', '=', id).executeTakeFirst();
        return row ? { nodeIds: [row.node_id] } : null;
      }
      case 'alert': {
        const row = await db.selectFrom('alert_states').select('node_id').where('id', '=', id).executeTakeFirst();
        if (!row) return null;
        return row.node_id === null ? { fleet: true } : { nodeIds: [row.node_id] };
      }
      case 'transfer': {
        const nodeId = sources.transfers.nodeOf(id);
        return nodeId === undefined ? null : { nodeIds: [nodeId] };
      }
      case 'copy': {
        const copy = sources.copies.get(id);
        return copy ? { nodeIds: [copy.from.nodeId, copy.to.nodeId] } : null;
      }
    }
  };
}
