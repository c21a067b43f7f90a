// Migration 21 (accounts) and the tables it adds. A slot of its own so work on different features never
// edits the same lines: fill in `migration21` and `Tables21`; migrations.ts and schema.ts take them.
import type { Migration } from '../migrations.js';

export const migration21: Migration | null = null;

// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns migration 21
export interface Tables21 {}
