// Migration 29 (probe headers): HTTP probes' header values sealed with the cluster key, beside the spec
// that keeps only their names. The migration cannot seal (the key is not the database's): rows written
// before it, with values in the spec's JSON, are sealed by the first full instance holding the key
// (ProbeDefinitions.sealPlaintextHeaders at start); until then they are read as they are.
import type { Migration } from '../migrations.js';

export const migration29: Migration | null = {
  version: 29,
  name: 'sealed probe header values',
  async up(db) {
    // `fdk1.<key id>.<base64>` of the values' JSON (a few KiB at most: 8 headers of ≤ 1 KiB).
    await db.schema.alterTable('probes').addColumn('headers_sealed', 'text').execute();
  },
};
