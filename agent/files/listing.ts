// One directory's names, ordered directories first and then by name, served a page at a time. The
// first page of a huge directory is selected without sorting every name; the full sort runs once,
// after that page has gone out, for the pages that follow.
import { readdir, statfs } from 'node:fs/promises';

/**
 * Filesystems whose directory link count is 2 plus the number of subdirectories (ext2/3/4, XFS,
 * tmpfs). There a count of 2 means no subdirectories, so the names alone sort correctly and each
 * entry's type need not be read (GNU find's leaf optimisation). Elsewhere (btrfs reports 1, FUSE and
 * network filesystems vary) types are always read.
 */
const SUBDIR_COUNTING_FILESYSTEMS = new Set([0xef53, 0x58465342, 0x01021994]);

/** Below this many names a plain sort is as fast as selecting. */
const SELECT_ABOVE = 5_000;

export class DirectoryListing {
  private sorted = false;

  private constructor(
    private dirs: string[],
    private files: string[],
  ) {}

  /** `dir` may be a held directory's /proc/<pid>/fd/N path: names are then read from that descriptor. */
  static async read(dir: string, linkCount: number): Promise<DirectoryListing> {
    if (linkCount === 2 && SUBDIR_COUNTING_FILESYSTEMS.has((await statfs(dir)).type)) {
      return new DirectoryListing([], await readdir(dir));
    }
    const dirs: string[] = [];
    const files: string[] = [];
    for (const d of await readdir(dir, { withFileTypes: true })) (d.isDirectory() ? dirs : files).push(d.name);
    return new DirectoryListing(dirs, files);
  }

  get total(): number {
    return this.dirs.length + this.files.length;
  }

  page(offset: number, limit: number): string[] {
    if (!this.sorted && offset === 0 && this.total > SELECT_ABOVE && limit < this.total / 4) {
      const dirs = smallestSorted(this.dirs, limit);
      const page = dirs.concat(smallestSorted(this.files, limit - dirs.length));
      setImmediate(() => this.sort());
      return page;
    }
    this.sort();
    const { dirs, files } = this;
    if (offset + limit <= dirs.length) return dirs.slice(offset, offset + limit);
    if (offset >= dirs.length) return files.slice(offset - dirs.length, offset - dirs.length + limit);
    return dirs.slice(offset).concat(files.slice(0, offset + limit - dirs.length));
  }

  private sort(): void {
    if (this.sorted) return;
    this.dirs.sort();
    this.files.sort();
    this.sorted = true;
  }
}

/**
 * The `k` smallest of `values` in sorted order, by quickselect (linear on average) and a sort of
 * just those. Falls back to a full sort if partitioning degenerates.
 */
export function smallestSorted(values: readonly string[], k: number): string[] {
  if (k <= 0) return [];
  if (k >= values.length) return [...values].sort();
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  for (let passes = 0; lo < hi; passes++) {
    if (passes > 64) return a.sort().slice(0, k);
    const pivot = a[(lo + hi) >>> 1] as string;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as string) < pivot) i++;
      while ((a[j] as string) > pivot) j--;
      if (i <= j) {
        const swap = a[i] as string;
        a[i++] = a[j] as string;
        a[j--] = swap;
      }
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi], and anything between equals the pivot.
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else break;
  }
  return a.slice(0, k).sort();
}
