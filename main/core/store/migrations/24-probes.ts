// Migration 24 (probes) and the tables it adds. A slot of its own so work on different features never
// edits the same lines: fill in `migration24` and `Tables24`; migrations.ts and schema.ts take them.
import type { Migration } from '../migrations.js';

export const migration24: Migration | null = null;

// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns migration 24
export interface Tables24 {}
