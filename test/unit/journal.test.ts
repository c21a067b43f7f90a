// The agent's command journal on a real file: what survives a crash, what is re-sent, what is forgotten.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandJournal } from '../../agent/commands/journal.js';
import type { CommandResult } from '../../agent/protocol.js';
import { tempDir } from '../helpers/processes.js';

const result = (id: string, finishedAt: number): CommandResult => ({
  id,
  outcome: 'succeeded',
  exitCode: 0,
  signal: null,
  startedAt: finishedAt - 1,
  finishedAt,
  stdout: 'big output',
  stderr: '',
  truncated: false,
  error: null,
});

describe('command journal', () => {
  it('remembers starts and results across a restart; a start without result is interrupted', () => {
    const dir = tempDir();
    const first = new CommandJournal(dir);
    first.recordStart('done');
    first.recordResult(result('done', Date.now()));
    first.recordStart('cut-short');
    first.close();
    const second = new CommandJournal(dir);
    expect(second.get('done')?.result?.stdout).toBe('big output');
    expect(second.interrupted).toEqual(['cut-short']);
    expect(second.unackedResults().map((r) => r.id)).toEqual(['done']);
  });

  it('ignores a torn last line left by a crash mid-write', () => {
    const dir = tempDir();
    const journal = new CommandJournal(dir);
    journal.recordStart('a');
    journal.close();
    appendFileSync(join(dir, 'command-journal.jsonl'), '{"e":"result","result":{"id":"a"');
    const reopened = new CommandJournal(dir);
    expect(reopened.get('a')?.result).toBeNull();
    expect(reopened.interrupted).toEqual(['a']);
  });

  it('after an ack keeps only the fact that it ran, and forgets it after retention', () => {
    const dir = tempDir();
    let now = 1_000_000_000;
    const journal = new CommandJournal(dir, 1_000, () => now);
    journal.recordStart('old');
    journal.recordResult(result('old', now));
    journal.recordAck('old');
    journal.recordStart('unacked');
    journal.recordResult(result('unacked', now));
    expect(journal.get('old')?.result?.stdout).toBe('');
    expect(journal.unackedResults().map((r) => r.id)).toEqual(['unacked']);
    journal.close();
    now += 5_000;
    const later = new CommandJournal(dir, 1_000, () => now);
    expect(later.get('old')).toBeUndefined();
    expect(later.get('unacked')?.result?.stdout).toBe('big output');
    expect(readFileSync(join(dir, 'command-journal.jsonl'), 'utf8')).not.toContain('"old"');
  });
});
