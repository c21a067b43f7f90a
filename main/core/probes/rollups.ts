// Probe results by minute and hour, per probe and vantage point: runs, successes, and latencies as a
// fixed histogram. Memory first (the buffer of the current buckets), written additively every flush, so
// rows from several flushes (or instances, after an agent moved) add up; reads merge what is not yet
// written, like the node rollups (core/metrics/).
import { CompiledQuery, type Transaction } from 'kysely';
import type { ProbeResult } from '../../../agent/probes/spec.js';
import type { ProbePoint } from '../../contract/probe-schemas.js';
import { HOUR_MS, MINUTE_MS } from '../metrics/calendar.js';
import { HISTOGRAM_COLUMNS, LATENCY_BOUNDS_MS, type ProbeRollupTable } from '../store/migrations/24-probes.js';
import type { Database, Db } from '../store/schema.js';

type Dialect = 'sqlite' | 'mariadb';
export type Resolution = 'minute' | 'hour';
const TABLE: Record<Resolution, 'probe_minutes' | 'probe_hours'> = { minute: 'probe_minutes', hour: 'probe_hours' };
const WIDTH: Record<Resolution, number> = { minute: MINUTE_MS, hour: HOUR_MS };

interface Bucket {
  probeId: string;
  vantage: string;
  bucket: number;
  runs: number;
  oks: number;
  latencyN: number;
  latencySum: number;
  hist: number[];
}

export function histogramIndex(ms: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (ms <= (LATENCY_BOUNDS_MS[i] as number)) return i;
  return LATENCY_BOUNDS_MS.length;
}

/** The q-quantile of a histogram, interpolated linearly inside its bucket; null when it is empty. */
export function quantile(hist: readonly number[], q: number): number | null {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    const n = hist[i] as number;
    if (n === 0) continue;
    if (seen + n >= rank) {
      const low = i === 0 ? 0 : (LATENCY_BOUNDS_MS[i - 1] as number);
      // Above the last bound: report the bound (the histogram cannot say more).
      const high = (LATENCY_BOUNDS_MS[i] as number | undefined) ?? low;
      return low + ((high - low) * (rank - seen)) / n;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1] as number;
}

const COLUMNS = ['probe_id', 'vantage', 'bucket', 'runs', 'oks', 'latency_n', 'latency_sum', ...HISTOGRAM_COLUMNS];
const ADDITIVE = ['runs', 'oks', 'latency_n', 'latency_sum', ...HISTOGRAM_COLUMNS];
const ROWS_PER_STATEMENT = 200;

function upsertSql(dialect: Dialect, table: string, rows: number): string {
  const tuple = `(${COLUMNS.map(() => '?').join(', ')})`;
  const head = `insert into ${table} (${COLUMNS.join(', ')}) values ${Array(rows).fill(tuple).join(', ')}`;
  return dialect === 'sqlite'
    ? `${head} on conflict (probe_id, vantage, bucket) do update set ${ADDITIVE.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`
    : `${head} on duplicate key update ${ADDITIVE.map((c) => `${c} = ${c} + values(${c})`).join(', ')}`;
}

function pointOf(b: Bucket): ProbePoint {
  return {
    vantage: b.vantage,
    bucket: b.bucket,
    runs: b.runs,
    oks: b.oks,
    successRatio: b.runs > 0 ? b.oks / b.runs : null,
    meanMs: b.latencyN > 0 ? b.latencySum / b.latencyN : null,
    p50Ms: quantile(b.hist, 0.5),
    p95Ms: quantile(b.hist, 0.95),
  };
}

function bucketOfRow(row: ProbeRollupTable): Bucket {
  return {
    probeId: row.probe_id,
    vantage: row.vantage,
    bucket: Number(row.bucket),
    runs: Number(row.runs),
    oks: Number(row.oks),
    latencyN: Number(row.latency_n),
    latencySum: Number(row.latency_sum),
    hist: HISTOGRAM_COLUMNS.map((c) => Number(row[c])),
  };
}

function merge(into: Bucket, b: Bucket): void {
  into.runs += b.runs;
  into.oks += b.oks;
  into.latencyN += b.latencyN;
  into.latencySum += b.latencySum;
  b.hist.forEach((n, i) => {
    into.hist[i] = (into.hist[i] as number) + n;
  });
}

export class ProbeRollups {
  private pending: Record<Resolution, Map<string, Bucket>> = { minute: new Map(), hour: new Map() };
  /** Flushes and reads take turns, so a read never sees a bucket both in memory and in the table. */
  private lane: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  add(vantage: string, result: ProbeResult): void {
    for (const resolution of ['minute', 'hour'] as const) {
      const width = WIDTH[resolution];
      const bucket = Math.floor(result.at / width) * width;
      const key = `${result.id}|${vantage}|${bucket}`;
      let b = this.pending[resolution].get(key);
      if (!b) {
        b = {
          probeId: result.id,
          vantage,
          bucket,
          runs: 0,
          oks: 0,
          latencyN: 0,
          latencySum: 0,
          hist: new Array(HISTOGRAM_COLUMNS.length).fill(0),
        };
        this.pending[resolution].set(key, b);
      }
      b.runs++;
      if (result.ok) b.oks++;
      if (result.latencyMs !== null) {
        b.latencyN++;
        b.latencySum += result.latencyMs;
        const i = histogramIndex(result.latencyMs);
        b.hist[i] = (b.hist[i] as number) + 1;
      }
    }
  }

