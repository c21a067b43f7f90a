// Migration 24 (probes) and the tables it adds: probe definitions, the quorum state's transitions (the
// uptime history of a probe, like node_status_events for nodes) and per-vantage-point rollups by minute
// and hour. Latencies are kept as a fixed histogram (LATENCY_BOUNDS_MS) so rows from any number of
// flushes and instances add up, and p50/p95 are read from the sum.
import type { Migration } from '../migrations.js';

/** Upper bounds (ms) of the latency histogram's buckets; the last bucket holds everything above. */
export const LATENCY_BOUNDS_MS = [
  1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000, 30_000,
] as const;
/** One column per bucket: h0 … h21. */
export const HISTOGRAM_COLUMNS = Array.from({ length: LATENCY_BOUNDS_MS.length + 1 }, (_, i) => `h${i}` as const);
export type HistogramColumn = (typeof HISTOGRAM_COLUMNS)[number];

export const migration24: Migration | null = {
  version: 24,
  name: 'probes, their state history and rollups',
  async up(db) {
    await db.schema
      .createTable('probes')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(800)', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      // ProbeSpec as JSON (target, interval, vantage points, quorum): a new kind needs no migration.
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('probe_events')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('probe_id', 'varchar(40)', (c) => c.notNull().references('probes.id').onDelete('cascade'))
      // up | down: the quorum's verdict changed.
      .addColumn('state', 'varchar(8)', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'varchar(512)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('probe_events_probe_at').on('probe_events').columns(['probe_id', 'at']).execute();
    await db.schema.createIndex('probe_events_at').on('probe_events').columns(['at', 'id']).execute();
    for (const table of ['probe_minutes', 'probe_hours']) {
      let create = db.schema
        .createTable(table)
        .addColumn('probe_id', 'varchar(40)', (c) => c.notNull())
        // A node id, or `master` for the master's own vantage point.
        .addColumn('vantage', 'varchar(64)', (c) => c.notNull())
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('runs', 'integer', (c) => c.notNull())
        .addColumn('oks', 'integer', (c) => c.notNull())
        .addColumn('latency_n', 'integer', (c) => c.notNull())
        .addColumn('latency_sum', 'double precision', (c) => c.notNull());
      for (const h of HISTOGRAM_COLUMNS) create = create.addColumn(h, 'integer', (c) => c.notNull().defaultTo(0));
      await create.addPrimaryKeyConstraint(`${table}_pk`, ['probe_id', 'vantage', 'bucket']).execute();
      await db.schema.createIndex(`${table}_bucket`).on(table).column('bucket').execute();
    }
    await db.insertInto('config_versions').values({ name: 'probes', version: 0 }).execute();
  },
};

export interface ProbesTable {
  id: string;
  name: string;
  enabled: number;
  /** Since migration 29 the HTTP target's headers here carry names only (values: headers_sealed). */
  spec: string;
  /** Migration 29: the header values, sealed (context `probe-headers:<id>`); null without headers. */
  headers_sealed: string | null;
  created_at: number;
  updated_at: number;
}

export interface ProbeEventsTable {
  id: import('kysely').Generated<number>;
  probe_id: string;
  state: 'up' | 'down';
  at: number;
  reason: string;
}

export type ProbeRollupTable = {
  probe_id: string;
  vantage: string;
  bucket: number;
  runs: number;
  oks: number;
  latency_n: number;
  latency_sum: number;
} & { [K in HistogramColumn]: number };

export interface Tables24 {
  probes: ProbesTable;
  probe_events: ProbeEventsTable;
  probe_minutes: ProbeRollupTable;
  probe_hours: ProbeRollupTable;
}
