// Migration 22 (api-tokens): people's API tokens (core/access/api-tokens.ts). Only a SHA-256 of each
// token is kept (a token is 32 random bytes: a fast hash is enough, nothing to guess); its role and
// label scope are fixed when it is made, no wider than its maker's.
import type { Migration } from '../migrations.js';

export const migration22: Migration | null = {
  version: 22,
  name: 'api tokens',
  async up(db) {
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      // The account it belongs to (accounts, migration 21); null for the bootstrap credentials' tokens.
      .addColumn('user_id', 'varchar(64)')
      .addColumn('owner', 'varchar(128)', (c) => c.notNull())
      .addColumn('role', 'varchar(16)', (c) => c.notNull())
      // JSON object of label pairs, or null for every node.
      .addColumn('selector', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('last_used_address', 'varchar(64)')
      .execute();
    await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();
  },
};

export interface ApiTokensTable {
  id: string;
  token_hash: string;
  name: string;
  user_id: string | null;
  owner: string;
  role: 'administrator' | 'operator' | 'viewer';
  selector: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  last_used_address: string | null;
}

export interface Tables22 {
  api_tokens: ApiTokensTable;
}
