// The agent's file service: listing, stat, mkdir, rename, delete and text preview, all confined to
// the agent's roots and to the capabilities it grants. Each operation opens the directory (or file)
// it checked and works through that descriptor (anchor.ts), never by re-resolving the name.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { lstat, mkdir, readdir, readlink, rename, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Capabilities, FileEntry, FileRpcRequest } from '../protocol.js';
import type { Anchor } from './anchor.js';
import type { Confinement, Placed } from './confine.js';
import { FileError, fromErrno } from './errors.js';
import { DirectoryListing } from './listing.js';

function owners(): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid) names.set(Number(uid), name);
    }
  } catch {
    // not a Unix system: owners stay numeric
  }
  return names;
}

function typeOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FileEntry['type'] {
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isDirectory()) return 'directory';
  if (s.isFile()) return 'file';
  return 'other';
}

type Stats = Awaited<ReturnType<typeof lstat>>;

/** A preview's text as JSON stays well below the master's 4 MiB frame limit. */
const MAX_PREVIEW_JSON = 3 * 1024 * 1024;

/** Entries stat'ed per event-loop turn in a listing (a few milliseconds at most). */
const STAT_SLICE = 500;

function readlinkOrNull(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

export class FileService {
  private readonly ownerNames = owners();
  private readonly listings = new Map<string, { version: string; listing: DirectoryListing }>();

  constructor(
    private readonly confinement: Confinement,
    private readonly capabilities: Capabilities,
  ) {}

  async handle(request: FileRpcRequest): Promise<unknown> {
    this.requireRead();
    switch (request.method) {
      case 'files.list':
        return this.list(request.params.path, request.params.cursor, request.params.limit);
      case 'files.stat':
        return this.withPlaced(await this.confinement.entry(request.params.path), (at) => this.entryAt(at));
      case 'files.preview':
        return this.preview(request.params.path, request.params.maxBytes);
      case 'files.mkdir':
        this.requireWrite();
        return this.mkdir(request.params.path, request.params.parents);
      case 'files.rename':
        this.requireWrite();
        return this.rename(request.params.from, request.params.to, request.params.overwrite);
      case 'files.delete':
        this.requireWrite();
        return this.delete(request.params.path, request.params.recursive);
    }
  }

  requireRead(): void {
    if (!this.capabilities.files)
      throw new FileError('capability_missing', 'this agent does not share files (--no-files)');
  }

  requireWrite(): void {
    this.requireRead();
    if (!this.capabilities.filesWrite) {
      throw new FileError('capability_missing', 'this agent shares files read-only (--no-files-write)');
    }
  }

  /** Runs `work` on an entry in its opened parent, then closes the parent. */
  private async withPlaced<T>(at: Placed, work: (at: Placed) => Promise<T>): Promise<T> {
    try {
      return await work(at);
    } finally {
      await at.dir.close();
    }
  }

  /** Sorted directories first, then by name; paged, with the sorted names cached between pages. */
  async list(path: string, cursor: string | undefined, limit: number) {
    const dir = await this.confinement.directory(path);
    try {
      const offset = cursor ? Number(cursor) : 0;
      if (!Number.isInteger(offset) || offset < 0) throw new FileError('invalid_path', `bad cursor "${cursor}"`);
      const listing = await this.listing(dir, path);
      const page = listing.page(offset, limit);
      const entries = await this.entriesOf(dir, page);
      const next = offset + limit < listing.total ? String(offset + limit) : null;
      return { path: dir.real, total: listing.total, entries, nextCursor: next };
    } finally {
      await dir.close();
    }
  }

  /**
   * Reading a 100,000-entry directory costs ~100 ms; paging through it must not pay that per page.
   * The names (sorted once) are kept while the directory's mtime (changed by any add, remove or rename in
   * it) stays the same; a few directories at most.
   */
  private async listing(dir: Anchor, requested: string): Promise<DirectoryListing> {
    let version: string;
    let listing: DirectoryListing;
    try {
      const s = await dir.handle.stat();
      version = `${s.ino}:${s.mtimeMs}:${s.ctimeMs}`;
      const cached = this.listings.get(dir.real);
      if (cached?.version === version) {
        this.listings.delete(dir.real);
        this.listings.set(dir.real, cached);
        return cached.listing;
      }
      listing = await DirectoryListing.read(dir.self, s.nlink);
    } catch (error) {
      throw fromErrno(error, requested);
    }
    this.listings.set(dir.real, { version, listing });
    if (this.listings.size > 8) this.listings.delete(this.listings.keys().next().value as string);
    return listing;
  }

  /**
   * One lstat per entry, through the directory's descriptor (the names are the ones read from it).
   * Synchronous, in slices with a turn of the event loop between them: a stat of a cached inode is a
   * microsecond or two, while a promise per stat costs a thread-pool hop each (measured: 5,000 entries
   * took ~3× longer as 5,000 promises). A name gone meanwhile is left out.
   */
  private async entriesOf(dir: Anchor, names: readonly string[]): Promise<FileEntry[]> {
    const entries: FileEntry[] = [];
    for (let i = 0; i < names.length; i += STAT_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const name of names.slice(i, i + STAT_SLICE)) {
        const inside = dir.at(name);
        let s: Stats | undefined;
        try {
          s = lstatSync(inside, { throwIfNoEntry: false });
        } catch {
          continue;
        }
        if (!s) continue;
        const target = s.isSymbolicLink() ? readlinkOrNull(inside) : null;
        entries.push(this.describe(s, dir.shown(name), target));
      }
    }
    return entries;
  }

  /** The entry `at.name` itself (a symlink is described, not followed). */
  async entryAt(at: Placed): Promise<FileEntry> {
    const inside = at.dir.at(at.name);
    let s: Stats;
    try {
      s = await lstat(inside);
    } catch (error) {
      throw fromErrno(error, at.path);
    }
    const target = s.isSymbolicLink() ? await readlink(inside).catch(() => null) : null;
    return this.describe(s, at.path, target);
  }

  private describe(s: Stats, path: string, symlinkTarget: string | null): FileEntry {
    const type = typeOf(s);
    return {
      name: basename(path),
      path,
      type,
      size: Number(s.size),
      mtime: Math.round(Number(s.mtimeMs)),
      mode: Number(s.mode) & 0o7777,
      uid: Number(s.uid),
      gid: Number(s.gid),
      owner: this.ownerNames.get(Number(s.uid)) ?? null,
      symlinkTarget: type === 'symlink' ? symlinkTarget : null,
    };
  }

  async preview(path: string, maxBytes: number) {
    const { handle, real } = await this.confinement.readable(path);
    try {
      const s = await handle.stat().catch((e) => {
        throw fromErrno(e, path);
      });
      if (s.isDirectory()) throw new FileError('is_a_directory', `${path} is a directory`);
      const buffer = Buffer.alloc(Math.min(maxBytes, s.size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0).catch((e) => {
        throw fromErrno(e, path);
      });
      const read = buffer.subarray(0, bytesRead);
      const text = decodeText(read);
      if (text === null) throw new FileError('binary', `${path} looks binary; download it instead`);
      // The answer is one text frame, and the master refuses frames over 4 MiB: text that escapes to
      // more (control characters are six bytes each in JSON) is refused rather than cutting the link.
      if (JSON.stringify(text).length > MAX_PREVIEW_JSON) {
        throw new FileError('too_large', `${path} has too many control characters to show; download it instead`);
      }
      // mtime and SHA-256 (of the whole file when not truncated) are what an edit's save is guarded by.
      const sha256 = createHash('sha256').update(read).digest('hex');
      return { path: real, size: s.size, truncated: s.size > bytesRead, text, mtime: Math.round(s.mtimeMs), sha256 };
    } finally {
      await handle.close();
    }
  }

  async mkdir(path: string, parents: boolean) {
    if (parents) return this.mkdirParents(path);
    return this.withPlaced(await this.confinement.creatable(path), async (at) => {
      await mkdir(at.dir.at(at.name)).catch((e) => {
        throw fromErrno(e, path);
      });
      return this.entryAt(at);
    });
  }

  /**
   * mkdir -p: confine the deepest existing ancestor, open it, then create and open each missing
   * directory through the one above it, so no level is ever looked up by name again.
   */
  private async mkdirParents(path: string) {
    const normal = this.confinement.normalize(path);
    const missing: string[] = [];
    let ancestor = normal;
    let real: string;
    for (;;) {
      try {
        real = await this.confinement.existing(ancestor);
        break;
      } catch (error) {
        if (!(error instanceof FileError) || error.code !== 'not_found' || ancestor === dirname(ancestor)) throw error;
        missing.unshift(basename(ancestor));
        ancestor = dirname(ancestor);
      }
    }
    let dir = await this.confinement.openDirectory(real, path).catch((error) => {
      const file = error instanceof FileError && error.code === 'not_a_directory'; // mkdir -p of an existing file
      throw file ? new FileError('exists', `${path} already exists`) : error;
    });
    try {
      for (const name of missing) {
        await mkdir(dir.at(name)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw fromErrno(e, path); // made meanwhile: fine if it is a directory
        });
        const next = await dir.child(name, path);
        await dir.close();
        dir = next;
      }
      return this.describe(await dir.handle.stat(), dir.real, null);
    } finally {
      await dir.close();
    }
  }

  async rename(from: string, to: string, overwrite: boolean) {
    return this.withPlaced(await this.confinement.entry(from), async (source) =>
      this.withPlaced(await this.confinement.creatable(to), async (target) => {
        const there = target.dir.at(target.name);
        if (
          !overwrite &&
          (await lstat(there).then(
            () => true,
            () => false,
          ))
        ) {
          throw new FileError('exists', `${to} already exists (rename with overwrite=true to replace it)`);
        }
        await rename(source.dir.at(source.name), there).catch((e) => {
          throw fromErrno(e, from);
        });
        return this.entryAt(target);
      }),
    );
  }

  async delete(path: string, recursive: boolean) {
    return this.withPlaced(await this.confinement.entry(path), async (at) => {
      const inside = at.dir.at(at.name);
      const s = await lstat(inside).catch((e) => {
        throw fromErrno(e, path);
      });
      try {
        if (!s.isDirectory()) await unlink(inside);
        else if (recursive) await removeTree(at.dir, at.name, path);
        else await rmdir(inside);
      } catch (error) {
        throw fromErrno(error, path);
      }
      return { ok: true };
    });
  }
}

