// The fleet's live headlines merge (renderer/src/live-merge.ts): one entry per node updated in place,
// its `rev` moving only when what the fleet shows of it moves, the CPU history ring, and a new store
// version with every merge.
import { describe, expect, it } from 'vitest';
import {
  CPU_HISTORY,
  cpuHistory,
  type LiveEntry,
  liveFrom,
  mergeLive,
  type NodeLive,
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

const entry = (store: { byNode: ReadonlyMap<string, LiveEntry> }, id: string) => store.byNode.get(id) as LiveEntry;

describe('mergeLive', () => {
  it('updates the same entries in place and hands out a new store with the next version', () => {
    const first = liveFrom([sample('a', 1, 10), sample('b', 1, 20)]);
    const a = entry(first, 'a');
    const second = mergeLive(first, [sample('a', 2, 11, { rxBps: 50 })]);
    expect(second).not.toBe(first);
    expect(second.version).toBe(first.version + 1);
    expect(second.byNode).toBe(first.byNode);
    expect(entry(second, 'a')).toBe(a);
    expect(a).toMatchObject({ t: 2, cpu: 11, rxBps: 50, uptimeSec: 2 });
    expect(entry(second, 'b').cpu).toBe(20);
    expect(cpuHistory(a)).toEqual([10, 11]);
    expect(cpuHistory(entry(second, 'b'))).toEqual([20]);
  });

  it('moves rev when a shown figure moves, not when only the time and host uptime do', () => {
    const store = liveFrom([sample('a', 1, 10)]);
    const a = entry(store, 'a');
    // Fill the history with one figure: from then on the same figure changes nothing drawn.
    for (let t = 2; t <= CPU_HISTORY + 1; t++) mergeLive(store, [sample('a', t, 10)]);
    const rev = a.rev;
    mergeLive(store, [sample('a', 100, 10, { load1: 3 })]);
    expect(a.rev).toBe(rev);
    expect(a).toMatchObject({ t: 100, uptimeSec: 100, load1: 3 });
    mergeLive(store, [sample('a', 101, 10, { memUsed: 2 })]);
    expect(a.rev).toBe(rev + 1);
    mergeLive(store, [sample('a', 102, 12, { memUsed: 2 })]);
    expect(a.rev).toBe(rev + 2);
  });

  it('moves rev while the history grows, even with the same figure', () => {
    const store = liveFrom([sample('a', 1, 7)]);
    const a = entry(store, 'a');
    mergeLive(store, [sample('a', 2, 7)]);
    expect(a.rev).toBe(1);
    expect(cpuHistory(a)).toEqual([7, 7]);
  });

  it('starts a store from an event that arrives before the first answer', () => {
    const store = mergeLive(undefined, [sample('a', 1, 5)]);
    expect(entry(store, 'a').cpu).toBe(5);
    expect(cpuHistory(entry(store, 'a'))).toEqual([5]);
  });

  it('keeps no history for samples without CPU, and takes nodes it had not seen', () => {
    const store = mergeLive(liveFrom([]), [sample('n', 1, null)]);
    mergeLive(store, [sample('n', 2, null)]);
    expect(entry(store, 'n').cpu).toBeNull();
    expect(cpuHistory(entry(store, 'n'))).toEqual([]);
  });

  it('skips entries without a node id and reads anything but a finite number as no figure', () => {
    const bad = [{ cpu: 3 }, { ...sample('x', 1, 1), cpu: 'high', memUsed: Number.NaN }] as unknown as NodeLive[];
    const store = liveFrom(bad);
    expect(store.byNode.size).toBe(1);
    expect(entry(store, 'x')).toMatchObject({ cpu: null, memUsed: null, memTotal: 2 });
  });

  it('hands out a history array that later merges do not change', () => {
    const store = liveFrom([sample('a', 1, 1)]);
    const before = cpuHistory(entry(store, 'a'));
    mergeLive(store, [sample('a', 2, 2)]);
    expect(before).toEqual([1]);
    expect(cpuHistory(entry(store, 'a'))).toEqual([1, 2]);
  });
});

describe('the CPU history ring', () => {
  it('keeps the last CPU_HISTORY figures, oldest first', () => {
    const store = liveFrom([sample('a', 0, 0)]);
    for (let i = 1; i < CPU_HISTORY + 5; i++) mergeLive(store, [sample('a', i, i)]);
    const h = cpuHistory(entry(store, 'a'));
    expect(h).toHaveLength(CPU_HISTORY);
    expect(h[0]).toBe(5);
    expect(h.at(-1)).toBe(CPU_HISTORY + 4);
  });

  it('moves rev on the figure that pushes the last different one out, and not after', () => {
    const store = liveFrom([sample('a', 0, 1)]);
    for (let i = 1; i < CPU_HISTORY; i++) mergeLive(store, [sample('a', i, 9, { memUsed: 1 })]);
    const a = entry(store, 'a');
    // The ring is [1, 9 × 29]; the next 9 drops the 1: the line changes.
    const rev = a.rev;
    mergeLive(store, [sample('a', 100, 9)]);
    expect(a.rev).toBe(rev + 1);
    expect(cpuHistory(a)).toEqual(Array.from({ length: CPU_HISTORY }, () => 9));
    mergeLive(store, [sample('a', 101, 9)]);
    expect(a.rev).toBe(rev + 1);
  });
});
