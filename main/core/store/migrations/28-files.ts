// Migration 28 (files) and the tables it adds. A slot of its own so work on different features never
// edits the same lines: fill in `migration28` and `Tables28`; migrations.ts and schema.ts take them.
import type { Migration } from '../migrations.js';

export const migration28: Migration | null = null;

// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns migration 28
export interface Tables28 {}
