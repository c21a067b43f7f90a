// The agent's durable record of commands it started and how they ended. A command id is started at
// most once per journal: a redelivered command is answered from here, never run again. Entries are
// appended and fsynced before the effect (start) and before the report (result); old ones are
// compacted away after the retention period.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandResult } from '../protocol.js';

export interface JournalEntry {
  id: string;
  startedAt: number | null;
  result: CommandResult | null;
  acked: boolean;
}

type Line = { e: 'start'; id: string; at: number } | { e: 'result'; result: CommandResult } | { e: 'ack'; id: string };

export class CommandJournal {
  private readonly entries = new Map<string, JournalEntry>();
  private fd = -1;
  private readonly file: string;
  private linesSinceCompact = 0;
  /** Started by an earlier agent process that ended before reporting a result. */
  readonly interrupted: string[] = [];

  constructor(
    dir: string,
    private readonly retentionMs = 7 * 24 * 3_600_000,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'command-journal.jsonl');
    this.load();
    this.compact();
    for (const entry of this.entries.values()) if (entry.result === null) this.interrupted.push(entry.id);
  }

  get(id: string): JournalEntry | undefined {
    return this.entries.get(id);
  }

  recordStart(id: string): void {
    this.entries.set(id, { id, startedAt: this.now(), result: null, acked: false });
    this.append({ e: 'start', id, at: this.now() }, true);
  }

  recordResult(result: CommandResult): void {
    const entry = this.entries.get(result.id) ?? { id: result.id, startedAt: null, result: null, acked: false };
    entry.result = result;
    this.entries.set(result.id, entry);
    this.append({ e: 'result', result }, true);
  }

  /** The master committed the result; it no longer needs re-sending (it stays for dedupe). */
  recordAck(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.acked) return;
    entry.acked = true;
    // Once committed on the master, only the fact that it ran matters; drop the output from memory.
    if (entry.result) entry.result = { ...entry.result, stdout: '', stderr: '' };
    this.append({ e: 'ack', id }, false);
  }

  unackedResults(): CommandResult[] {
    return [...this.entries.values()].filter((e) => e.result && !e.acked).map((e) => e.result as CommandResult);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private append(line: Line, durable: boolean): void {
    if (this.fd < 0) this.fd = openSync(this.file, 'a', 0o600);
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    if (durable) fsyncSync(this.fd);
    if (++this.linesSinceCompact > 10_000) this.compact();
  }

  private load(): void {
    if (!existsSync(this.file)) return;
    for (const text of readFileSync(this.file, 'utf8').split('\n')) {
      if (!text) continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue; // a torn last line from a crash mid-write: that write was never acknowledged
      }
      if (line.e === 'start')
        this.entries.set(line.id, { id: line.id, startedAt: line.at, result: null, acked: false });
      else if (line.e === 'result') {
        const entry = this.entries.get(line.result.id) ?? {
          id: line.result.id,
          startedAt: null,
          result: null,
          acked: false,
        };
        entry.result = line.result;
        this.entries.set(entry.id, entry);
      } else if (line.e === 'ack') {
        const entry = this.entries.get(line.id);
        if (entry) {
          entry.acked = true;
          if (entry.result) entry.result = { ...entry.result, stdout: '', stderr: '' };
        }
      }
    }
  }

  /** Rewrites the file with the entries still within retention (unacked results always stay). */
  private compact(): void {
    const horizon = this.now() - this.retentionMs;
    for (const [id, entry] of this.entries) {
      const at = entry.result?.finishedAt ?? entry.startedAt ?? 0;
      if (entry.acked && at < horizon) this.entries.delete(id);
    }
    const lines: string[] = [];
    for (const entry of this.entries.values()) {
      if (entry.startedAt !== null) lines.push(JSON.stringify({ e: 'start', id: entry.id, at: entry.startedAt }));
      if (entry.result) lines.push(JSON.stringify({ e: 'result', result: entry.result }));
      if (entry.acked) lines.push(JSON.stringify({ e: 'ack', id: entry.id }));
    }
    this.close();
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, lines.length ? `${lines.join('\n')}\n` : '');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    this.linesSinceCompact = 0;
  }
}
