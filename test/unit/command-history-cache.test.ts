// The renderer's command-history cache helpers: status events patch rows by id in paged lists (the
// same object when nothing changed), and the session's live output stays within its bounds.
import { describe, expect, it } from 'vitest';
import type { CommandView } from '../../main/contract/queue-schemas.js';
import { patchCommandPages } from '../../renderer/src/command-patch.js';
import {
  appendLiveOutput,
  liveChunksOf,
  liveClipped,
  MAX_LIVE_CHARS_PER_COMMAND,
  MAX_LIVE_COMMANDS,
  textsOf,
} from '../../renderer/src/live-output.js';

const row = (id: string, status: CommandView['status'] = 'running') =>
  ({ id, status, exitCode: null }) as unknown as CommandView;

describe('command cache patches', () => {
  it('patch the row by id in whichever page holds it, and leave other pages as they were', () => {
    const pages = [[row('c3'), row('c2')], [row('c1')]];
    const data = { pages, pageParams: [undefined, 'c2'] };
    const { data: patched, found } = patchCommandPages(data, { id: 'c1', status: 'failed', exitCode: 2 });
    expect(found).toBe(true);
    expect(patched?.pages[1]?.[0]).toMatchObject({ id: 'c1', status: 'failed', exitCode: 2 });
    expect(patched?.pages[0]).toBe(pages[0]);
    const missing = patchCommandPages(data, { id: 'c9', status: 'pending', exitCode: null });
    expect(missing).toEqual({ data, found: false });
  });
});

describe('live output of the session', () => {
  it('keeps the newest characters of a command and says it dropped some', () => {
    const piece = 'x'.repeat(60_000);
    for (let i = 0; i < 5; i++) appendLiveOutput('big', 'stdout', piece);
    appendLiveOutput('big', 'stderr', 'oops');
    const { stdout, stderr } = textsOf(liveChunksOf('big'));
    expect(stdout.length + stderr.length).toBeLessThanOrEqual(MAX_LIVE_CHARS_PER_COMMAND);
    expect(stderr).toBe('oops');
    expect(liveClipped('big')).toBe(true);
    expect(liveClipped('never-seen')).toBe(false);
  });

  it('keeps at most MAX_LIVE_COMMANDS commands, dropping the one appended to longest ago', () => {
    appendLiveOutput('first', 'stdout', 'a');
    appendLiveOutput('kept', 'stdout', 'b');
    for (let i = 0; i < MAX_LIVE_COMMANDS - 1; i++) appendLiveOutput(`filler-${i}`, 'stdout', '.');
    appendLiveOutput('kept', 'stdout', 'c');
    appendLiveOutput('last', 'stdout', 'd');
    expect(liveChunksOf('first')).toEqual([]);
    expect(textsOf(liveChunksOf('kept')).stdout).toBe('bc');
    expect(textsOf(liveChunksOf('last')).stdout).toBe('d');
  });
});
