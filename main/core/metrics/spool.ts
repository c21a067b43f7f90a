// Shared mode: every rollup batch is appended to a local spool file (one JSON line, fsynced) before it
// is written to the database, and stays there until every part of it is committed. A crash or a
// database outage therefore loses nothing; replaying is idempotent because each committed part is
// recorded (instance, sequence, part) in the same transaction as its rows. The writes and fsyncs run off
// the event loop (a slow disk must not stall agents and the queue); callers serialize them.
import { existsSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { RollupBatch } from './rollup-buffer.js';

export interface SpoolEntry {
  seq: number;
  at: number;
  batch: RollupBatch;
  /** Parts (node groups) already committed. */
  applied: number[];
}

export class MetricsSpool {
  private entries: SpoolEntry[] = [];
  private nextSeq = 1;

  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  /** Reads what a previous process left unwritten. */
  load(): void {
    if (!existsSync(this.file)) return;
    const lines = readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as SpoolEntry;
        this.entries.push(entry);
        this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
      } catch {
        // A torn last line (the process died mid-write) was never acknowledged by fsync.
        this.log.warn({ file: this.file }, 'ignored a torn line at the end of the metrics spool');
      }
    }
    if (this.entries.length > 0) this.log.info({ batches: this.entries.length }, 'replaying the metrics spool');
  }

  /** Appends a batch durably and returns its entry. */
  async append(batch: RollupBatch, at = Date.now()): Promise<SpoolEntry> {
    // Sequence numbers are never reused, even by a later process whose spool file was emptied:
    // they follow the clock (and the last one used), so an old idempotency key never hides a new batch.
    const seq = Math.max(this.nextSeq, at);
    this.nextSeq = seq + 1;
    const entry: SpoolEntry = { seq, at, batch, applied: [] };
    await writeDurably(this.file, 'a', `${JSON.stringify(entry)}\n`);
    this.entries.push(entry);
    return entry;
  }

  /** Oldest first: they must reach the database in order (later baselines supersede earlier ones). */
  pending(): readonly SpoolEntry[] {
    return this.entries;
  }

  get backlog(): { batches: number; oldestAt: number | null } {
    return { batches: this.entries.length, oldestAt: this.entries[0]?.at ?? null };
  }

  /** Drops fully written entries and rewrites the file with the rest (atomically). */
  async compact(isDone: (entry: SpoolEntry) => boolean): Promise<void> {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !isDone(e));
    if (this.entries.length === before) return;
    const temp = `${this.file}.tmp`;
    await writeDurably(temp, 'w', this.entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    await rename(temp, this.file);
  }
}

async function writeDurably(file: string, flags: 'a' | 'w', text: string): Promise<void> {
  const handle = await open(file, flags, 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
