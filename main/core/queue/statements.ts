// The statements of the queue's hot transactions, added to a StatementBatch so that a commit costs
// two or three round trips to MariaDB however many commands and reports it carries.
import { sql } from 'kysely';
import { type CredentialRow, selectCredentialsQuery } from '../nodes/credentials.js';
import type { CommandStatus, CommandsTable, Db } from '../store/schema.js';
import type { StatementBatch, StatementResult } from '../store/statement-batch.js';
import { predecessorsOf } from './states.js';

/** Ready: pending and available now; active: dispatched or running (counts against the window). */
export type NodeQueueState = { ready: number; active: number };

const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** `lock`: on a database server the rows stay locked until the transaction ends (FOR UPDATE). */
export function selectRows(
  batch: StatementBatch,
  conn: Db,
  ids: string[],
  lock = false,
): StatementResult<CommandsTable>[] {
  return chunks([...new Set(ids)]).map((chunk) => {
    const query = conn.selectFrom('commands').selectAll().where('id', 'in', chunk);
    return batch.add(lock ? query.forUpdate() : query);
  });
}

/** The token columns of these nodes, in chunks (the result transaction's credential check). */
export function selectCredentials(
  batch: StatementBatch,
  conn: Db,
  nodeIds: string[],
): StatementResult<CredentialRow>[] {
  return chunks([...new Set(nodeIds)]).map((chunk) => batch.add(selectCredentialsQuery(conn, chunk)));
}

/** Finished rows leave the hot set. */
function leaveHotSet(batch: StatementBatch, conn: Db, rows: CommandsTable[]): void {
  for (const chunk of chunks(rows)) {
    batch.add(
      conn.deleteFrom('command_inflight').where(
        'command_id',
        'in',
        chunk.map((r) => r.id),
      ),
    );
  }
}

export function rowsOf<O>(results: StatementResult<O>[]): O[] {
  return results.flatMap((r) => r.rows);
}

export function selectQueueStates(batch: StatementBatch, conn: Db, nodeIds: string[], at: number) {
  if (nodeIds.length === 0) return null;
  return batch.add(
    conn
      .selectFrom('command_inflight')
      .select((eb) => [
        'node_id',
        eb.fn
          .sum<number>(
            eb
              .case()
              .when(eb.and([eb('status', '=', 'pending'), eb('available_at', '<=', at)]))
              .then(1)
              .else(0)
              .end(),
          )
          .as('ready'),
        eb.fn.sum<number>(eb.case().when('status', 'in', ['dispatched', 'running']).then(1).else(0).end()).as('active'),
      ])
      .where('node_id', 'in', nodeIds)
      .groupBy('node_id'),
  );
}

export function queueStatesOf(
  nodeIds: string[],
  result: StatementResult<{ node_id: string; ready: number; active: number }> | null,
): Map<string, NodeQueueState> {
  const states = new Map(nodeIds.map((n) => [n, { ready: 0, active: 0 }]));
  for (const r of result?.rows ?? []) states.set(r.node_id, { ready: Number(r.ready), active: Number(r.active) });
  return states;
}

/** New rows into both tables; a row whose status is `dispatched` goes into the hot set dispatched, with its lease. */
export function insertCommands(
  batch: StatementBatch,
  conn: Db,
  rows: Array<{ row: CommandsTable; availableAt: number | null; leaseUntil: number | null }>,
): void {
  for (const chunk of chunks(rows)) {
    batch.add(conn.insertInto('commands').values(chunk.map((c) => c.row)));
    batch.add(
      conn.insertInto('command_inflight').values(
        chunk.map(({ row, availableAt, leaseUntil }) => ({
          command_id: row.id,
          node_id: row.node_id,
          status: row.status === 'dispatched' ? ('dispatched' as const) : ('pending' as const),
          task_run_id: row.task_run_id,
          available_at: availableAt,
          deadline_at: row.deadline_at,
          lease_until: leaseUntil,
        })),
      ),
    );
  }
}

/** The oldest ready commands of one node, at most `room`; rows another instance is claiming are skipped. */
export function selectClaimable(
  batch: StatementBatch,
  conn: Db,
  nodeId: string,
  room: number,
  at: number,
  shared: boolean,
) {
  let query = conn
    .selectFrom('command_inflight')
    .select('command_id')
    .where('node_id', '=', nodeId)
    .where('status', '=', 'pending')
    .where('available_at', '<=', at)
    .orderBy('command_id')
    .limit(room);
  if (shared) query = query.forUpdate().skipLocked();
  return batch.add(query);
}

