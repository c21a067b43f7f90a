// The store: one interface over the embedded SQLite database (and, later, a shared MariaDB).
// Callers get a typed Kysely handle; the dialect is chosen from the database URL.
import { sql } from 'kysely';
import { FleetError } from '../errors.js';
import { type MigrateResult, migrate } from './migrate.js';
import type { Db } from './schema.js';
import { openSqlite } from './sqlite.js';

export interface Store {
  readonly db: Db;
  readonly dialect: 'sqlite' | 'mariadb';
  readonly location: string;
  readonly migration: MigrateResult;
  ping(): Promise<void>;
  integrityCheck(): Promise<string>;
  close(): Promise<void>;
}

/** `sqlite:/path/file.db`, a bare path, or (shared mode, later) `mysql://…`. */
export function parseDatabaseUrl(url: string): { dialect: 'sqlite' | 'mariadb'; location: string } {
  if (/^(mysql|mariadb):\/\//.test(url)) return { dialect: 'mariadb', location: url };
  if (url.startsWith('sqlite:')) return { dialect: 'sqlite', location: url.slice('sqlite:'.length) };
  if (url.includes('://')) {
    throw new FleetError(
      'bad_request',
      `Unsupported database URL "${url.split('://')[0]}://…": use a SQLite file path or sqlite:/path/file.db.`,
    );
  }
  return { dialect: 'sqlite', location: url };
}

export async function openStore(url: string): Promise<Store> {
  const { dialect, location } = parseDatabaseUrl(url);
  if (dialect === 'mariadb') {
    throw new FleetError(
      'bad_request',
      'Shared MariaDB storage is not available in this build yet: use the embedded SQLite store (omit --db).',
    );
  }
  const { db, raw } = openSqlite(location);
  let migration: MigrateResult;
  try {
    migration = await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    dialect,
    location,
    migration,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async integrityCheck() {
      return String(raw.pragma('integrity_check', { simple: true }));
    },
    async close() {
      await db.destroy();
    },
  };
}
