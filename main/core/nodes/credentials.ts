// Which token a connection used, and whether that token still stands. Authentication, the gateway's
// re-checks after a revoke/rotate/delete (on any instance) and the queue's result commits all decide
// with `tokenStanding`, so "valid" means one thing everywhere.
import type { Db, NodesTable } from '../store/schema.js';

/** The columns that decide whether a token stands. */
export type CredentialRow = Pick<
  NodesTable,
  'id' | 'name' | 'token_hash' | 'prev_token_hash' | 'prev_token_expires_at' | 'revoked_at'
>;

export type TokenStanding =
  /** `expiresAt`: set when the token is a rotated-out one still inside its overlap. */
  { valid: true; expiresAt: number | null } | { valid: false; reason: 'deleted' | 'revoked' | 'replaced' };

export function tokenStanding(row: CredentialRow | undefined, tokenHash: string, now: number): TokenStanding {
  if (!row) return { valid: false, reason: 'deleted' };
  if (row.revoked_at !== null) return { valid: false, reason: 'revoked' };
  if (row.token_hash === tokenHash) return { valid: true, expiresAt: null };
  const expiresAt = row.prev_token_expires_at === null ? null : Number(row.prev_token_expires_at);
  if (row.prev_token_hash === tokenHash && expiresAt !== null && expiresAt > now) return { valid: true, expiresAt };
  return { valid: false, reason: 'replaced' };
}

const CREDENTIAL_COLUMNS = [
  'id',
  'name',
  'token_hash',
  'prev_token_hash',
  'prev_token_expires_at',
  'revoked_at',
] as const;

/** The credential columns of these nodes, by id (absent: deleted). */
export async function readCredentials(db: Db, nodeIds: string[]): Promise<Map<string, CredentialRow>> {
  const found = new Map<string, CredentialRow>();
  const ids = [...new Set(nodeIds)];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('nodes')
      .select(CREDENTIAL_COLUMNS)
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const row of rows) found.set(row.id, row);
  }
  return found;
}

export function selectCredentialsQuery(conn: Db, nodeIds: string[]) {
  return conn.selectFrom('nodes').select(CREDENTIAL_COLUMNS).where('id', 'in', nodeIds);
}

// `config_versions('credentials')` moves in the same transaction as every revoke, rotation and
// delete: each instance watches it and re-checks its connections when it moves, so a change made on
// one master reaches the agents connected to every other one.
const VERSION_NAME = 'credentials';

export async function credentialsVersion(db: Db): Promise<number> {
  const row = await db
    .selectFrom('config_versions')
    .select('version')
    .where('name', '=', VERSION_NAME)
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}

export async function bumpCredentialsVersion(trx: Db): Promise<void> {
  const bump = () =>
    trx
      .updateTable('config_versions')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('name', '=', VERSION_NAME)
      .executeTakeFirst();
  if (Number((await bump()).numUpdatedRows) > 0) return;
  // Databases created before the watch have no row yet; the first change creates it. Another
  // instance creating it at the same moment makes the insert fail (statement-level on MariaDB,
  // the transaction goes on) and the update then finds the row.
  try {
    await trx.insertInto('config_versions').values({ name: VERSION_NAME, version: 1 }).execute();
  } catch {
    await bump();
  }
}
