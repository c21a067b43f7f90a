// Writes a rollup batch. Minute and hour rows are upserted additively, daily traffic likewise, and each
// node's counter baseline is replaced — all of one node in the same transaction, so after a crash its
// rollups and its baseline agree and nothing is counted twice. Nodes are written in groups, one
// transaction per group, yielding between groups so a large fleet never blocks the event loop for long.
// Rows of nodes deleted meanwhile are set aside, and so is a row the database refuses for its data
// (the part is then written row by row): one poison value must not stop every node's rollups.
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Logger } from '../log.js';
import { isDataError } from '../store/db-errors.js';
import type { Database } from '../store/schema.js';
import type { Baseline } from './accounting.js';
import { nodesStillHeld, rowsOf } from './holder-guard.js';
import type { RollupBatch, RollupRow } from './rollup-buffer.js';

type Dialect = 'sqlite' | 'mariadb';

/** Nodes per transaction: a group of 1,000 held the event loop 30–160 ms on SQLite at 10,000 nodes. */
const NODES_PER_TRANSACTION = 250;
/** Rows per INSERT statement (× 17 columns stays far below both databases' parameter limits). */
const ROWS_PER_STATEMENT = 250;

const ROLLUP_COLUMNS = [
  'node_id',
  'bucket',
  'samples',
  'cpu_samples',
  'cpu_sum',
  'cpu_max',
  'mem_samples',
  'mem_used_sum',
  'mem_total',
  'load_samples',
  'load_sum',
  'rx_bytes',
  'tx_bytes',
  'rx_packets',
  'tx_packets',
  'disk_read_bytes',
  'disk_write_bytes',
] as const;
const ADDITIVE = ROLLUP_COLUMNS.slice(2).filter((c) => c !== 'cpu_max' && c !== 'mem_total');

interface UpsertShape {
  table: string;
  columns: readonly string[];
  key: readonly string[];
  /** SET clauses given how each dialect names the incoming value of a column. */
  updates: (incoming: (column: string) => string) => string[];
}

const SHAPES = {
  rollup: (table: 'metric_minutes' | 'metric_hours'): UpsertShape => ({
    table,
    columns: ROLLUP_COLUMNS,
    key: ['node_id', 'bucket'],
    updates: (v) => [
      ...ADDITIVE.map((c) => `${c} = ${c} + ${v(c)}`),
      `cpu_max = case when ${v('cpu_max')} is null then cpu_max when cpu_max is null or ${v('cpu_max')} > cpu_max then ${v('cpu_max')} else cpu_max end`,
      `mem_total = coalesce(${v('mem_total')}, mem_total)`,
    ],
  }),
  days: {
    table: 'traffic_days',
    columns: ['node_id', 'day', 'rx_bytes', 'tx_bytes'],
    key: ['node_id', 'day'],
    updates: (v) => [`rx_bytes = rx_bytes + ${v('rx_bytes')}`, `tx_bytes = tx_bytes + ${v('tx_bytes')}`],
  } satisfies UpsertShape,
  baselines: {
    table: 'metric_baselines',
    columns: ['node_id', 'boot_id', 'uptime_sec', 'sampled_at', 'counters'],
    key: ['node_id'],
    updates: (v) => ['boot_id', 'uptime_sec', 'sampled_at', 'counters'].map((c) => `${c} = ${v(c)}`),
  } satisfies UpsertShape,
};

const sqlCache = new Map<string, string>();

/** The upsert text for `rows` rows; cached, so the same text (and prepared statement) is reused. */
function upsertSql(dialect: Dialect, shape: UpsertShape, rows: number): string {
  const cacheKey = `${dialect}|${shape.table}|${rows}`;
  const cached = sqlCache.get(cacheKey);
  if (cached) return cached;
  const tuple = `(${shape.columns.map(() => '?').join(', ')})`;
  const head = `insert into ${shape.table} (${shape.columns.join(', ')}) values ${Array(rows).fill(tuple).join(', ')}`;
  const text =
    dialect === 'sqlite'
      ? `${head} on conflict (${shape.key.join(', ')}) do update set ${shape.updates((c) => `excluded.${c}`).join(', ')}`
      : `${head} on duplicate key update ${shape.updates((c) => `values(${c})`).join(', ')}`;
  sqlCache.set(cacheKey, text);
  return text;
}

