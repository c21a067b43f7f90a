// Directory listings on real directories: directories first, then names in order, page by page, the
// same whether the first page was selected (huge directory) or cut from a full sort.
import { mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryListing, smallestSorted } from '../../agent/files/listing.js';

function randomNames(count: number, seed: number): string[] {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x;
  };
  // Duplicates, shared prefixes, case and non-ASCII, as real directories have.
  const parts = ['a', 'B', 'log', 'log-', 'é', 'z', '0', '10', '9'];
  return Array.from({ length: count }, () => `${parts[next() % parts.length]}${next() % 1000}`);
}

describe('smallestSorted', () => {
  it('equals sorting everything and taking the first k, for any k', () => {
    for (const [count, seed] of [
      [1, 1],
      [50, 2],
      [10_000, 3],
    ] as const) {
      const values = randomNames(count, seed);
      const expected = [...values].sort();
      for (const k of [0, 1, 7, Math.floor(count / 2), count - 1, count, count + 5]) {
        expect(smallestSorted(values, k)).toEqual(expected.slice(0, Math.max(0, k)));
      }
    }
  });

  it('handles all-equal and already-sorted input', () => {
    expect(smallestSorted(Array(1000).fill('same'), 10)).toEqual(Array(10).fill('same'));
    const sorted = Array.from({ length: 2000 }, (_, i) => `f-${String(i).padStart(5, '0')}`);
    expect(smallestSorted(sorted, 500)).toEqual(sorted.slice(0, 500));
    expect(smallestSorted([...sorted].reverse(), 500)).toEqual(sorted.slice(0, 500));
  });
});

describe('DirectoryListing', () => {
  const root = mkdtempSync(join(os.tmpdir(), 'fleetdeck-listing-'));

  async function allPages(dir: string, limit: number): Promise<string[]> {
    const listing = await DirectoryListing.read(dir, statSync(dir).nlink);
    const names: string[] = [];
    for (let offset = 0; offset < listing.total; offset += limit) names.push(...listing.page(offset, limit));
    return names;
  }

  it('a huge leaf directory pages in name order, the first page selected before the full sort', async () => {
    const dir = join(root, 'leaf');
    mkdirSync(dir);
    const names = randomNames(12_000, 7).map((n, i) => `${n}-${i}`);
    for (const name of names) writeFileSync(join(dir, name), '');
    expect(await allPages(dir, 500)).toEqual([...names].sort());
  });

  it('subdirectories come first (a symlink to a directory counts as a file), in every page', async () => {
    const dir = join(root, 'mixed');
    mkdirSync(dir);
    const subdirs = ['zeta', 'alpha', 'Mid'];
    for (const d of subdirs) mkdirSync(join(dir, d));
    const files = randomNames(9_000, 11).map((n, i) => `${n}.${i}`);
    for (const f of files) writeFileSync(join(dir, f), '');
    symlinkSync(join(dir, 'alpha'), join(dir, 'link-to-alpha'));
    expect(await allPages(dir, 400)).toEqual([...subdirs.sort(), ...[...files, 'link-to-alpha'].sort()]);
    expect(await allPages(dir, 2)).toEqual(await allPages(dir, 1_000));
  });
});
