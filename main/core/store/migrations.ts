// Forward-only schema history. Append new migrations; never edit a released one.
// DDL is written through Kysely's schema builder so it runs on SQLite and MariaDB alike.
import { type Kysely, SqliteAdapter, sql } from 'kysely';
import { migration21 } from './migrations/21-accounts.js';
import { migration22 } from './migrations/22-api-tokens.js';
import { migration23 } from './migrations/23-audit.js';
import { migration24 } from './migrations/24-probes.js';
import { migration25 } from './migrations/25-status-page.js';
import { migration26 } from './migrations/26-install.js';
import { migration27 } from './migrations/27-terminal-alerts.js';
import { migration28 } from './migrations/28-files.js';
import { migration29 } from './migrations/29-probe-headers.js';
import { migration30 } from './migrations/30-sign-in-failures.js';

// biome-ignore lint/suspicious/noExplicitAny: any schema
const isSqlite = (db: Kysely<any>) => db.getExecutor().adapter instanceof SqliteAdapter;

export interface Migration {
  version: number;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
  up(db: Kysely<any>): Promise<void>;
}

const firstTwenty: readonly Migration[] = [
  {
    version: 1,
    name: 'nodes',
    async up(db) {
      await db.schema
        .createTable('nodes')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)')
        .addColumn('prev_token_hash', 'varchar(64)')
        .addColumn('prev_token_expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('hostname', 'varchar(256)')
        .addColumn('os', 'varchar(256)')
        .addColumn('platform', 'varchar(32)')
        .addColumn('arch', 'varchar(32)')
        .addColumn('kernel', 'varchar(256)')
        .addColumn('boot_id', 'varchar(128)')
        .addColumn('agent_version', 'varchar(64)')
        .addColumn('remote_addr', 'varchar(128)')
        .addColumn('capabilities', 'text')
        .addColumn('connected_since', 'bigint')
        .addColumn('last_seen_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('nodes_token_hash').on('nodes').column('token_hash').unique().execute();
      await db.schema.createIndex('nodes_prev_token_hash').on('nodes').column('prev_token_hash').execute();
    },
  },
  {
    version: 2,
    name: 'node status history',
    async up(db) {
      await db.schema
        .createTable('node_status_events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('node_id', 'varchar(64)', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(256)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('node_status_events_node_at')
        .on('node_status_events')
        .columns(['node_id', 'at'])
        .execute();
    },
  },
  {
    version: 3,
    name: 'command queue and tasks',
    async up(db) {
      await db.schema
        .createTable('tasks')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('exec', 'text', (c) => c.notNull())
        .addColumn('targets', 'text', (c) => c.notNull())
        .addColumn('timeout_sec', 'integer', (c) => c.notNull())
        .addColumn('retry', 'text')
        .addColumn('concurrency', 'integer')
        .addColumn('schedule', 'varchar(128)')
        .addColumn('timezone', 'varchar(64)')
        .addColumn('overlap', 'varchar(16)', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('task_runs')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('task_id', 'varchar(64)', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
        .addColumn('trigger', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('concurrency', 'integer')
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('first_failure', 'varchar(64)')
        .addColumn('scheduled_for', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.createIndex('task_runs_task').on('task_runs').columns(['task_id', 'created_at']).execute();
      await db.schema.createIndex('task_runs_status').on('task_runs').column('status').execute();
      await db.schema
        .createTable('commands')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('node_id', 'varchar(64)', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('task_run_id', 'varchar(64)', (c) => c.references('task_runs.id').onDelete('cascade'))
        .addColumn('retry_of', 'varchar(64)')
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('retry_delay_ms', 'integer', (c) => c.notNull())
        .addColumn('timeout_ms', 'integer', (c) => c.notNull())
        .addColumn('output_limit', 'integer', (c) => c.notNull())
        .addColumn('deadline_at', 'bigint')
        .addColumn('cancel_requested_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('dispatched_at', 'bigint')
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('exit_code', 'integer')
        .addColumn('signal', 'varchar(32)')
        .addColumn('stdout', 'text')
        .addColumn('stderr', 'text')
        .addColumn('truncated', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('commands_node_created').on('commands').columns(['node_id', 'created_at']).execute();
      await db.schema.createIndex('commands_run').on('commands').column('task_run_id').execute();
      await db.schema.createIndex('commands_finished').on('commands').column('finished_at').execute();
      // The hot set: only commands that are not terminal live here, so claims stay fast as history grows.
      await db.schema
        .createTable('command_inflight')
        .addColumn('command_id', 'varchar(64)', (c) => c.primaryKey().references('commands.id').onDelete('cascade'))
        .addColumn('node_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('task_run_id', 'varchar(64)')
        .addColumn('available_at', 'bigint')
        .addColumn('deadline_at', 'bigint')
        .addColumn('lease_until', 'bigint')
        .execute();
      await db.schema
        .createIndex('command_inflight_claim')
        .on('command_inflight')
        .columns(['node_id', 'status', 'command_id'])
        .execute();
    },
  },
  {
    version: 4,
    name: 'metrics rollups, daily traffic and counter baselines',
    async up(db) {
      for (const table of ['metric_minutes', 'metric_hours']) {
        await db.schema
          .createTable(table)
          .addColumn('node_id', 'varchar(64)', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
          .addColumn('bucket', 'bigint', (c) => c.notNull())
          .addColumn('samples', 'integer', (c) => c.notNull())
          .addColumn('cpu_samples', 'integer', (c) => c.notNull())
          .addColumn('cpu_sum', 'double precision', (c) => c.notNull())
          .addColumn('cpu_max', 'double precision')
          .addColumn('mem_samples', 'integer', (c) => c.notNull())
          .addColumn('mem_used_sum', 'double precision', (c) => c.notNull())
          .addColumn('mem_total', 'bigint')
          .addColumn('load_samples', 'integer', (c) => c.notNull())
          .addColumn('load_sum', 'double precision', (c) => c.notNull())
          .addColumn('rx_bytes', 'bigint', (c) => c.notNull())
          .addColumn('tx_bytes', 'bigint', (c) => c.notNull())
          .addColumn('rx_packets', 'bigint', (c) => c.notNull())
          .addColumn('tx_packets', 'bigint', (c) => c.notNull())
          .addColumn('disk_read_bytes', 'bigint', (c) => c.notNull())
          .addColumn('disk_write_bytes', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, ['node_id', 'bucket'])
          .execute();
        await db.schema.createIndex(`${table}_bucket`).on(table).column('bucket').execute();
      }
      await db.schema
        .createTable('traffic_days')
        .addColumn('node_id', 'varchar(64)', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('rx_bytes', 'bigint', (c) => c.notNull())
        .addColumn('tx_bytes', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('traffic_days_pk', ['node_id', 'day'])
        .execute();
      await db.schema.createIndex('traffic_days_day').on('traffic_days').column('day').execute();
      // The counters the rollups were computed up to, written in the same transaction as the rollups.
      await db.schema
        .createTable('metric_baselines')
        .addColumn('node_id', 'varchar(64)', (c) => c.primaryKey().references('nodes.id').onDelete('cascade'))
        .addColumn('boot_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('uptime_sec', 'double precision', (c) => c.notNull())
        .addColumn('sampled_at', 'bigint', (c) => c.notNull())
        .addColumn('counters', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 5,
    name: 'cluster: instances, leases, node placement, one scheduled run per tick',
    async up(db) {
      await db.schema
        .createTable('instances')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('hostname', 'varchar(256)', (c) => c.notNull())
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('agent_url', 'varchar(512)', (c) => c.notNull())
        .addColumn('admin_url', 'varchar(512)')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .execute();
      await db.schema
        .createTable('leases')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('holder', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('nodes').addColumn('instance_id', 'varchar(64)').execute();
      await db.schema.createIndex('nodes_instance').on('nodes').column('instance_id').execute();
      // A schedule tick fires once even if two instances both believe they lead for a moment.
      await db.schema
        .createIndex('task_runs_one_per_tick')
        .on('task_runs')
        .columns(['task_id', 'scheduled_for'])
        .unique()
        .execute();
      // Events relayed between instances sharing the database (command status and output, runs).
      await db.schema
        .createTable('cluster_events')
        // SQLite only auto-increments an INTEGER primary key (64-bit there); MariaDB needs BIGINT for 64 bits.
        .addColumn('id', isSqlite(db) ? 'integer' : 'bigint', (c) => c.primaryKey().autoIncrement())
        .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 6,
    name: 'metrics spool: applied batches per instance',
    async up(db) {
      // Which spooled rollup batches (instance, sequence, node group) are in the database: replaying
      // a spool after a crash or an outage skips them, so nothing is counted twice.
      await db.schema
        .createTable('spool_applied')
        .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('part', 'integer', (c) => c.notNull())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('spool_applied_pk', ['instance_id', 'seq', 'part'])
        .execute();
    },
  },
  {
    version: 7,
    name: 'configuration versions',
    async up(db) {
      // Bumped in the same transaction as a configuration change; other instances reload when it moves.
      await db.schema
        .createTable('config_versions')
        .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .execute();
      await db
        .insertInto('config_versions')
        .values([{ name: 'tasks', version: 0 }])
        .execute();
    },
  },
  {
    version: 8,
    name: 'MariaDB: text columns that hold the documented sizes',
    async up(db) {
      // MariaDB's TEXT holds 64 KiB (bytes), below what these columns must keep: command output (up to
      // 1.5 MiB of characters, 4 bytes each in utf8mb4), payloads and saved tasks (request bodies up to
      // 1 MiB), capabilities (64 roots of 4 KiB), baselines (256 interfaces) and relayed events (4 MiB).
      // MEDIUMTEXT holds 16 MiB. SQLite has no column sizes, so there is nothing to change there.
      if (isSqlite(db)) return;
      const widen = async (table: string, columns: Array<[string, 'null' | 'not null']>) => {
        const changes = columns.map(([c, nullable]) => `modify column ${c} mediumtext ${nullable}`).join(', ');
        await sql.raw(`alter table ${table} ${changes}`).execute(db);
      };
      await widen('commands', [
        ['payload', 'not null'],
        ['stdout', 'null'],
        ['stderr', 'null'],
        ['error', 'null'],
      ]);
      await widen('tasks', [
        ['exec', 'not null'],
        ['targets', 'not null'],
      ]);
      await widen('nodes', [
        ['labels', 'not null'],
        ['capabilities', 'null'],
      ]);
      await widen('metric_baselines', [['counters', 'not null']]);
      await widen('cluster_events', [['body', 'not null']]);
    },
  },
  {
    version: 9,
    name: 'idempotency keys of enqueueing requests',
    async up(db) {
      // Written in the same transaction as the commands a keyed request created (queue/idempotency.ts);
      // the primary key decides which of two racing attempts wins. Kept 24 h (retention job).
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('key_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('operation', 'varchar(32)', (c) => c.notNull())
        .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
        // The command ids of a fan-out: 10,000 of them pass MariaDB's 64 KiB TEXT.
        .addColumn('response_json', isSqlite(db) ? 'text' : sql`mediumtext`, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['key_hash', 'operation'])
        .execute();
      await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created_at').execute();
    },
  },
  {
    version: 10,
    name: 'task run deadlines and overlap reasons',
    async up(db) {
      // Per-target deadline of a task's runs (null: the default); why a run was skipped, queued or
      // ran on fewer targets than the task names (an overlap, revoked nodes, a cancel).
      await db.schema.alterTable('tasks').addColumn('deadline_sec', 'integer').execute();
      await db.schema.alterTable('task_runs').addColumn('reason', 'varchar(1024)').execute();
    },
  },
  {
    version: 11,
    name: 'command origins, fan-out ids and searchable command text',
    async up(db) {
      // Who asked for a command and which fan-out it belongs to, so a command history can say so and
      // group one enqueue's commands after the screen that started them is gone; the command's text
      // (its first 1,024 characters) for the history's text filter, which the JSON payload cannot serve
      // (a LIKE on it would match key names, cwd, env and stdin).
      await db.schema.alterTable('commands').addColumn('origin', 'varchar(200)').execute();
      await db.schema.alterTable('commands').addColumn('batch_id', 'varchar(64)').execute();
      await db.schema.alterTable('commands').addColumn('command_text', 'varchar(1024)').execute();
      await db.schema.createIndex('commands_batch').on('commands').column('batch_id').execute();
      await backfillCommandText(db);
      // What the history already tells: commands without a run came from the admin API or UI (retries
      // included), those of a run from its task. Fan-outs before this migration are not known.
      await db.updateTable('commands').set({ origin: 'admin (API/UI)' }).where('task_run_id', 'is', null).execute();
      const fromTask = isSqlite(db)
        ? sql`update commands set origin = (select 'task ' || t.name || ' (' || r."trigger" || ')'
            from task_runs r join tasks t on t.id = r.task_id where r.id = commands.task_run_id)
            where task_run_id is not null`
        : sql`update commands c join task_runs r on r.id = c.task_run_id join tasks t on t.id = r.task_id
            set c.origin = concat('task ', t.name, ' (', r.\`trigger\`, ')')`;
      await fromTask.execute(db);
    },
  },
  {
    version: 12,
    name: 'cluster state: known hosts, SSH credentials, reverse tunnels, bootstrap jobs, the cluster key',
    async up(db) {
      // What lived in one master's data directory or memory, shared by every instance: trusted host
      // keys, saved credentials and tunnel definitions (secrets sealed with the cluster key, never in
      // clear), bootstrap jobs with their step history, and the check value of the cluster key.
      const long = isSqlite(db) ? 'text' : sql`mediumtext`;
      await db.schema
        .createTable('known_hosts')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('hosts', 'varchar(1024)', (c) => c.notNull())
        .addColumn('key_type', 'varchar(64)', (c) => c.notNull())
        .addColumn('key_blob', 'text', (c) => c.notNull())
        .addColumn('marker', 'varchar(32)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('ssh_credentials')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('sealed', long, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('ssh_tunnels')
        .addColumn('node_id', 'varchar(64)', (c) => c.primaryKey().references('nodes.id').onDelete('cascade'))
        .addColumn('target', 'varchar(1024)', (c) => c.notNull())
        .addColumn('remote_port', 'integer', (c) => c.notNull())
        .addColumn('sealed_auth', long, (c) => c.notNull())
        // Bumped by every change of the definition; the keeper reports the revision its status is of.
        .addColumn('revision', 'bigint', (c) => c.notNull())
        .addColumn('holder', 'varchar(64)')
        .addColumn('status_revision', 'bigint')
        .addColumn('up', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'varchar(1024)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('bootstrap_jobs')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.createIndex('bootstrap_jobs_created').on('bootstrap_jobs').column('created_at').execute();
      await db.schema.createIndex('bootstrap_jobs_unfinished').on('bootstrap_jobs').column('finished_at').execute();
      await db.schema
        .createTable('bootstrap_hosts')
        .addColumn('job_id', 'varchar(64)', (c) => c.notNull().references('bootstrap_jobs.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('host', 'varchar(512)', (c) => c.notNull())
        .addColumn('node_id', 'varchar(64)')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('step', 'varchar(16)')
        .addColumn('message', 'text')
        .addColumn('output', 'text')
        .addColumn('facts', 'varchar(512)')
        .addColumn('host_key_fingerprint', 'varchar(128)')
        .addColumn('host_key_verdict', 'varchar(16)')
        .addPrimaryKeyConstraint('bootstrap_hosts_pk', ['job_id', 'idx'])
        .execute();
      await db.schema
        .createTable('bootstrap_steps')
        .addColumn('job_id', 'varchar(64)', (c) => c.notNull().references('bootstrap_jobs.id').onDelete('cascade'))
        .addColumn('host_idx', 'integer', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('step', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('message', 'text')
        .addPrimaryKeyConstraint('bootstrap_steps_pk', ['job_id', 'host_idx', 'seq'])
        .execute();
      await db.schema
        .createTable('cluster_key')
        .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('key_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('check_value', 'varchar(64)', (c) => c.notNull())
        .addColumn('previous_key_id', 'varchar(32)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('rotated_at', 'bigint')
        .execute();
      await db
        .insertInto('config_versions')
        .values([{ name: 'tunnels', version: 0 }])
        .execute();
    },
  },
  {
    version: 13,
    name: 'notifications: channels, outbox, grouped messages, delivery attempts',
    async up(db) {
      const bigText = isSqlite(db) ? 'text' : sql`mediumtext`;
      const autoId = isSqlite(db) ? 'integer' : 'bigint';
      await db.schema
        .createTable('notify_channels')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        // Settings that are not secret (URLs, addresses, header names), JSON.
        .addColumn('config', 'text', (c) => c.notNull())
        // Secrets (tokens, passwords, signing keys, header values), sealed JSON; never in clear.
        .addColumn('secrets', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('group_wait_sec', 'integer', (c) => c.notNull())
        .addColumn('group_interval_sec', 'integer', (c) => c.notNull())
        .addColumn('repeat_interval_sec', 'integer', (c) => c.notNull())
        // Consecutive failed attempts since the last delivery: what "failing" is shown from.
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('last_failure_at', 'bigint')
        .addColumn('last_success_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notify_channels_name').on('notify_channels').column('name').unique().execute();
      // One row per transition and channel, written in the transaction of the alert state change
      // (notify/outbox.ts); grouping assigns it to a message in the transaction that creates the message.
      await db.schema
        .createTable('notify_outbox')
        .addColumn('id', autoId, (c) => c.primaryKey().autoIncrement())
        .addColumn('transition_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('channel_id', 'varchar(64)', (c) => c.notNull().references('notify_channels.id').onDelete('cascade'))
        .addColumn('group_key', 'varchar(200)', (c) => c.notNull())
        .addColumn('alert_key', 'varchar(300)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('body', bigText, (c) => c.notNull())
        .addColumn('message_id', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('notify_outbox_once')
        .on('notify_outbox')
        .columns(['transition_id', 'channel_id'])
        .unique()
        .execute();
      await db.schema
        .createIndex('notify_outbox_open')
        .on('notify_outbox')
        .columns(['message_id', 'channel_id', 'group_key'])
        .execute();
      await db.schema.createIndex('notify_outbox_created').on('notify_outbox').column('created_at').execute();
      // A group's alerts that are firing now (for repeats and "still firing" counts) and when it last sent.
      await db.schema
        .createTable('notify_group_alerts')
        .addColumn('channel_id', 'varchar(64)', (c) => c.notNull().references('notify_channels.id').onDelete('cascade'))
        .addColumn('group_key', 'varchar(200)', (c) => c.notNull())
        .addColumn('alert_key', 'varchar(300)', (c) => c.notNull())
        .addColumn('body', bigText, (c) => c.notNull())
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('notify_group_alerts_pk', ['channel_id', 'group_key', 'alert_key'])
        .execute();
      await db.schema
        .createTable('notify_groups')
        .addColumn('channel_id', 'varchar(64)', (c) => c.notNull().references('notify_channels.id').onDelete('cascade'))
        .addColumn('group_key', 'varchar(200)', (c) => c.notNull())
        .addColumn('last_sent_at', 'bigint', (c) => c.notNull())
        .addColumn('next_repeat_at', 'bigint')
        .addPrimaryKeyConstraint('notify_groups_pk', ['channel_id', 'group_key'])
        .execute();
      // What is sent: one grouped notification for one channel. Its id is the idempotency key.
      await db.schema
        .createTable('notify_messages')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('channel_id', 'varchar(64)', (c) => c.notNull().references('notify_channels.id').onDelete('cascade'))
        .addColumn('group_key', 'varchar(200)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('alert_count', 'integer', (c) => c.notNull())
        .addColumn('title', 'varchar(512)', (c) => c.notNull())
        .addColumn('body', bigText, (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('notify_messages_due')
        .on('notify_messages')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('notify_messages_channel')
        .on('notify_messages')
        .columns(['channel_id', 'created_at'])
        .execute();
      await db.schema.createIndex('notify_messages_created').on('notify_messages').column('created_at').execute();
      // Every delivery attempt: written before the send (outcome null) and completed after it, so an
      // attempt a crash interrupted is visible and its message is sent again with the same key.
      await db.schema
        .createTable('notify_attempts')
        .addColumn('id', autoId, (c) => c.primaryKey().autoIncrement())
        .addColumn('message_id', 'varchar(64)', (c) => c.notNull().references('notify_messages.id').onDelete('cascade'))
        .addColumn('channel_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('outcome', 'varchar(16)')
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('notify_attempts_message').on('notify_attempts').column('message_id').execute();
      await db.schema
        .createIndex('notify_attempts_channel')
        .on('notify_attempts')
        .columns(['channel_id', 'started_at'])
        .execute();
    },
  },
  {
    version: 14,
    name: 'alert rules, states, history, silences and maintenance windows',
    async up(db) {
      const long = isSqlite(db) ? 'text' : sql`mediumtext`;
      // A rule's condition, scope, channels and action are one JSON spec (core/alerts/rules.ts): the
      // kinds stay open without a migration per kind.
      await db.schema
        .createTable('alert_rules')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('spec', long, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // One row per alert instance (a rule and its subject), keyed by a hash of its key; kept after it
      // resolves so the list shows recent alerts and a restart or failover finds what was pending.
      await db.schema
        .createTable('alert_states')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('alert_key', 'varchar(700)', (c) => c.notNull())
        .addColumn('rule_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('node_id', 'varchar(64)')
        .addColumn('subject', 'varchar(512)')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addColumn('fired_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .addColumn('value', 'double precision')
        .addColumn('threshold', 'double precision')
        .addColumn('unit', 'varchar(16)')
        .addColumn('summary', 'varchar(1024)', (c) => c.notNull())
        .addColumn('silenced', 'integer', (c) => c.notNull())
        .addColumn('acknowledged_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alert_states_rule').on('alert_states').column('rule_id').execute();
      await db.schema.createIndex('alert_states_node').on('alert_states').column('node_id').execute();
      await db.schema.createIndex('alert_states_state').on('alert_states').columns(['state', 'updated_at']).execute();
      // Every firing and resolution, with what it looked like then (rule name, node name), and the
      // rule's action on a firing: pending until the task run is queued (retried with the same key).
      await db.schema
        .createTable('alert_history')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('alert_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('rule_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('rule_name', 'varchar(200)', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('node_id', 'varchar(64)')
        .addColumn('node_name', 'varchar(128)')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision')
        .addColumn('threshold', 'double precision')
        .addColumn('summary', 'varchar(1024)', (c) => c.notNull())
        .addColumn('silenced', 'integer', (c) => c.notNull())
        .addColumn('action_state', 'varchar(16)')
        .addColumn('action_detail', 'varchar(1024)')
        .execute();
      await db.schema.createIndex('alert_history_at').on('alert_history').column('at').execute();
      await db.schema.createIndex('alert_history_rule').on('alert_history').columns(['rule_id', 'at']).execute();
      await db.schema.createIndex('alert_history_node').on('alert_history').columns(['node_id', 'at']).execute();
      await db.schema.createIndex('alert_history_action').on('alert_history').column('action_state').execute();
      await db.schema
        .createTable('alert_silences')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('rule_id', 'varchar(64)')
        .addColumn('selector', 'text')
        .addColumn('comment', 'varchar(1024)', (c) => c.notNull())
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('alert_maintenance')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('cron', 'varchar(200)', (c) => c.notNull())
        .addColumn('duration_sec', 'integer', (c) => c.notNull())
        .addColumn('timezone', 'varchar(64)', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('rule_id', 'varchar(64)')
        .addColumn('selector', 'text')
        .addColumn('comment', 'varchar(1024)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // Rules, silences and windows changed on any instance are reloaded by every other one.
      await db
        .insertInto('config_versions')
        .values([{ name: 'alerts', version: 0 }])
        .execute();
    },
  },
  {
    version: 15,
    name: 'enrollment codes',
    async up(db) {
      // One-line installs (core/enroll): short-lived codes, stored as SHA-256, each bound to a node's
      // name and labels (single use) or to a batch of up to max_uses nodes with labels.
      await db.schema
        .createTable('enrollment_codes')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('code_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('node_name', 'varchar(512)')
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('max_uses', 'integer', (c) => c.notNull())
        .addColumn('uses', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .execute();
      // Which nodes each code enrolled, and from where (a batch's list grows with each install).
      await db.schema
        .createTable('enrollment_uses')
        .addColumn('code_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('node_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('hostname', 'varchar(512)', (c) => c.notNull())
        .addColumn('remote_addr', 'varchar(64)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('enrollment_uses_pk', ['code_id', 'node_id'])
        .execute();
    },
  },
  {
    version: 17,
    name: 'instance wake-ups, gateway certificates in the store, pins agents confirmed',
    async up(db) {
      // Bumped by an instance that queued commands for nodes another instance holds; the holder
      // watches its own row (cluster/wakeups.ts), so it claims them at once instead of at its next poll.
      await db.schema
        .alterTable('instances')
        .addColumn('wakeups', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      // The gateway's certificates (gateway/tls-store.ts): the one served, the next one during a
      // rotation, the previous one until it is retired. Keys are sealed; a retired one keeps only its
      // certificate (public), which an agent that missed the rotation checks the endorsement against.
      await db.schema
        .createTable('tls_certificates')
        .addColumn('fingerprint', 'varchar(80)', (c) => c.primaryKey())
        .addColumn('cert_pem', 'text', (c) => c.notNull())
        .addColumn('key_sealed', 'text')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('endorsed_by', 'varchar(80)')
        .addColumn('endorsement', 'varchar(512)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('switched_at', 'bigint')
        .addColumn('retire_at', 'bigint')
        .execute();
      await db.schema.createIndex('tls_certificates_state').on('tls_certificates').column('state').execute();
      // The pins each agent last confirmed it keeps (JSON list of fingerprints).
      await db.schema
        .createTable('node_tls_pins')
        .addColumn('node_id', 'varchar(64)', (c) => c.primaryKey().references('nodes.id').onDelete('cascade'))
        .addColumn('pins', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('config_versions').values({ name: 'tls', version: 0 }).execute();
    },
  },
  {
    version: 18,
    name: 'status history by time',
    async up(db) {
      // The fleet's daily uptime reads one window of status events for every node at once; the
      // (node_id, at) index serves one node, this one the window.
      await db.schema.createIndex('node_status_events_at').on('node_status_events').columns(['at', 'id']).execute();
    },
  },
  {
    version: 20,
    name: 'terminal sessions and their recordings',
    async up(db) {
      // One row per terminal session (core/terminal/): who it ran on, when, how it ended.
      await db.schema
        .createTable('terminal_sessions')
        .addColumn('id', 'varchar(16)', (c) => c.primaryKey())
        .addColumn('node_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('node_name', 'varchar(512)', (c) => c.notNull())
        .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('end_reason', 'varchar(32)')
        .addColumn('exit_code', 'integer')
        .addColumn('message', 'text')
        .addColumn('shell', 'varchar(4096)')
        .addColumn('cols', 'integer', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('recorded_bytes', 'bigint', (c) => c.notNull())
        .addColumn('recording_truncated', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('terminal_sessions_started').on('terminal_sessions').column('started_at').execute();
      // The asciicast text of each recording in pieces (≤ 60,000 bytes: a MariaDB TEXT holds 64 KiB).
      await db.schema
        .createTable('terminal_recording_chunks')
        .addColumn('session_id', 'varchar(16)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('terminal_recording_chunks_pk', ['session_id', 'seq'])
        .execute();
    },
  },
];

/** Migrations from 21 on live in migrations/, one file each (a slot not yet used is null). */
export const migrations: readonly Migration[] = [
  ...firstTwenty,
  ...[
    migration21,
    migration22,
    migration23,
    migration24,
    migration25,
    migration26,
    migration27,
    migration28,
    migration29,
    migration30,
  ].filter((m): m is Migration => m !== null),
];

/**
 * Migration 11: the text of every stored command. Shell commands in one statement per dialect; argv
 * commands (rarer) joined in code, 500 rows a read. As it was then: later rules do not apply.
 */
// biome-ignore lint/suspicious/noExplicitAny: the schema as it was at migration 11
async function backfillCommandText(db: Kysely<any>): Promise<void> {
  const shellCommands = isSqlite(db)
    ? sql`update commands set command_text = substr(json_extract(payload, '$.command'), 1, 1024)
        where json_extract(payload, '$.command') is not null`
    : sql`update commands set command_text = left(json_unquote(json_extract(payload, '$.command')), 1024)
        where json_extract(payload, '$.command') is not null`;
  await shellCommands.execute(db);
  let after = '';
  for (;;) {
    const rows: Array<{ id: string; payload: string }> = await db
      .selectFrom('commands')
      .select(['id', 'payload'])
      .where('command_text', 'is', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute();
    if (rows.length === 0) return;
    for (const { id, payload } of rows) {
      const exec = JSON.parse(payload) as { command?: string; argv?: string[] };
      const text = (exec.command ?? exec.argv?.join(' ') ?? '').slice(0, 1024);
      await db.updateTable('commands').set({ command_text: text }).where('id', '=', id).execute();
    }
    after = rows[rows.length - 1]?.id ?? after;
  }
}

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]?.version ?? 0;
