// Migration 23 (audit): the append-only audit log, its chain head, and who launched each command and
// task run. A slot of its own so work on different features never edits the same lines.
import type { Migration } from '../migrations.js';

export const migration23: Migration | null = {
  version: 23,
  name: 'audit log with a hash chain; who launched commands and task runs',
  async up(db) {
    await db.schema
      .createTable('audit_log')
      // Assigned from the chain head under its lock (not auto-increment): gaps mean a deleted entry.
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('caller_kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('caller_name', 'varchar(200)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(64)')
      .addColumn('token_id', 'varchar(64)')
      .addColumn('session_id', 'varchar(64)')
      .addColumn('address', 'varchar(64)')
      .addColumn('user_agent', 'varchar(512)')
      .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('operation', 'varchar(64)', (c) => c.notNull())
      // JSON: the target node ids (searched by the node filter) and [{id, name}] as they were then.
      .addColumn('target_ids', 'text', (c) => c.notNull())
      .addColumn('targets', 'text', (c) => c.notNull())
      // JSON: what was done (command line, paths, sizes, the input without secrets), ≤ 8 KiB.
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
      .addColumn('error_code', 'varchar(64)')
      // An outcome entry names the attempt entry it ends.
      .addColumn('ref_seq', 'bigint')
      .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at']).execute();
    await db.schema.createIndex('audit_log_caller').on('audit_log').columns(['caller_name', 'seq']).execute();
    await db.schema.createIndex('audit_log_operation').on('audit_log').columns(['operation', 'seq']).execute();
    // One row: the chain's last entry (locked by every append) and the anchor pruning left behind.
    await db.schema
      .createTable('audit_chain')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('head_seq', 'bigint', (c) => c.notNull())
      .addColumn('head_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('anchor_seq', 'bigint', (c) => c.notNull())
      .addColumn('anchor_hash', 'varchar(64)', (c) => c.notNull())
      .execute();
    await db
      .insertInto('audit_chain')
      .values({ id: 1, head_seq: 0, head_hash: GENESIS_HASH, anchor_seq: 0, anchor_hash: GENESIS_HASH })
      .execute();
    await db.schema.alterTable('commands').addColumn('launched_by', 'varchar(200)').execute();
    await db.schema.alterTable('task_runs').addColumn('launched_by', 'varchar(200)').execute();
  },
};

/** The previous hash of the first entry ever written. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditLogTable {
  seq: number;
  at: number;
  caller_kind: string;
  caller_name: string;
  user_id: string | null;
  token_id: string | null;
  session_id: string | null;
  address: string | null;
  user_agent: string | null;
  instance_id: string;
  operation: string;
  target_ids: string;
  targets: string;
  detail: string;
  outcome: string;
  error_code: string | null;
  ref_seq: number | null;
  prev_hash: string;
  hash: string;
}

export interface AuditChainTable {
  id: number;
  head_seq: number;
  head_hash: string;
  anchor_seq: number;
  anchor_hash: string;
}

export interface Tables23 {
  audit_log: AuditLogTable;
  audit_chain: AuditChainTable;
}
