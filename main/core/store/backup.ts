// `fleetdeck backup` / `fleetdeck restore`: a master's database and its data directory (TLS identity,
// which agents pin; admin token; sealing key and sealed credentials; known hosts; the local node's
// journal; the metrics spool) in one directory. The database is copied online and consistent while the
// master runs: SQLite through its backup API, MariaDB from one consistent snapshot (copy.ts) into a
// SQLite file, so every backup has the same shape and restores onto either database.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import Sqlite from 'better-sqlite3';
import { VERSION } from '../../../agent/version.js';
import { FleetError } from '../../contract/errors.js';
import { copyDatabase } from './copy.js';
import { openStore, parseDatabaseUrl } from './store.js';

export const BACKUP_DB = 'fleetdeck.db';
const BACKUP_DATA = 'data';
const MANIFEST = 'manifest.json';
const RUNTIME_TABLES = ['instances', 'leases', 'cluster_events'] as const;
/** A master whose instance row beat this recently is running: restoring under it would corrupt it. */
const RUNNING_WITHIN_MS = 20_000;

export interface Manifest {
  fleetdeckVersion: string;
  schemaVersion: number;
  sourceDialect: 'sqlite' | 'mariadb';
  createdAt: string;
  /** Every file of the backup but the manifest: relative path → SHA-256. */
  files: Record<string, string>;
}

/** Files of the data directory that are not the SQLite database itself (it is copied consistently). */
function dataFiles(dataDir: string, dbFile: string | null): string[] {
  if (!existsSync(dataDir)) return [];
  const skip = dbFile ? new Set([dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`]) : new Set<string>();
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && !skip.has(path)) out.push(path);
    }
  };
  walk(dataDir);
  return out;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

export async function backup(options: { dataDir: string; dbUrl: string; out: string }): Promise<Manifest> {
  const { out } = options;
  if (existsSync(out) && readdirSync(out).length > 0) {
    throw new FleetError('conflict', `${out} is not empty: give a new directory for the backup.`);
  }
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const { dialect, location } = parseDatabaseUrl(options.dbUrl);
  const target = join(out, BACKUP_DB);
  if (dialect === 'sqlite') {
    if (!existsSync(location)) throw new FleetError('not_found', `There is no database at ${location}.`);
    const source = new Sqlite(location, { fileMustExist: true });
    try {
      // The online backup API: a consistent copy while the master keeps writing.
      await source.backup(target);
    } finally {
      source.close();
    }
  } else {
    await copyDatabase(options.dbUrl, target);
  }
  const store = await openStore(target);
  const schemaVersion = store.migration.to;
  // The masters running now are not part of what is restored (copy.ts leaves them out the same way).
  for (const table of RUNTIME_TABLES) await store.db.deleteFrom(table).execute();
  await store.close();
  for (const file of dataFiles(options.dataDir, dialect === 'sqlite' ? location : null)) {
    const copy = join(out, BACKUP_DATA, relative(options.dataDir, file));
    mkdirSync(dirname(copy), { recursive: true, mode: 0o700 });
    copyFileSync(file, copy);
  }
  const manifest: Manifest = {
    fleetdeckVersion: VERSION,
    schemaVersion,
    sourceDialect: dialect,
    createdAt: new Date().toISOString(),
    files: Object.fromEntries(dataFiles(out, null).map((f) => [relative(out, f), sha256(f)])),
  };
  writeFileSync(join(out, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

/** Reads and checks a backup: every file the manifest names is there, unchanged. */
export function readBackup(from: string): Manifest {
  const path = join(from, MANIFEST);
  if (!existsSync(path)) throw new FleetError('not_found', `${from} is not a FleetDeck backup (no ${MANIFEST}).`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  for (const [file, hash] of Object.entries(manifest.files)) {
    const full = join(from, file);
    if (!existsSync(full) || sha256(full) !== hash) {
      throw new FleetError('conflict', `The backup is damaged: ${file} is missing or changed since the backup.`);
    }
  }
  return manifest;
}

async function refuseRunning(dbUrl: string): Promise<void> {
  const { dialect, location } = parseDatabaseUrl(dbUrl);
  if (dialect === 'sqlite' && !existsSync(location)) return;
  const store = await openStore(dbUrl);
  try {
    const running = await store.db
      .selectFrom('instances')
      .select(['id', 'hostname'])
      .where('heartbeat_at', '>', Date.now() - RUNNING_WITHIN_MS)
      .execute();
    if (running.length > 0) {
      throw new FleetError(
        'conflict',
        `A FleetDeck master is running on this database (on ${running.map((r) => r.hostname).join(', ')}): stop it, then restore.`,
      );
    }
  } finally {
    await store.close();
  }
}

export async function restore(options: { from: string; dataDir: string; dbUrl: string; force?: boolean }) {
  const manifest = readBackup(options.from);
  await refuseRunning(options.dbUrl);
  const force = options.force === true;
  // The data files first: a conflict stops the restore before the database is touched.
  const files = dataFiles(join(options.from, BACKUP_DATA), null);
  const conflicts = files
    .map((f) => join(options.dataDir, relative(join(options.from, BACKUP_DATA), f)))
    .filter((target, i) => existsSync(target) && sha256(target) !== sha256(files[i] as string));
  if (conflicts.length > 0 && !force) {
    throw new FleetError(
      'conflict',
      `${options.dataDir} already has other versions of ${conflicts.map((c) => relative(options.dataDir, c)).join(', ')}: restore into an empty data directory, or pass --force to replace them.`,
    );
  }
  const { dialect, location } = parseDatabaseUrl(options.dbUrl);
  // The backup's own file stays as it was: migrations and copies work on a scratch copy.
  const scratch = join(options.dataDir, `.restore-${process.pid}.db`);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  copyFileSync(join(options.from, BACKUP_DB), scratch);
  try {
    if (dialect === 'sqlite') {
      if (existsSync(location) && !force && (await hasNodes(options.dbUrl))) {
        throw new FleetError(
          'conflict',
          `${location} already holds nodes: pass --force to replace it with the backup.`,
        );
      }
      mkdirSync(dirname(location), { recursive: true });
      for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${location}${suffix}`, { force: true });
      renameSync(scratch, location);
    } else {
      await copyDatabase(scratch, options.dbUrl, { force });
    }
  } finally {
    rmSync(scratch, { force: true });
    for (const suffix of ['-wal', '-shm']) rmSync(`${scratch}${suffix}`, { force: true });
  }
  cpSync(join(options.from, BACKUP_DATA), options.dataDir, { recursive: true, force: true });
  return { manifest, restoredFiles: files.length, database: dialect === 'sqlite' ? location : 'the MariaDB database' };
}

async function hasNodes(dbUrl: string): Promise<boolean> {
  if (statSync(parseDatabaseUrl(dbUrl).location).size === 0) return false;
  const store = await openStore(dbUrl);
  try {
    const row = await store.db
      .selectFrom('nodes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n) > 0;
  } finally {
    await store.close();
  }
}