async function upsert(tx: Transaction<Database>, dialect: Dialect, shape: UpsertShape, rows: unknown[][]) {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const part = rows.slice(i, i + ROWS_PER_STATEMENT);
    await tx.executeQuery(CompiledQuery.raw(upsertSql(dialect, shape, part.length), part.flat()));
  }
}

const rollupValues = (rows: RollupRow[]) => rows.map((r) => ROLLUP_COLUMNS.map((c) => r[c]));

function baselineValues(rows: Array<{ nodeId: string; baseline: Baseline }>) {
  return rows.map(({ nodeId, baseline: b }) => [
    nodeId,
    b.bootId,
    b.uptimeSec,
    b.t,
    JSON.stringify({ net: b.net, diskIo: b.diskIo, cpu: b.cpu, at: b.at }),
  ]);
}

/**
 * Splits a batch into parts of whole nodes. Parts depend only on the batch (sorted node ids), so a
 * replayed batch splits the same way and its parts' idempotency keys stay valid.
 */
function partsOf(batch: RollupBatch): RollupBatch[] {
  const nodes = new Set<string>();
  for (const r of batch.minutes) nodes.add(r.node_id);
  for (const r of batch.days) nodes.add(r.node_id);
  for (const r of batch.baselines) nodes.add(r.nodeId);
  const partOf = new Map<string, number>();
  [...nodes].sort().forEach((id, i) => {
    partOf.set(id, Math.floor(i / NODES_PER_TRANSACTION));
  });
  const parts: RollupBatch[] = [];
  const part = (id: string) => {
    const p = partOf.get(id) as number;
    parts[p] ??= { minutes: [], hours: [], days: [], baselines: [] };
    return parts[p];
  };
  for (const r of batch.minutes) part(r.node_id).minutes.push(r);
  for (const r of batch.hours) part(r.node_id).hours.push(r);
  for (const r of batch.days) part(r.node_id).days.push(r);
  for (const r of batch.baselines) part(r.nodeId).baselines.push(r);
  return parts;
}

function withoutDeletedNodes(part: RollupBatch, existing: Set<string>): { rows: RollupBatch; dropped: number } {
  const rows = {
    minutes: part.minutes.filter((r) => existing.has(r.node_id)),
    hours: part.hours.filter((r) => existing.has(r.node_id)),
    days: part.days.filter((r) => existing.has(r.node_id)),
    baselines: part.baselines.filter((r) => existing.has(r.nodeId)),
  };
  return { rows, dropped: part.baselines.length - rows.baselines.length };
}

/** Identifies a spooled batch: its parts are recorded as applied with their rows. */
export interface SpoolKey {
  instanceId: string;
  seq: number;
  /** Parts known to be applied already. */
  applied: ReadonlySet<number>;
}

export interface WriteOutcome {
  /** Parts that could not be written (without a spool key: to be retried by the caller). */
  failed: RollupBatch[];
  /** With a spool key: parts now known to be in the database. */
  applied: number[];
  /** Rows the database refused for their data, logged and dropped so the rest could be written. */
  setAside: number;
}

