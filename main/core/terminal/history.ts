// Terminal sessions as the store keeps them: the list (open sessions of this master overlaid with
// their live state), one recording, and retention of old ones.
import type { TerminalSessionView } from '../../contract/terminal-schemas.js';
import type { Db, TerminalSessionsTable } from '../store/schema.js';
import { readRecording } from './recording.js';

/** Recordings deleted per statement by retention. */
const PRUNE_BATCH = 200;

export function viewOf(row: TerminalSessionsTable): TerminalSessionView {
  return {
    id: row.id,
    nodeId: row.node_id,
    nodeName: row.node_name,
    state: row.ended_at === null ? 'open' : 'ended',
    startedAt: Number(row.started_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    endReason: (row.end_reason as TerminalSessionView['endReason']) ?? null,
    exitCode: row.exit_code,
    message: row.message,
    shell: row.shell,
    cols: row.cols,
    rows: row.rows,
    attached: false,
    recordedBytes: Number(row.recorded_bytes),
    recordingTruncated: Boolean(row.recording_truncated),
  };
}

export async function listSessions(
  db: Db,
  live: (id: string) => TerminalSessionView | null,
  query: { nodeId?: string; limit: number },
): Promise<TerminalSessionView[]> {
  let select = db.selectFrom('terminal_sessions').selectAll().orderBy('started_at', 'desc').limit(query.limit);
  if (query.nodeId) select = select.where('node_id', '=', query.nodeId);
  const rows = await select.execute();
  return rows.map((row) => live(row.id) ?? viewOf(row));
}

export async function sessionRow(db: Db, id: string): Promise<TerminalSessionsTable | undefined> {
  return db.selectFrom('terminal_sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export { readRecording };

/** Deletes sessions (and their recordings) that ended before `before`; returns how many. */
export async function pruneSessions(db: Db, before: number): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = (
      await db.selectFrom('terminal_sessions').select('id').where('ended_at', '<', before).limit(PRUNE_BATCH).execute()
    ).map((r) => r.id);
    if (ids.length === 0) return total;
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('terminal_recording_chunks').where('session_id', 'in', ids).execute();
      await tx.deleteFrom('terminal_sessions').where('id', 'in', ids).execute();
    });
    total += ids.length;
  }
}

/** Sessions this instance had open when it last stopped without ending them (a crash) are over. */
export async function endStaleSessions(db: Db, instanceId: string, now = Date.now()): Promise<void> {
  await db
    .updateTable('terminal_sessions')
    .set({ ended_at: now, end_reason: 'master_stopped', message: 'The master stopped.' })
    .where('instance_id', '=', instanceId)
    .where('ended_at', 'is', null)
    .execute();
}
