// Migration 26 (install): staged in-band agent rollouts in the store (core/upgrade/rollout.ts), so a
// rollout outlives its master: the list shows it after a restart, and one that was running when its
// instance stopped is marked interrupted (n of N done) by that instance's next start.
import { type Kysely, SqliteAdapter, sql } from 'kysely';
import type { Migration } from '../migrations.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was
const isSqlite = (db: Kysely<any>) => db.getExecutor().adapter instanceof SqliteAdapter;

export const migration26: Migration | null = {
  version: 26,
  name: 'agent rollouts',
  async up(db) {
    await db.schema
      .createTable('agent_rollouts')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      // The instance running it: only that instance writes it, and marks it interrupted after a restart.
      .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('version', 'varchar(64)', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .addColumn('batch_size', 'integer', (c) => c.notNull())
      .addColumn('max_failures', 'integer', (c) => c.notNull())
      .addColumn('timeout_sec', 'integer', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('done', 'integer', (c) => c.notNull())
      .addColumn('failed', 'integer', (c) => c.notNull())
      .addColumn('message', 'text')
      // JSON array of the nodes and their states (up to 100,000 nodes: MariaDB's text holds 64 KiB).
      .addColumn('nodes', isSqlite(db) ? 'text' : sql`mediumtext`, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('agent_rollouts_created').on('agent_rollouts').column('created_at').execute();
    await db.schema
      .createIndex('agent_rollouts_instance_state')
      .on('agent_rollouts')
      .columns(['instance_id', 'state'])
      .execute();
  },
};

export interface AgentRolloutsTable {
  id: string;
  instance_id: string;
  version: string;
  state: 'running' | 'succeeded' | 'stopped' | 'interrupted';
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  batch_size: number;
  max_failures: number;
  timeout_sec: number;
  total: number;
  done: number;
  failed: number;
  message: string | null;
  nodes: string;
}

export interface Tables26 {
  agent_rollouts: AgentRolloutsTable;
}
