// The store: one interface over the embedded SQLite database or a shared MariaDB (store/mariadb.ts).
// Callers get a typed Kysely handle; the dialect is chosen from the database URL.
import { sql } from 'kysely';
import { FleetError } from '../../contract/errors.js';
import { openMariadb } from './mariadb.js';
import { type MigrateResult, migrate } from './migrate.js';
import { DatabaseProbe, type ProbeResult } from './probe.js';
import type { Db } from './schema.js';
import { openSqlite } from './sqlite.js';

const MIGRATION_LOCK = 'fleetdeck_migrate';

/** MariaDB: instances starting at once migrate one after another under a named database lock. */
async function openSharedStore(url: string): Promise<Store> {
  const { db, display, timeouts } = openMariadb(url);
  const statementMs = timeouts.statementMs;
  // Migrating waits up to 2 minutes for another instance's lock and may run long DDL.
  timeouts.statementMs = 0;
  let migration: MigrateResult;
  try {
    migration = await db.connection().execute(async (conn) => {
      const got = await sql<{ ok: number | null }>`select get_lock(${MIGRATION_LOCK}, 120) as ok`.execute(conn);
      if (got.rows[0]?.ok !== 1) {
        throw new FleetError(
          'unavailable',
          'Another FleetDeck instance has been migrating this database for 2 minutes; try again.',
        );
      }
      try {
        return await migrate(conn);
      } finally {
        await sql`select release_lock(${MIGRATION_LOCK})`.execute(conn);
      }
    });
  } catch (error) {
    await db.destroy();
    // A newer schema says so itself; an unreachable server is named (password hidden).
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

export async function openStore(url: string): Promise<Store> {
  const { dialect, location } = parseDatabaseUrl(url);
  if (dialect === 'mariadb') return openSharedStore(location);
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