/** The hot set's status column holds only unfinished states. */
type InflightStatus = 'pending' | 'dispatched' | 'running';
const unfinished = (states: CommandStatus[]) =>
  states.filter((s): s is InflightStatus => s === 'pending' || s === 'dispatched' || s === 'running');

/** Marks claimed commands dispatched and reads them back to send. */
export function markDispatched(
  batch: StatementBatch,
  conn: Db,
  ids: string[],
  at: number,
  leaseUntil: number,
): StatementResult<CommandsTable>[] {
  return chunks(ids).map((chunk) => {
    batch.add(
      conn
        .updateTable('command_inflight')
        .set({ status: 'dispatched', lease_until: leaseUntil })
        .where('command_id', 'in', chunk)
        .where('status', 'in', unfinished(predecessorsOf('dispatched'))),
    );
    batch.add(
      conn
        .updateTable('commands')
        .set({ status: 'dispatched', dispatched_at: at })
        .where('id', 'in', chunk)
        .where('status', 'in', predecessorsOf('dispatched')),
    );
    return batch.add(conn.selectFrom('commands').selectAll().where('id', 'in', chunk));
  });
}

/**
 * Starts reported together: one update per table. Each row gets its own start time and a lease of
 * its own timeout, and only if it is still dispatched and the reporter is its node.
 */
export function markRunning(
  batch: StatementBatch,
  conn: Db,
  starts: Array<{ nodeId: string; id: string; at: number }>,
  leaseFrom: number,
): void {
  for (const chunk of chunks(starts)) {
    const ids = chunk.map((s) => s.id);
    const reporter = caseOf('id', chunk, (s) => s.nodeId);
    batch.add(
      conn
        .updateTable('commands')
        .set({ status: 'running', started_at: caseOf('id', chunk, (s) => s.at) })
        .where('id', 'in', ids)
        .where('status', 'in', predecessorsOf('running'))
        .where('node_id', '=', reporter),
    );
    batch.add(
      conn
        .updateTable('command_inflight')
        .set((eb) => ({
          status: 'running',
          lease_until: sql<number>`${leaseFrom} + (${eb
            .selectFrom('commands')
            .select('timeout_ms')
            .whereRef('commands.id', '=', 'command_inflight.command_id')})`,
        }))
        .where('command_id', 'in', ids)
        .where('status', 'in', unfinished(predecessorsOf('running')))
        .where(
          'node_id',
          '=',
          caseOf('command_id', chunk, (s) => s.nodeId),
        ),
    );
  }
}

/** One update per result (each row's output differs), one delete from the hot set for all. */
export function markFinished(batch: StatementBatch, conn: Db, rows: CommandsTable[]): void {
  for (const done of rows) {
    batch.add(
      conn
        .updateTable('commands')
        .set({
          status: done.status,
          started_at: done.started_at,
          finished_at: done.finished_at,
          exit_code: done.exit_code,
          signal: done.signal,
          stdout: done.stdout,
          stderr: done.stderr,
          truncated: done.truncated,
          error: done.error,
        })
        .where('id', '=', done.id)
        .where('status', 'in', predecessorsOf(done.status)),
    );
  }
  leaveHotSet(batch, conn, rows);
}

/**
 * Unreported finishes: one guarded update per outcome (status, reason) and chunk of ids, then the
 * rows leave the hot set. `rows` carry their terminal status, time and reason.
 */
export function markEnded(batch: StatementBatch, conn: Db, rows: CommandsTable[]): void {
  const outcomes = new Map<string, CommandsTable[]>();
  for (const row of rows) {
    const key = JSON.stringify([row.status, row.finished_at, row.error]);
    const group = outcomes.get(key);
    if (group) group.push(row);
    else outcomes.set(key, [row]);
  }
  for (const group of outcomes.values()) {
    const { status, finished_at, error } = group[0] as CommandsTable;
    for (const chunk of chunks(group)) {
      batch.add(
        conn
          .updateTable('commands')
          .set({ status, finished_at, error })
          .where(
            'id',
            'in',
            chunk.map((r) => r.id),
          )
          .where('status', 'in', predecessorsOf(status)),
      );
    }
  }
  leaveHotSet(batch, conn, rows);
}

/** `CASE WHEN key = … THEN … END`: each row its own value in one multi-row statement. */
function caseOf<T extends { id: string }, V extends number | string>(
  key: 'id' | 'command_id',
  rows: T[],
  value: (row: T) => V,
) {
  const branches = rows.map((r) => sql`when ${sql.ref(key)} = ${r.id} then ${value(r)}`);
  return sql<V>`case ${sql.join(branches, sql` `)} end`;
}
