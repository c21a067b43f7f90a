// Copies one FleetDeck database into another (SQLite ↔ MariaDB), row for row: nodes keep their ids
// and token hashes, so every agent reconnects to the new database with the token it has. Both sides
// are migrated to this version first; the target must hold no nodes (unless forced, which replaces
// what it holds). The source is read inside one transaction (a consistent snapshot on MariaDB, a
// read transaction on SQLite), so a master may keep running on it meanwhile; what it writes after the
// snapshot began is not copied.
import { type Kysely, sql } from 'kysely';
import { FleetError } from '../../contract/errors.js';
import { openStore, parseDatabaseUrl, type Store } from './store.js';

/**
 * Not copied: the schema history (the target has its own, at the same version), and the runtime state
 * of the masters that ran on the source (instances, leases, relayed events), which a master on the
 * target writes anew (and MariaDB's migration lock). Only tables both sides have are copied.
 */
const SKIPPED = new Set(['schema_version', 'migration_lock', 'instances', 'leases', 'cluster_events']);
/** Rows read per page and inserted per statement (below both databases' placeholder limits). */
const PAGE_ROWS = 500;
const MAX_PLACEHOLDERS = 30_000;

// biome-ignore lint/suspicious/noExplicitAny: tables are copied by name, whatever their columns
type AnyDb = Kysely<any>;
type Row = Record<string, unknown>;

export interface CopyResult {
  tables: Array<{ table: string; rows: number }>;
  schemaVersion: number;
}

/** A URL opened for a long copy: MariaDB statements may take minutes, not the pool's 5 s. */
function forCopy(url: string): string {
  if (parseDatabaseUrl(url).dialect !== 'mariadb' || url.includes('statement-timeout-sec')) return url;
  return `${url}${url.includes('?') ? '&' : '?'}statement-timeout-sec=3600`;
}

export async function copyDatabase(
  fromUrl: string,
  toUrl: string,
  options: { force?: boolean; onTable?: (table: string, rows: number) => void } = {},
): Promise<CopyResult> {
  if (fromUrl === toUrl) throw new FleetError('bad_request', 'The source and the target are the same database.');
  const from = await openStore(forCopy(fromUrl));
  try {
    const to = await openStore(forCopy(toUrl));
    try {
      if (from.migration.to !== to.migration.to) {
        throw new FleetError('conflict', `The databases are at schema ${from.migration.to} and ${to.migration.to}.`);
      }
      await refuseNonEmpty(to, options.force === true);
      const targetTables = new Set(await tableNames(to));
      const tables = (await tableNames(from)).filter((t) => !SKIPPED.has(t) && targetTables.has(t));
      const copied = await readSnapshot(from, async (read) => {
        const result: CopyResult['tables'] = [];
        await withoutForeignKeys(to, async (write) => {
          for (const table of tables) {
            const rows = await copyTable(read, write, table, await keyColumns(from.dialect, read, table));
            options.onTable?.(table, rows);
            result.push({ table, rows });
          }
        });
        return result;
      });
      return { tables: copied, schemaVersion: to.migration.to };
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

async function refuseNonEmpty(to: Store, force: boolean): Promise<void> {
  const nodes = await to.db
    .selectFrom('nodes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(nodes.n) > 0 && !force) {
    throw new FleetError(
      'conflict',
      `The target database already has ${nodes.n} node(s). Copy into an empty database, or pass --force to replace everything in it.`,
    );
  }
}

export async function tableNames(store: Store): Promise<string[]> {
  if (store.dialect === 'sqlite') {
    const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'table'
      and name not like 'sqlite_%' order by rowid`.execute(store.db);
    return rows.rows.map((r) => r.name);
  }
  const rows = await sql<{ name: string }>`select table_name as name from information_schema.tables
    where table_schema = database() and table_type = 'BASE TABLE' order by table_name`.execute(store.db);
  return rows.rows.map((r) => r.name);
}

/**
 * Runs `work` with one connection that sees the source as it was when the snapshot began. Every read
 * of the copy goes through it (SQLite has one connection: another query would wait for it forever).
 */
async function readSnapshot<T>(store: Store, work: (read: AnyDb) => Promise<T>): Promise<T> {
  return store.db.connection().execute(async (conn) => {
    if (store.dialect === 'mariadb') {
      await sql`set session transaction isolation level repeatable read`.execute(conn);
      await sql`start transaction with consistent snapshot`.execute(conn);
    } else {
      await sql`begin`.execute(conn);
      // A read starts SQLite's snapshot; every later read in the transaction sees the same one.
      await sql`select count(*) from nodes`.execute(conn);
    }
    try {
      return await work(conn as AnyDb);
    } finally {
      await sql`rollback`.execute(conn);
      if (store.dialect === 'mariadb') await sql`set session transaction isolation level read committed`.execute(conn);
    }
  });
}

/** One connection of the target with foreign key checks off (rows arrive in table order, not key order). */
async function withoutForeignKeys(store: Store, work: (write: AnyDb) => Promise<void>): Promise<void> {
  await store.db.connection().execute(async (conn) => {
    const off = store.dialect === 'mariadb' ? sql`set foreign_key_checks = 0` : sql`pragma foreign_keys = off`;
    const on = store.dialect === 'mariadb' ? sql`set foreign_key_checks = 1` : sql`pragma foreign_keys = on`;
    await off.execute(conn);
    try {
      await conn.transaction().execute((trx) => work(trx as AnyDb));
    } finally {
      await on.execute(conn);
    }
  });
}

/** The table's primary key columns: pages are read in that order, so none is skipped or read twice. */
async function keyColumns(dialect: Store['dialect'], read: AnyDb, table: string): Promise<string[]> {
  if (dialect === 'sqlite') {
    const info = await sql<{ name: string; pk: number }>`select name, pk from pragma_table_info(${table})`.execute(
      read,
    );
    const keys = info.rows.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    return keys.length > 0 ? keys.map((c) => c.name) : ['rowid'];
  }
  const keys = await sql<{ name: string }>`select column_name as name from information_schema.key_column_usage
    where table_schema = database() and table_name = ${table} and constraint_name = 'PRIMARY'
    order by ordinal_position`.execute(read);
  return keys.rows.map((c) => c.name);
}

async function copyTable(read: AnyDb, write: AnyDb, table: string, keys: string[]): Promise<number> {
  await write.deleteFrom(table).execute();
  let offset = 0;
  let total = 0;
  for (;;) {
    // The snapshot does not move, so offsets are stable; a table without rows ends at once.
    let page = read.selectFrom(table).selectAll();
    for (const key of keys) page = page.orderBy(key);
    const rows: Row[] = await page.limit(PAGE_ROWS).offset(offset).execute();
    if (rows.length === 0) return total;
    const columns = Object.keys(rows[0] as Row).length || 1;
    const perInsert = Math.max(1, Math.min(PAGE_ROWS, Math.floor(MAX_PLACEHOLDERS / columns)));
    for (let i = 0; i < rows.length; i += perInsert) {
      await write
        .insertInto(table)
        .values(rows.slice(i, i + perInsert))
        .execute();
    }
    total += rows.length;
    offset += rows.length;
    if (rows.length < PAGE_ROWS) return total;
  }
}
