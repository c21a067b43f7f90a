// Migration 23 (audit) and the tables it adds. A slot of its own so work on different features never
// edits the same lines: fill in `migration23` and `Tables23`; migrations.ts and schema.ts take them.
import type { Migration } from '../migrations.js';

export const migration23: Migration | null = null;

// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns migration 23
export interface Tables23 {}