/**
 * rm -r through descriptors: each directory is opened (never through a symlink) from its verified
 * parent before its entries are removed, so a directory swapped for a symlink mid-walk is unlinked
 * as the link it now is, and nothing outside is touched. One descriptor per level is held.
 */
async function removeTree(parent: Anchor, name: string, requested: string): Promise<void> {
  let dir: Anchor;
  try {
    dir = await parent.child(name, requested);
  } catch (error) {
    // Not a directory (any more): a file or a symlink is removed as itself.
    if (error instanceof FileError && (error.code === 'not_a_directory' || error.code === 'outside_roots')) {
      if (error.code === 'outside_roots' && !(await isLink(parent.at(name)))) throw error;
      return unlink(parent.at(name));
    }
    throw error;
  }
  try {
    for (const entry of await readdir(dir.self, { withFileTypes: true })) {
      if (entry.isDirectory()) await removeTree(dir, entry.name, requested);
      else await unlink(dir.at(entry.name));
    }
  } finally {
    await dir.close();
  }
  await rmdir(parent.at(name));
}

async function isLink(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null))?.isSymbolicLink() ?? false;
}

/** UTF-8 text, or null when the bytes look binary (NUL bytes, or invalid UTF-8 before a cut). */
function decodeText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let trim = 0; trim <= 3 && trim <= bytes.length; trim++) {
    try {
      return decoder.decode(bytes.subarray(0, bytes.length - trim));
    } catch {
      // a multi-byte character may have been cut at the end: try a little shorter
    }
  }
  return null;
}
