// Migration 21 (accounts): people who sign in, their roles, browser sessions, second factors, the
// first-run setup link and OpenID Connect sign-in (core/people/). Secrets are stored hashed (session
// tokens, setup tokens, recovery codes: SHA-256 of 256-bit random values; passwords: argon2id) or
// sealed with the cluster key (TOTP secrets, the OIDC client secret).
import type { Migration } from '../migrations.js';

export const migration21: Migration | null = {
  version: 21,
  name: 'accounts, roles, sessions, second factors, OpenID Connect',
  async up(db) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
      // Null for an account that signs in only through OpenID Connect.
      .addColumn('password_hash', 'varchar(512)')
      .addColumn('password_changed_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('disabled_at', 'bigint')
      .addColumn('totp_sealed', 'text')
      .addColumn('totp_enabled_at', 'bigint')
      // The last TOTP time step accepted: a code is never accepted twice.
      .addColumn('totp_last_step', 'bigint')
      // `<issuer>#<sub>` of the OpenID Connect identity bound to the account.
      .addColumn('oidc_subject', 'varchar(700)', (c) => c.unique())
      .execute();
    // Caller.grants: one row per role, on every node (selector null) or on nodes matching a JSON list
    // of label pairs.
    await db.schema
      .createTable('user_roles')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'varchar(32)', (c) => c.notNull())
      .addColumn('selector', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('user_roles_user').on('user_roles').column('user_id').execute();
    // Browser sessions: the cookie's token and the CSRF token, each as SHA-256.
    await db.schema
      .createTable('user_sessions')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('csrf_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('method', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('address', 'varchar(128)')
      .addColumn('user_agent', 'varchar(256)')
      .execute();
    await db.schema.createIndex('user_sessions_user').on('user_sessions').column('user_id').execute();
    await db.schema.createIndex('user_sessions_expires').on('user_sessions').column('expires_at').execute();
    await db.schema
      .createTable('user_recovery_codes')
      .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .addPrimaryKeyConstraint('user_recovery_codes_pk', ['user_id', 'code_hash'])
      .execute();
    // One-time first-run setup links (printed at start while there is no account).
    await db.schema
      .createTable('setup_tokens')
      .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    // The OpenID Connect provider (one row, id 'default') and sign-ins on their way through it.
    await db.schema
      .createTable('oidc_settings')
      .addColumn('id', 'varchar(16)', (c) => c.primaryKey())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('label', 'varchar(128)', (c) => c.notNull())
      .addColumn('issuer', 'varchar(1024)', (c) => c.notNull())
      .addColumn('client_id', 'varchar(512)', (c) => c.notNull())
      .addColumn('client_secret_sealed', 'text')
      .addColumn('redirect_url', 'varchar(1024)', (c) => c.notNull())
      .addColumn('name_claim', 'varchar(128)', (c) => c.notNull())
      .addColumn('auto_create', 'integer', (c) => c.notNull())
      .addColumn('default_role', 'varchar(32)')
      .addColumn('default_selector', 'text')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('oidc_logins')
      .addColumn('state_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('nonce', 'varchar(128)', (c) => c.notNull())
      .addColumn('code_verifier', 'varchar(128)', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

export interface Tables21 {
  users: {
    id: string;
    name: string;
    password_hash: string | null;
    password_changed_at: number | null;
    created_at: number;
    disabled_at: number | null;
    totp_sealed: string | null;
    totp_enabled_at: number | null;
    totp_last_step: number | null;
    oidc_subject: string | null;
  };
  user_roles: { id: string; user_id: string; role: string; selector: string | null; created_at: number };
  user_sessions: {
    id: string;
    token_hash: string;
    csrf_hash: string;
    user_id: string;
    method: string;
    created_at: number;
    last_seen_at: number;
    expires_at: number;
    address: string | null;
    user_agent: string | null;
  };
  user_recovery_codes: { user_id: string; code_hash: string; used_at: number | null };
  setup_tokens: { token_hash: string; created_at: number; expires_at: number; used_at: number | null };
  oidc_settings: {
    id: string;
    enabled: number;
    label: string;
    issuer: string;
    client_id: string;
    client_secret_sealed: string | null;
    redirect_url: string;
    name_claim: string;
    auto_create: number;
    default_role: string | null;
    default_selector: string | null;
    updated_at: number;
  };
  oidc_logins: { state_hash: string; nonce: string; code_verifier: string; expires_at: number };
}
