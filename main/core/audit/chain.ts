// Appending to the chain inside a caller's transaction. The head row is locked first (SELECT … FOR
// UPDATE on MariaDB; SQLite has one writer), so appends of every master are serialized and the chain
// stays one line even with several masters writing. Both forms write the same rows: `appendIn` for a
// plain transaction, `queueAppend` + `writeAppend` for the queue's statement batches (the head read
// rides the batch's first round trip, the inserts its commit).

import type { AuditChainTable, AuditLogTable } from '../store/migrations/23-audit.js';
import type { Db } from '../store/schema.js';
import type { StatementBatch, StatementResult } from '../store/statement-batch.js';
import type { RunStatement } from '../store/write-hook.js';
import { type AuditDraft, chainRows, draftRow } from './entry.js';

export type Dialect = 'sqlite' | 'mariadb';

function headQuery(conn: Db, dialect: Dialect) {
  const query = conn.selectFrom('audit_chain').selectAll().where('id', '=', 1);
  return dialect === 'mariadb' ? query.forUpdate() : query;
}

/** Target names as they are now, for drafts that only know ids. */
function namesQuery(conn: Db, ids: string[]) {
  return conn
    .selectFrom('nodes')
    .select(['id', 'name'])
    .where('id', 'in', ids.length > 0 ? ids : ['']);
}

function withNames(drafts: AuditDraft[], names: Map<string, string>): AuditDraft[] {
  return drafts.map((d) => ({
    ...d,
    targets: d.targets.map((t) => ({ id: t.id, name: t.name ?? names.get(t.id) ?? null })),
  }));
}

function missingNames(drafts: AuditDraft[]): string[] {
  return [...new Set(drafts.flatMap((d) => d.targets.filter((t) => t.name === null).map((t) => t.id)))];
}

/** 500 rows a statement (19 parameters each stays under SQLite's variable limit). */
function insertRows(conn: Db, rows: AuditLogTable[]) {
  const statements = [];
  for (let i = 0; i < rows.length; i += 500)
    statements.push(conn.insertInto('audit_log').values(rows.slice(i, i + 500)));
  return statements;
}

function moveHead(conn: Db, head: { seq: number; hash: string }) {
  return conn.updateTable('audit_chain').set({ head_seq: head.seq, head_hash: head.hash }).where('id', '=', 1);
}

function chain(
  headRow: AuditChainTable | undefined,
  drafts: AuditDraft[],
  names: Map<string, string>,
  at: number,
  instanceId: string,
) {
  if (!headRow) throw new Error('the audit chain head is missing (migration 23 not applied?)');
  const head = { seq: Number(headRow.head_seq), hash: headRow.head_hash };
  return chainRows(
    head,
    withNames(drafts, names).map((d) => draftRow(d, at, instanceId)),
  );
}

/** Appends entries in `trx` (a transaction the caller commits); returns their seqs. */
export function appendIn(
  trx: Db,
  dialect: Dialect,
  drafts: AuditDraft[],
  at: number,
  instanceId: string,
): Promise<number[]> {
  return appendThrough((query) => trx.executeQuery(query), trx, dialect, drafts, at, instanceId);
}

/** Locks the chain's head through `run` (store/write-hook.ts), on MariaDB; SQLite has one writer. */
export async function lockHeadThrough(run: RunStatement, conn: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'mariadb') await run(headQuery(conn, dialect).compile());
}

/**
 * Appends entries through `run` (a statement runner on the connection of a transaction someone else
 * opened and is about to commit: store/write-hook.ts); `conn` only compiles the statements. Returns
 * their seqs.
 */
export async function appendThrough(
  run: RunStatement,
  conn: Db,
  dialect: Dialect,
  drafts: AuditDraft[],
  at: number,
  instanceId: string,
): Promise<number[]> {
  if (drafts.length === 0) return [];
  const headRow = (await run(headQuery(conn, dialect).compile())).rows[0] as AuditChainTable | undefined;
  const missing = missingNames(drafts);
  const names =
    missing.length > 0
      ? ((await run(namesQuery(conn, missing).compile())).rows as Array<{ id: string; name: string }>)
      : [];
  const chained = chain(headRow, drafts, new Map(names.map((n) => [n.id, n.name])), at, instanceId);
  for (const insert of insertRows(conn, chained.rows)) await run(insert.compile());
  await run(moveHead(conn, chained.head).compile());
  return chained.rows.map((r) => r.seq);
}

/** The first half of a batched append: the head (locked) and the names, read with the batch's reads. */
export function queueAppend(batch: StatementBatch, conn: Db, dialect: Dialect, drafts: AuditDraft[]) {
  if (drafts.length === 0) return null;
  return {
    head: batch.add(headQuery(conn, dialect)) as StatementResult<AuditChainTable>,
    names: batch.add(namesQuery(conn, missingNames(drafts))),
  };
}

/** The second half: the inserts and the head's move, sent with the batch's writes. Returns the seqs. */
export function writeAppend(
  batch: StatementBatch,
  conn: Db,
  read: NonNullable<ReturnType<typeof queueAppend>>,
  drafts: AuditDraft[],
  at: number,
  instanceId: string,
): number[] {
  if (drafts.length === 0) return [];
  const names = new Map(read.names.rows.map((n) => [n.id, n.name]));
  const chained = chain(read.head.rows[0], drafts, names, at, instanceId);
  for (const insert of insertRows(conn, chained.rows)) batch.add(insert);
  batch.add(moveHead(conn, chained.head));
  return chained.rows.map((r) => r.seq);
}
