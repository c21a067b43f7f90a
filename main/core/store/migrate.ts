// Runs the forward-only migrations at start and records the schema version.
import { sql } from 'kysely';
import { FleetError } from '../../contract/errors.js';
import { migrations as allMigrations, LATEST_SCHEMA_VERSION, type Migration } from './migrations.js';
import type { Db } from './schema.js';

export async function currentSchemaVersion(db: Db): Promise<number> {
  await db.schema
    .createTable('schema_version')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();
  const row = await db.selectFrom('schema_version').select(sql<number>`max(version)`.as('v')).executeTakeFirst();
  return Number(row?.v ?? 0);
}

export interface MigrateResult {
  from: number;
  to: number;
  applied: string[];
}

/** Brings the database to the latest version; refuses a database written by a newer FleetDeck. */
export async function migrate(db: Db, migrations: readonly Migration[] = allMigrations): Promise<MigrateResult> {
  const latest = migrations.at(-1)?.version ?? 0;
  const from = await currentSchemaVersion(db);
  if (from > latest) {
    throw new FleetError(
      'database_too_new',
      `The database is at schema version ${from}, but this FleetDeck knows versions up to ${latest}. ` +
        'It was written by a newer FleetDeck: upgrade FleetDeck, or point --data-dir/--db at another database.',
    );
  }
  const applied: string[] = [];
  for (const migration of migrations.filter((m) => m.version > from)) {
    await db.transaction().execute(async (trx) => {
      await migration.up(trx);
      await trx
        .insertInto('schema_version')
        .values({ version: migration.version, name: migration.name, applied_at: Date.now() })
        .execute();
    });
    applied.push(`${migration.version} ${migration.name}`);
  }
  return { from, to: Math.max(from, latest), applied };
}

export { LATEST_SCHEMA_VERSION };