  get pendingCount(): number {
    return this.pending.minute.size + this.pending.hour.size;
  }

  /** Writes what is buffered; rows of probes deleted meanwhile are dropped. A failed write is kept for the next. */
  flush(): Promise<void> {
    const run = this.lane.then(() => this.write());
    this.lane = run.catch(() => {});
    return run;
  }

  private async write(): Promise<void> {
    const taken = this.pending;
    this.pending = { minute: new Map(), hour: new Map() };
    try {
      const ids = [...new Set([...taken.minute.values()].map((b) => b.probeId))];
      if (ids.length === 0 && taken.hour.size === 0) return;
      const existing = new Set<string>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await this.db
          .selectFrom('probes')
          .select('id')
          .where('id', 'in', ids.slice(i, i + 500))
          .execute();
        for (const r of rows) existing.add(r.id);
      }
      await this.db.transaction().execute(async (tx) => {
        for (const resolution of ['minute', 'hour'] as const) {
          const rows = [...taken[resolution].values()]
            .filter((b) => existing.has(b.probeId))
            .map((b) => [b.probeId, b.vantage, b.bucket, b.runs, b.oks, b.latencyN, b.latencySum, ...b.hist]);
          await this.upsert(tx, TABLE[resolution], rows);
        }
      });
    } catch (error) {
      // Put back: merged with what arrived meanwhile, written next time.
      for (const resolution of ['minute', 'hour'] as const) {
        for (const [key, b] of taken[resolution]) {
          const now = this.pending[resolution].get(key);
          if (now) merge(now, b);
          else this.pending[resolution].set(key, b);
        }
      }
      throw error;
    }
  }

  private async upsert(tx: Transaction<Database>, table: string, rows: unknown[][]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const part = rows.slice(i, i + ROWS_PER_STATEMENT);
      await tx.executeQuery(CompiledQuery.raw(upsertSql(this.dialect, table, part.length), part.flat()));
    }
  }

  /** A probe's buckets in [from, to), stored and buffered, per vantage point (one vantage point if given). */
  series(probeId: string, resolution: Resolution, from: number, to: number, vantage?: string): Promise<ProbePoint[]> {
    const run = this.lane.then(async () => {
      let query = this.db
        .selectFrom(TABLE[resolution])
        .selectAll()
        .where('probe_id', '=', probeId)
        .where('bucket', '>=', from)
        .where('bucket', '<', to);
      if (vantage !== undefined) query = query.where('vantage', '=', vantage);
      const rows = await query.orderBy('bucket').limit(50_000).execute();
      const merged = new Map<string, Bucket>();
      for (const row of rows) {
        const b = bucketOfRow(row as ProbeRollupTable);
        merged.set(`${b.vantage}|${b.bucket}`, b);
      }
      for (const b of this.pending[resolution].values()) {
        if (b.probeId !== probeId || b.bucket < from || b.bucket >= to) continue;
        if (vantage !== undefined && b.vantage !== vantage) continue;
        const key = `${b.vantage}|${b.bucket}`;
        const stored = merged.get(key);
        if (stored) merge(stored, b);
        else merged.set(key, { ...b, hist: [...b.hist] });
      }
      return [...merged.values()]
        .sort((a, b) => a.bucket - b.bucket || a.vantage.localeCompare(b.vantage))
        .map(pointOf);
    });
    this.lane = run.catch(() => {});
    return run;
  }

  /** Rollups past their tier's retention, a slice per statement (as metrics-retention.ts does). */
  async expire(horizons: Record<Resolution, number>): Promise<number> {
    let deleted = 0;
    for (const resolution of ['minute', 'hour'] as const) {
      const table = TABLE[resolution];
      for (;;) {
        const oldest = await this.db.selectFrom(table).select('bucket').orderBy('bucket').limit(1).executeTakeFirst();
        if (!oldest || Number(oldest.bucket) >= horizons[resolution]) break;
        const result = await this.db
          .deleteFrom(table)
          .where('bucket', '<', Math.min(horizons[resolution], Number(oldest.bucket) + 6 * HOUR_MS))
          .executeTakeFirst();
        deleted += Number(result.numDeletedRows);
      }
    }
    return deleted;
  }

  /** A deleted probe's buffered buckets go with it. */
  forget(probeId: string): void {
    for (const map of Object.values(this.pending)) {
      for (const [key, b] of map) if (b.probeId === probeId) map.delete(key);
    }
  }
}
