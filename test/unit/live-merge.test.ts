// The fleet's live headlines merge (renderer/src/live-merge.ts): in place with a new version, CPU
// histories that keep their array when nothing moved, and the shown-figures comparison the rows use.
import { describe, expect, it } from 'vitest';
import {
  appendHistory,
  CPU_HISTORY,
  liveFrom,
  mergeLive,
  type NodeLive,
  sameFigures,
} from '../../renderer/src/live-merge.js';

const sample = (nodeId: string, t: number, cpu: number | null, extra: Partial<NodeLive> = {}): NodeLive => ({
  nodeId,
  t,
  cpu,
  memUsed: 1,
  memTotal: 2,
  diskUsed: 3,
  diskTotal: 4,
  rxBps: 5,
  txBps: 6,
  load1: 0.1,
  uptimeSec: t,
  ...extra,
});

describe('mergeLive', () => {
  it('updates the same maps in place and hands out a new store with the next version', () => {
    const first = liveFrom([sample('a', 1, 10), sample('b', 1, 20)]);
    const second = mergeLive(first, [sample('a', 2, 11)]);
    expect(second).not.toBe(first);
    expect(second.version).toBe(first.version + 1);
    expect(second.byNode).toBe(first.byNode);
    expect(second.byNode.get('a')?.cpu).toBe(11);
    expect(second.byNode.get('b')?.cpu).toBe(20);
    expect(second.cpuHistory.get('a')).toEqual([10, 11]);
    expect(second.cpuHistory.get('b')).toEqual([20]);
  });

  it('starts a store from an event that arrives before the first answer', () => {
    const store = mergeLive(undefined, [sample('a', 1, 5)]);
    expect(store.byNode.get('a')?.cpu).toBe(5);
    expect(store.cpuHistory.get('a')).toEqual([5]);
  });

  it('keeps no history for a sample without CPU, and adds nodes it had not seen', () => {
    const store = mergeLive(liveFrom([]), [sample('n', 1, null)]);
    expect(store.byNode.get('n')?.cpu).toBeNull();
    expect(store.cpuHistory.has('n')).toBe(false);
  });

  it('never changes a history array it handed out', () => {
    const store = liveFrom([sample('a', 1, 1)]);
    const before = store.cpuHistory.get('a');
    mergeLive(store, [sample('a', 2, 2)]);
    expect(before).toEqual([1]);
    expect(store.cpuHistory.get('a')).toEqual([1, 2]);
  });
});

describe('appendHistory', () => {
  it('keeps the last CPU_HISTORY figures, oldest first', () => {
    let h: readonly number[] | undefined;
    for (let i = 0; i < CPU_HISTORY + 5; i++) h = appendHistory(h, i);
    expect(h).toHaveLength(CPU_HISTORY);
    expect(h?.[0]).toBe(5);
    expect(h?.at(-1)).toBe(CPU_HISTORY + 4);
  });

  it('returns the same array when a full history of one figure gets that figure again', () => {
    const full = Array.from({ length: CPU_HISTORY }, () => 7);
    expect(appendHistory(full, 7)).toBe(full);
    const moved = appendHistory(full, 8);
    expect(moved).not.toBe(full);
    expect(moved.at(-1)).toBe(8);
    expect(moved).toHaveLength(CPU_HISTORY);
  });

  it('grows a history that is not full even when the figure repeats', () => {
    const h = [7, 7];
    const next = appendHistory(h, 7);
    expect(next).not.toBe(h);
    expect(next).toEqual([7, 7, 7]);
  });
});

describe('sameFigures', () => {
  it('is true for a new sample whose shown figures are the same (only its time moved)', () => {
    expect(sameFigures(sample('a', 1, 10), sample('a', 2, 10))).toBe(true);
  });

  it('is false when a shown figure moved, or one side is missing', () => {
    expect(sameFigures(sample('a', 1, 10), sample('a', 2, 11))).toBe(false);
    expect(sameFigures(sample('a', 1, 10), sample('a', 2, 10, { rxBps: 9 }))).toBe(false);
    expect(sameFigures(sample('a', 1, 10), undefined)).toBe(false);
    expect(sameFigures(undefined, undefined)).toBe(true);
  });
});
