// Reading the audit log: filtered pages newest first (the screen, the API) and the export's walk.
import { sql } from 'kysely';
import type { z } from 'zod';
import type { AuditEntryView, AuditFilter } from '../../contract/audit-schemas.js';
import type { AuditLogTable } from '../store/migrations/23-audit.js';
import type { Db } from '../store/schema.js';

type Filter = z.output<typeof AuditFilter>;
export type AuditEntry = z.output<typeof AuditEntryView>;

/** A node id as it appears in `target_ids` (a JSON array of strings), for a LIKE; `!` escapes. */
function targetPattern(nodeId: string): string {
  return `%${JSON.stringify(nodeId).replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

function filtered(db: Db, filter: Filter, before: number | undefined) {
  let query = db.selectFrom('audit_log').selectAll();
  if (filter.person !== undefined) {
    const person = filter.person;
    query = query.where((eb) => eb.or([eb('caller_name', '=', person), eb('user_id', '=', person)]));
  }
  if (filter.operation !== undefined) query = query.where('operation', '=', filter.operation);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  if (filter.nodeId !== undefined) {
    const pattern = targetPattern(filter.nodeId);
    query = query.where(sql<boolean>`target_ids like ${pattern} escape '!'`);
  }
  if (before !== undefined) query = query.where('seq', '<', before);
  return query.orderBy('seq', 'desc');
}

export function toEntryView(row: AuditLogTable): AuditEntry {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    caller: {
      kind: row.caller_kind,
      name: row.caller_name,
      userId: row.user_id,
      tokenId: row.token_id,
      sessionId: row.session_id,
      address: row.address,
      userAgent: row.user_agent,
    },
    instanceId: row.instance_id,
    operation: row.operation,
    targets: JSON.parse(row.targets) as AuditEntry['targets'],
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    outcome: row.outcome as AuditEntry['outcome'],
    errorCode: row.error_code,
    refSeq: row.ref_seq === null ? null : Number(row.ref_seq),
    hash: row.hash,
  };
}

export async function listAuditEntries(
  db: Db,
  filter: Filter & { before?: number | undefined; limit: number },
): Promise<AuditEntry[]> {
  const rows = await filtered(db, filter, filter.before).limit(filter.limit).execute();
  return rows.map(toEntryView);
}

/** The entries an export writes, newest first, read 1,000 at a time; at most `limit` in all. */
export async function* exportEntries(db: Db, filter: Filter, limit: number): AsyncGenerator<AuditEntry> {
  let before: number | undefined;
  let left = limit;
  while (left > 0) {
    const rows = await filtered(db, filter, before).limit(Math.min(1_000, left)).execute();
    for (const row of rows) yield toEntryView(row);
    if (rows.length < Math.min(1_000, left)) return;
    left -= rows.length;
    before = Number(rows.at(-1)?.seq);
  }
}
