// The store: one interface over the embedded SQLite database or a shared MariaDB (store/mariadb.ts).
// Callers get a typed Kysely handle; the dialect is chosen from the database URL.
import { sql } from 'kysely';
import { FleetError } from '../../contract/errors.js';
import { openMariadb } from './mariadb.js';
import { type MigrateResult, migrate } from './migrate.js';
import { type MigrationLockTimings, withMigrationLock } from './migration-lock.js';
import { DatabaseProbe, type ProbeResult } from './probe.js';
import type { Db } from './schema.js';
import { checkServerVersion } from './server-version.js';
import { openSqlite } from './sqlite.js';

export interface StoreOptions {
  /** The MariaDB password (FLEETDECK_DB_PASSWORD, --db-password-file); wins over one in the URL. */
  password?: string;
  migrationLock?: MigrationLockTimings;
}

/**
 * MariaDB: the server's version is checked, then instances starting at once migrate one after
 * another under the migration lock (store/migration-lock.ts: a row with a lease, which Galera
 * replicates).
 */
async function openSharedStore(url: string, options: StoreOptions): Promise<Store> {
  const { db, display, timeouts } = openMariadb(url, options.password);
  const statementMs = timeouts.statementMs;
  let migration: MigrateResult;
  try {
    await checkServerVersion(db, display);
    // Migrating waits up to 2 minutes for another instance's lock and may run long DDL.
    timeouts.statementMs = 0;
    migration = await withMigrationLock(db, () => migrate(db), options.migrationLock);
  } catch (error) {
    await db.destroy();
    // A newer schema or an old server says so itself; an unreachable server is named (password hidden).
    if (error instanceof FleetError && error.code !== 'unavailable') throw error;
    throw new FleetError('unavailable', `Cannot use the database ${display}: ${(error as Error).message}`);
  }
  timeouts.statementMs = statementMs;
  const ping = async () => {
    await sql`select 1`.execute(db);
  };
  const probe = new DatabaseProbe(ping);
  return {
    db,
    dialect: 'mariadb',
    location: display,
    migration,
    ping,
    probe: (deadlineMs) => probe.check(deadlineMs),
    async integrityCheck() {
      return 'ok';
    },
    async close() {
      await db.destroy();
    },
  };
}

export interface Store {
  readonly db: Db;
  readonly dialect: 'sqlite' | 'mariadb';
  readonly location: string;
  readonly migration: MigrateResult;
  ping(): Promise<void>;
  /** A ping that answers within `deadlineMs` whatever the database does; one ping in flight at a time. */
  probe(deadlineMs: number): Promise<ProbeResult>;
  integrityCheck(): Promise<string>;
  close(): Promise<void>;
}

/** `sqlite:/path/file.db`, a bare path, or (shared mode) `mysql://…` / `mariadb://…`. */
export function parseDatabaseUrl(url: string): { dialect: 'sqlite' | 'mariadb'; location: string } {
  if (/^(mysql|mariadb):\/\//.test(url)) return { dialect: 'mariadb', location: url };
  if (url.startsWith('sqlite:')) return { dialect: 'sqlite', location: url.slice('sqlite:'.length) };
  if (url.includes('://')) {
    throw new FleetError(
      'bad_request',
      `Unsupported database URL "${url.split('://')[0]}://…": use a SQLite file path, sqlite:/path/file.db or mysql://user:pass@host:3306/db.`,
    );
  }
  return { dialect: 'sqlite', location: url };
}

export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const { dialect, location } = parseDatabaseUrl(url);
  if (dialect === 'mariadb') return openSharedStore(location, options);
  const { db, raw } = openSqlite(location);
  let migration: MigrateResult;
  try {
    migration = await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const ping = async () => {
    await sql`select 1`.execute(db);
  };
  const probe = new DatabaseProbe(ping);
  return {
    db,
    dialect,
    location,
    migration,
    ping,
    probe: (deadlineMs) => probe.check(deadlineMs),
    async integrityCheck() {
      return String(raw.pragma('integrity_check', { simple: true }));
    },
    async close() {
      await db.destroy();
    },
  };
}
