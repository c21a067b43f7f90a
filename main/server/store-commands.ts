// `fleetdeck backup`, `fleetdeck restore` and `fleetdeck db copy`: the database and data directory
// moved, kept or brought back (core/store/backup.ts, copy.ts). Each prints what it did and exits.
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultDataDir } from '../core/paths.js';
import { backup, restore } from '../core/store/backup.js';
import { copyDatabase } from '../core/store/copy.js';
import { redactUrl } from '../core/store/mariadb.js';

const dbOf = (flags: { db?: string; dataDir: string }) => flags.db ?? join(flags.dataDir, 'fleetdeck.db');
const shown = (url: string) =>
  /^(mysql|mariadb):\/\//.test(url) ? redactUrl(new URL(url.replace(/^mariadb:/, 'mysql:'))) : url;
const say = (text: string) => process.stdout.write(`${text}\n`);

export function addStoreCommands(program: Command): void {
  program
    .command('backup')
    .description("copy the master's database (online, consistent) and data directory into a new directory")
    .requiredOption('--out <dir>', 'a new (or empty) directory for the backup')
    .option('--data-dir <path>', 'the master data directory (env FLEETDECK_DATA_DIR)', defaultDataDir())
    .option('--db <url>', 'the database, when not fleetdeck.db in the data dir (sqlite:/path or mysql://…)')
    .action(async (flags: { out: string; dataDir: string; db?: string }) => {
      const manifest = await backup({ dataDir: flags.dataDir, dbUrl: dbOf(flags), out: flags.out });
      say(
        `Backed up ${shown(dbOf(flags))} (schema ${manifest.schemaVersion}) and ${Object.keys(manifest.files).length - 1} data file(s) to ${flags.out}.`,
      );
    });
  program
    .command('restore')
    .description('put a backup back: the database and the data directory (stop the master first)')
    .requiredOption('--from <dir>', 'a directory written by fleetdeck backup')
    .option('--data-dir <path>', 'the master data directory to restore into (env FLEETDECK_DATA_DIR)', defaultDataDir())
    .option('--db <url>', 'the database to restore into, when not fleetdeck.db in the data dir')
    .option('--force', 'replace a database that holds nodes and data files that differ')
    .action(async (flags: { from: string; dataDir: string; db?: string; force?: boolean }) => {
      const done = await restore({ from: flags.from, dataDir: flags.dataDir, dbUrl: dbOf(flags), force: flags.force });
      say(
        `Restored the backup of ${done.manifest.createdAt} into ${shown(dbOf(flags))} and ${flags.dataDir} (${done.restoredFiles} data file(s)). Start the master: its agents reconnect with their tokens.`,
      );
    });
  const db = program.command('db').description('database tools');
  db.command('copy')
    .description('copy every node (tokens as hashes), command, task and metric into another database')
    .requiredOption('--from <url>', 'the source: a SQLite path, sqlite:/path or mysql://…')
    .requiredOption('--to <url>', 'the target, empty (created and migrated if needed)')
    .option('--force', 'replace what the target holds')
    .action(async (flags: { from: string; to: string; force?: boolean }) => {
      const result = await copyDatabase(flags.from, flags.to, {
        force: flags.force,
        onTable: (table, rows) => say(`  ${table}: ${rows} row(s)`),
      });
      const total = result.tables.reduce((sum, t) => sum + t.rows, 0);
      say(
        `Copied ${total} row(s) in ${result.tables.length} tables to ${shown(flags.to)}. Start the master with --db ${shown(flags.to)} and the same data directory: agents reconnect with the tokens they have.`,
      );
    });
}
