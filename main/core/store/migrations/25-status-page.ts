// Migration 25 (status-page) and the tables it adds. A slot of its own so work on different features never
// edits the same lines: fill in `migration25` and `Tables25`; migrations.ts and schema.ts take them.
import type { Migration } from '../migrations.js';

export const migration25: Migration | null = null;

// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns migration 25
export interface Tables25 {}
