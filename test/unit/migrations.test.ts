// Real SQLite files: an empty database, one left at an older version, one from a newer FleetDeck.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { currentSchemaVersion, migrate } from '../../main/core/store/migrate.js';
import { LATEST_SCHEMA_VERSION, migrations } from '../../main/core/store/migrations.js';
import { serverVersionProblem } from '../../main/core/store/server-version.js';
import { openSqlite } from '../../main/core/store/sqlite.js';
import { openStore } from '../../main/core/store/store.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { MASTER_ENTRY, requireBuild, tempDir } from '../helpers/processes.js';

describe('migrations', () => {
  it('bring an empty database to the latest version and record each step', async () => {
    const file = join(tempDir(), 'fresh.db');
    const store = await openStore(file);
    expect(store.migration).toMatchObject({ from: 0, to: LATEST_SCHEMA_VERSION });
    expect(store.migration.applied).toHaveLength(migrations.length);
    await store.close();
    const raw = new Sqlite(file, { readonly: true });
    expect(raw.prepare('select version from schema_version order by version').all()).toEqual(
      migrations.map((m) => ({ version: m.version })),
    );
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('upgrade an existing database in place, keeping its data', async () => {
    const file = join(tempDir(), 'old.db');
    const { db } = openSqlite(file);
    await migrate(db, migrations.slice(0, 1));
    expect(await currentSchemaVersion(db)).toBe(1);
    await db
      .insertInto('nodes')
      .values({
        id: 'n1',
        name: 'kept',
        labels: '{}',
        kind: 'agent',
        token_hash: 'h',
        prev_token_hash: null,
        prev_token_expires_at: null,
        revoked_at: null,
        status: 'offline',
        hostname: null,
        os: null,
        platform: null,
        arch: null,
        kernel: null,
        boot_id: null,
        agent_version: null,
        remote_addr: null,
        capabilities: null,
        connected_since: null,
        last_seen_at: null,
        created_at: 1,
        updated_at: 1,
      })
      .execute();
    await db.destroy();

    const store = await openStore(file);
    expect(store.migration).toMatchObject({ from: 1, to: LATEST_SCHEMA_VERSION });
    const node = await store.db.selectFrom('nodes').select('name').where('id', '=', 'n1').executeTakeFirst();
    expect(node?.name).toBe('kept');
    await store.db
      .insertInto('node_status_events')
      .values({ node_id: 'n1', status: 'online', at: 2, reason: 'test' })
      .execute();
    expect(await store.integrityCheck()).toBe('ok');
    // Running again is a no-op.
    await store.close();
    const again = await openStore(file);
    expect(again.migration.applied).toEqual([]);
    await again.close();
  });

  it('refuse a database written by a newer FleetDeck, with a clear message, in the library and the CLI', async () => {
    const dir = tempDir();
    const file = join(dir, 'fleetdeck.db');
    (await openStore(file)).close();
    const raw = new Sqlite(file);
    raw
      .prepare('insert into schema_version (version, name, applied_at) values (?, ?, ?)')
      .run(999, 'future', Date.now());
    raw.close();
    await expect(openStore(file)).rejects.toThrow(/schema version 999.*newer FleetDeck/);

    requireBuild();
    const result = spawnSync(
      process.execPath,
      [MASTER_ENTRY, 'master', '--data-dir', dir, '--agent-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/schema version 999, but this FleetDeck knows versions up to \d+/);
  });
});

describe.runIf(hasMariadb())('migrations on MariaDB', () => {
  it('instances starting at once migrate exactly once, under the migration lock row', async () => {
    const { url, drop } = await freshMariadb();
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
      const applied = stores.map((s) => s.migration.applied.length).sort();
      expect(applied).toEqual([0, 0, 0, migrations.length]);
      const versions = await stores[0]?.db.selectFrom('schema_version').select('version').orderBy('version').execute();
      expect(versions?.map((v) => v.version)).toEqual(migrations.map((m) => m.version));
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await drop();
    }
  });

  it('the lock is a row with a lease: a dead holder is taken over once its lease expires, a live one waited for', async () => {
    const { url, drop } = await freshMariadb();
    try {
      const first = await openStore(url);
      // What a holder that died mid-migration leaves: its row, with a lease running out in 1.5 s.
      const now = Date.now();
      await first.db
        .insertInto('migration_lock')
        .values({ name: 'migrate', holder: 'dead', expires_at: now + 1_500 })
        .execute();
      const quick = { ttlMs: 30_000, renewMs: 10_000, waitMs: 500, retryMs: 50 };
      await expect(openStore(url, { migrationLock: quick })).rejects.toThrow(
        /Another FleetDeck instance \(lock holder dead\) has been migrating this database/,
      );
      const started = performance.now();
      const second = await openStore(url, { migrationLock: { ...quick, waitMs: 10_000 } });
      expect(performance.now() - started).toBeGreaterThan(500);
      expect(await second.db.selectFrom('migration_lock').selectAll().execute()).toEqual([]);
      // Nothing uses named locks (Galera does not replicate them).
      expect(await readFile(new URL('../../main/core/store/store.ts', import.meta.url), 'utf8')).not.toMatch(
        /get_lock/i,
      );
      await Promise.all([first.close(), second.close()]);
    } finally {
      await drop();
    }
  });

  it('takes the database password from the options (environment or file), not only from the URL', async () => {
    const { url, drop } = await freshMariadb();
    const admin = await createConnection({ uri: url });
    try {
      await admin.query(`create user if not exists 'fd_pw_test'@'%' identified by 'pw-from-file'`);
      await admin.query(`grant all on \`${new URL(url).pathname.slice(1)}\`.* to 'fd_pw_test'@'%'`);
      const withUser = new URL(url);
      withUser.username = 'fd_pw_test';
      withUser.hostname = '127.0.0.1';
      await expect(openStore(withUser.href)).rejects.toThrow(/Access denied/);
      const store = await openStore(withUser.href, { password: 'pw-from-file' });
      expect(store.migration.to).toBe(LATEST_SCHEMA_VERSION);
      await store.close();
    } finally {
      await admin.query(`drop user if exists 'fd_pw_test'@'%'`);
      await admin.end();
      await drop();
    }
  });

  it('explains an unreachable server or a URL without a database, hiding the password', async () => {
    await expect(openStore('mysql://root:s3cret@127.0.0.1:1/fleet')).rejects.toThrow(
      /Cannot use the database mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/fleet/,
    );
    await expect(openStore('mysql://root@127.0.0.1:3306')).rejects.toThrow(/names no database/);
  });
});

describe('database server versions', () => {
  it('accepts MariaDB 10.6+ and MySQL 8.0+, and refuses older ones saying what is needed', () => {
    expect(serverVersionProblem('10.11.6-MariaDB-0+deb12u1', 'db')).toBeNull();
    expect(serverVersionProblem('10.6.0-MariaDB', 'db')).toBeNull();
    expect(serverVersionProblem('11.4.2-MariaDB-log', 'db')).toBeNull();
    expect(serverVersionProblem('5.5.5-10.6.12-MariaDB', 'db')).toBeNull();
    expect(serverVersionProblem('8.0.36', 'db')).toBeNull();
    expect(serverVersionProblem('8.4.0', 'db')).toBeNull();
    expect(serverVersionProblem('10.5.23-MariaDB', 'mysql://h/db')).toBe(
      'The database server at mysql://h/db is MariaDB 10.5; FleetDeck needs MariaDB 10.6 or newer, or MySQL 8.0 or newer (for FOR UPDATE SKIP LOCKED). Upgrade the server, or use SQLite for a single master.',
    );
    expect(serverVersionProblem('5.7.44', 'db')).toMatch(/is MySQL 5\.7; FleetDeck needs/);
    expect(serverVersionProblem('garbage', 'db')).toMatch(/Cannot tell the version/);
  });
});
