// The queue's reads for the admin API: command history pages and commands by id. The queue's own
// transactions read through statements.ts; these are plain selects on the `commands` table.
import { sql } from 'kysely';
import type { CommandStatus, CommandsTable, Db } from '../store/schema.js';

export interface CommandFilter {
  nodeId?: string;
  status?: CommandStatus;
  taskRunId?: string;
  batchId?: string;
  /** Text the command contains, literally (case-insensitive on both databases' collations). */
  q?: string;
  /** Only commands older than this id (the next page). */
  before?: string;
  limit: number;
}

/**
 * A LIKE pattern matching text that contains `needle` literally. `!` escapes (the same on SQLite and
 * MariaDB, where a backslash would mean different things), so `%`, `_` and `!` in the needle match
 * themselves. The pattern is a bound parameter.
 */
export function containing(needle: string): string {
  return `%${needle.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** Newest first, one page. */
export function listCommands(db: Db, filter: CommandFilter): Promise<CommandsTable[]> {
  const { nodeId, status, taskRunId, batchId, q, before, limit } = filter;
  let query = db.selectFrom('commands').selectAll().orderBy('id', 'desc').limit(limit);
  if (nodeId) query = query.where('node_id', '=', nodeId);
  if (status) query = query.where('status', '=', status);
  if (taskRunId) query = query.where('task_run_id', '=', taskRunId);
  if (batchId) query = query.where('batch_id', '=', batchId);
  if (q) query = query.where(sql<boolean>`command_text like ${containing(q)} escape '!'`);
  if (before) query = query.where('id', '<', before);
  return query.execute();
}

/** The commands with these ids that still exist, in no particular order (500 ids per statement). */
export async function commandsByIds(db: Db, ids: string[]): Promise<CommandsTable[]> {
  const rows: CommandsTable[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    rows.push(
      ...(await db
        .selectFrom('commands')
        .selectAll()
        .where('id', 'in', ids.slice(i, i + 500))
        .execute()),
    );
  }
  return rows;
}
