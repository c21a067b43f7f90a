// Migration 26 (install) and the tables it adds. A slot of its own so work on different features never
// edits the same lines: fill in `migration26` and `Tables26`; migrations.ts and schema.ts take them.
import type { Migration } from '../migrations.js';

export const migration26: Migration | null = null;

// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns migration 26
export interface Tables26 {}
