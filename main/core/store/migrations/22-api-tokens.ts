// Migration 22 (api-tokens) and the tables it adds. A slot of its own so work on different features never
// edits the same lines: fill in `migration22` and `Tables22`; migrations.ts and schema.ts take them.
import type { Migration } from '../migrations.js';

export const migration22: Migration | null = null;

// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns migration 22
export interface Tables22 {}
