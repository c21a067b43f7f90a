// Writes a rollup batch in one transaction: minute and hour rows are upserted additively, daily
// traffic likewise, and each node's counter baseline is replaced, so after a crash the rollups and
// the baseline agree and nothing is counted twice. Rows of nodes deleted meanwhile are set aside.
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Logger } from '../log.js';
import type { Database, Db } from '../store/schema.js';
import type { RollupBatch, RollupRow } from './rollup-buffer.js';

type Dialect = 'sqlite' | 'mariadb';
const CHUNK = 400;

function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

const ADDITIVE = [
  'samples',
  'cpu_samples',
  'cpu_sum',
  'mem_samples',
  'mem_used_sum',
  'load_samples',
  'load_sum',
  'rx_bytes',
  'tx_bytes',
  'rx_packets',
  'tx_packets',
  'disk_read_bytes',
  'disk_write_bytes',
] as const;

/** The new value of a column from the stored row and the incoming one, per dialect. */
function incoming(dialect: Dialect, column: string) {
  return dialect === 'sqlite' ? sql.ref(`excluded.${column}`) : sql`values(${sql.ref(column)})`;
}

function rollupUpdates(dialect: Dialect) {
  const set: Record<string, unknown> = {};
  for (const c of ADDITIVE) set[c] = sql`${sql.ref(c)} + ${incoming(dialect, c)}`;
  const max = dialect === 'sqlite' ? sql.raw('max') : sql.raw('greatest');
  set.cpu_max = sql`coalesce(${max}(cpu_max, ${incoming(dialect, 'cpu_max')}), cpu_max, ${incoming(dialect, 'cpu_max')})`;
  set.mem_total = sql`coalesce(${incoming(dialect, 'mem_total')}, mem_total)`;
  return set;
}

async function upsertRollups(
  tx: Transaction<Database>,
  dialect: Dialect,
  table: 'metric_minutes' | 'metric_hours',
  rows: RollupRow[],
) {
  const updates = rollupUpdates(dialect);
  for (const part of chunks(rows)) {
    const insert = tx.insertInto(table).values(part);
    await (dialect === 'sqlite'
      ? insert.onConflict((oc) => oc.columns(['node_id', 'bucket']).doUpdateSet(updates as never))
      : insert.onDuplicateKeyUpdate(updates as never)
    ).execute();
  }
}

async function upsertDays(tx: Transaction<Database>, dialect: Dialect, rows: RollupBatch['days']) {
  const updates = {
    rx_bytes: sql`rx_bytes + ${incoming(dialect, 'rx_bytes')}`,
    tx_bytes: sql`tx_bytes + ${incoming(dialect, 'tx_bytes')}`,
  };
  for (const part of chunks(rows)) {
    const insert = tx.insertInto('traffic_days').values(part);
    await (dialect === 'sqlite'
      ? insert.onConflict((oc) => oc.columns(['node_id', 'day']).doUpdateSet(updates as never))
      : insert.onDuplicateKeyUpdate(updates as never)
    ).execute();
  }
}

async function upsertBaselines(tx: Transaction<Database>, dialect: Dialect, batch: RollupBatch) {
  const rows = batch.baselines.map(({ nodeId, baseline }) => ({
    node_id: nodeId,
    boot_id: baseline.bootId,
    uptime_sec: baseline.uptimeSec,
    sampled_at: baseline.t,
    counters: JSON.stringify({ net: baseline.net, diskIo: baseline.diskIo, cpu: baseline.cpu }),
  }));
  const columns = ['boot_id', 'uptime_sec', 'sampled_at', 'counters'] as const;
  const updates = Object.fromEntries(columns.map((c) => [c, incoming(dialect, c)]));
  for (const part of chunks(rows)) {
    const insert = tx.insertInto('metric_baselines').values(part);
    await (dialect === 'sqlite'
      ? insert.onConflict((oc) => oc.column('node_id').doUpdateSet(updates as never))
      : insert.onDuplicateKeyUpdate(updates as never)
    ).execute();
  }
}

/** Drops rows of nodes that no longer exist (deleted while their samples waited). */
function withoutDeletedNodes(batch: RollupBatch, existing: Set<string>, log: Logger): RollupBatch {
  const keep = <T extends { node_id?: string; nodeId?: string }>(rows: T[]) =>
    rows.filter((r) => existing.has((r.node_id ?? r.nodeId) as string));
  const kept = {
    minutes: keep(batch.minutes),
    hours: keep(batch.hours),
    days: keep(batch.days),
    baselines: keep(batch.baselines),
  };
  const dropped = batch.minutes.length - kept.minutes.length + batch.baselines.length - kept.baselines.length;
  if (dropped > 0) log.warn({ rows: dropped }, 'set aside metric rows of deleted nodes');
  return kept;
}

export async function writeRollups(db: Db | Kysely<Database>, dialect: Dialect, batch: RollupBatch, log: Logger) {
  await db.transaction().execute(async (tx) => {
    const ids = new Set((await tx.selectFrom('nodes').select('id').execute()).map((r) => r.id));
    const rows = withoutDeletedNodes(batch, ids, log);
    await upsertRollups(tx, dialect, 'metric_minutes', rows.minutes);
    await upsertRollups(tx, dialect, 'metric_hours', rows.hours);
    await upsertDays(tx, dialect, rows.days);
    await upsertBaselines(tx, dialect, rows);
  });
}
