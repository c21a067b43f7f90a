// Migration 27 (terminal-alerts) and the tables it adds. A slot of its own so work on different features never
// edits the same lines: fill in `migration27` and `Tables27`; migrations.ts and schema.ts take them.
import type { Migration } from '../migrations.js';

export const migration27: Migration | null = null;

// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns migration 27
export interface Tables27 {}
