// Opens the embedded SQLite database with the settings FleetDeck relies on.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { withWriteHooks } from './write-hook.js';

export interface SqliteHandle {
  db: Kysely<Database>;
  raw: Sqlite.Database;
}

export function openSqlite(file: string): SqliteHandle {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const raw = new Sqlite(file);
  raw.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before it is acknowledged (the queue depends on it).
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  // Hooked: an audited operation's entry commits in the transaction of its change (write-hook.ts).
  const db = new Kysely<Database>({
    dialect: withWriteHooks(new SqliteDialect({ database: withStatementCache(raw) })),
  });
  return { db, raw };
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small statement. The same
 * SQL text gets the same prepared statement (least recently used ones are dropped past the limit).
 */
function withStatementCache(raw: Sqlite.Database, limit = 500): SqliteDatabase {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = raw.prepare(sql);
        if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}