async function alreadyApplied(
  tx: Transaction<Database>,
  key: Omit<SpoolKey, 'applied'>,
  part: number,
): Promise<boolean> {
  const row = await tx
    .selectFrom('spool_applied')
    .select('part')
    .where('instance_id', '=', key.instanceId)
    .where('seq', '=', key.seq)
    .where('part', '=', part)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Writes the batch part by part. With a spool key, parts already applied are skipped and writing
 * stops at the first failure (later batches must not overtake earlier baselines).
 */
export async function writeRollups(
  db: Kysely<Database>,
  dialect: Dialect,
  batch: RollupBatch,
  log: Logger,
  key?: SpoolKey,
): Promise<WriteOutcome> {
  const existing = new Set((await db.selectFrom('nodes').select('id').execute()).map((r) => r.id));
  const outcome: WriteOutcome = { failed: [], applied: [], setAside: 0 };
  const parts = partsOf(batch);
  for (const [index, part] of parts.entries()) {
    if (key?.applied.has(index)) continue;
    const { rows, dropped } = withoutDeletedNodes(part, existing);
    if (dropped > 0) log.warn({ nodes: dropped }, 'set aside metric rows of deleted nodes');
    try {
      outcome.setAside += await writePart(db, dialect, rows, log, key && { ...key, part: index });
      outcome.applied.push(index);
    } catch (err) {
      log.warn({ err, nodes: part.baselines.length }, 'could not write metric rollups; will retry');
      outcome.failed.push(part);
      if (key) break;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return outcome;
}

type PartKey = Omit<SpoolKey, 'applied'> & { part: number };

/**
 * One part in one transaction, with multi-row statements. When the database refuses a value, the part
 * is written again row by row in one transaction, setting aside (logging) each refused row; the count
 * of those is returned. Any other failure (the database away, a deadlock) is thrown for a retry.
 */
async function writePart(
  db: Kysely<Database>,
  dialect: Dialect,
  rows: RollupBatch,
  log: Logger,
  key: PartKey | undefined,
): Promise<number> {
  try {
    await db.transaction().execute(async (tx) => {
      if (key && (await alreadyApplied(tx, key, key.part))) return;
      const write = key ? await withoutTakenOver(tx, dialect, key.instanceId, rows, log) : rows;
      for (const [shape, values] of statementsOf(write)) await upsert(tx, dialect, shape, values);
      if (key) await markApplied(tx, key);
    });
    return 0;
  } catch (err) {
    if (!isDataError(err)) throw err;
    log.warn({ err: String(err) }, 'the database refused a metric rollup value; writing that part row by row');
  }
  return db.transaction().execute(async (tx) => {
    if (key && (await alreadyApplied(tx, key, key.part))) return 0;
    const write = key ? await withoutTakenOver(tx, dialect, key.instanceId, rows, log) : rows;
    let refused = 0;
    for (const [shape, values] of statementsOf(write)) {
      for (const row of values) {
        try {
          await upsert(tx, dialect, shape, [row]);
        } catch (err) {
          if (!isDataError(err)) throw err;
          refused += 1;
          log.warn(
            { table: shape.table, nodeId: row[0], err: String(err) },
            'set aside a metric row the database refused',
          );
        }
      }
    }
    if (key) await markApplied(tx, key);
    return refused;
  });
}

/** A spooled part without the nodes another instance took over since (holder-guard.ts). */
async function withoutTakenOver(
  tx: Transaction<Database>,
  dialect: Dialect,
  instanceId: string,
  part: RollupBatch,
  log: Logger,
): Promise<RollupBatch> {
  const { ours, superseded } = await nodesStillHeld(tx, dialect, instanceId, part);
  if (superseded > 0) log.info({ nodes: superseded }, 'skipped metric rows of nodes another instance counts now');
  return superseded > 0 ? rowsOf(part, ours) : part;
}

function statementsOf(rows: RollupBatch): Array<[UpsertShape, unknown[][]]> {
  return [
    [SHAPES.rollup('metric_minutes'), rollupValues(rows.minutes)],
    [SHAPES.rollup('metric_hours'), rollupValues(rows.hours)],
    [SHAPES.days, rows.days.map((d) => [d.node_id, d.day, d.rx_bytes, d.tx_bytes])],
    [SHAPES.baselines, baselineValues(rows.baselines)],
  ];
}

async function markApplied(tx: Transaction<Database>, key: PartKey): Promise<void> {
  await tx
    .insertInto('spool_applied')
    .values({ instance_id: key.instanceId, seq: key.seq, part: key.part, applied_at: Date.now() })
    .execute();
}

export const partCount = (batch: RollupBatch) => partsOf(batch).length;
