// The agent's file service: listing, stat, mkdir, rename, delete and text preview, all confined to
// the agent's roots and to the capabilities it grants.
import { readFileSync } from 'node:fs';
import { lstat, mkdir, open, readlink, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Capabilities, FileEntry, RpcRequest } from '../protocol.js';
import type { Confinement } from './confine.js';
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

export class FileService {
  private readonly ownerNames = owners();
  private readonly listings = new Map<string, { version: string; listing: DirectoryListing }>();

  constructor(
    private readonly confinement: Confinement,
    private readonly capabilities: Capabilities,
  ) {}

  async handle(request: RpcRequest): Promise<unknown> {
    this.requireRead();
    switch (request.method) {
      case 'files.list':
        return this.list(request.params.path, request.params.cursor, request.params.limit);
      case 'files.stat':
        return this.entry(await this.confinement.entry(request.params.path));
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

  /** Sorted directories first, then by name; paged, with the sorted names cached between pages. */
  async list(path: string, cursor: string | undefined, limit: number) {
    const dir = await this.confinement.existing(path);
    const offset = cursor ? Number(cursor) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new FileError('invalid_path', `bad cursor "${cursor}"`);
    const listing = await this.listing(dir, path);
    const page = listing.page(offset, limit);
    const entries = await Promise.all(page.map((name) => this.entry(join(dir, name)).catch(() => null)));
    const next = offset + limit < listing.total ? String(offset + limit) : null;
    return { path: dir, total: listing.total, entries: entries.filter((e) => e !== null), nextCursor: next };
  }

  /**
   * Reading a 100,000-entry directory costs ~100 ms; paging through it must not pay that per page.
   * The names (sorted once) are kept while the directory's mtime (changed by any add, remove or rename in
   * it) stays the same; a few directories at most.
   */
  private async listing(dir: string, requested: string): Promise<DirectoryListing> {
    let version: string;
    let listing: DirectoryListing;
    try {
      const s = await stat(dir);
      version = `${s.ino}:${s.mtimeMs}:${s.ctimeMs}`;
      const cached = this.listings.get(dir);
      if (cached?.version === version) {
        this.listings.delete(dir);
        this.listings.set(dir, cached);
        return cached.listing;
      }
      listing = await DirectoryListing.read(dir, s.nlink);
    } catch (error) {
      throw fromErrno(error, requested);
    }
    this.listings.set(dir, { version, listing });
    if (this.listings.size > 8) this.listings.delete(this.listings.keys().next().value as string);
    return listing;
  }

  async entry(real: string): Promise<FileEntry> {
    let s: Awaited<ReturnType<typeof lstat>>;
    try {
      s = await lstat(real);
    } catch (error) {
      throw fromErrno(error, real);
    }
    const type = typeOf(s);
    return {
      name: basename(real),
      path: real,
      type,
      size: Number(s.size),
      mtime: Math.round(Number(s.mtimeMs)),
      mode: Number(s.mode) & 0o7777,
      uid: Number(s.uid),
      gid: Number(s.gid),
      owner: this.ownerNames.get(Number(s.uid)) ?? null,
      symlinkTarget: type === 'symlink' ? await readlink(real).catch(() => null) : null,
    };
  }

  async preview(path: string, maxBytes: number) {
    const real = await this.confinement.existing(path);
    const s = await stat(real).catch((e) => {
      throw fromErrno(e, path);
    });
    if (s.isDirectory()) throw new FileError('is_a_directory', `${path} is a directory`);
    const handle = await open(real, 'r').catch((e) => {
      throw fromErrno(e, path);
    });
    try {
      const buffer = Buffer.alloc(Math.min(maxBytes, s.size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      const text = decodeText(buffer.subarray(0, bytesRead));
      if (text === null) throw new FileError('binary', `${path} looks binary; download it instead`);
      return { path: real, size: s.size, truncated: s.size > bytesRead, text };
    } finally {
      await handle.close();
    }
  }

  async mkdir(path: string, parents: boolean) {
    const normal = this.confinement.normalize(path);
    if (parents) {
      // Confine the deepest existing ancestor, then create below it.
      let ancestor = normal;
      for (;;) {
        try {
          await this.confinement.existing(ancestor);
          break;
        } catch (error) {
          if (!(error instanceof FileError) || error.code !== 'not_found') throw error;
          ancestor = join(ancestor, '..');
        }
      }
      await mkdir(normal, { recursive: true }).catch((e) => {
        throw fromErrno(e, path);
      });
      return this.entry(await this.confinement.existing(normal));
    }
    const target = await this.confinement.creatable(path);
    await mkdir(target).catch((e) => {
      throw fromErrno(e, path);
    });
    return this.entry(target);
  }

  async rename(from: string, to: string, overwrite: boolean) {
    const source = await this.confinement.entry(from);
    const target = await this.confinement.creatable(to);
    if (
      !overwrite &&
      (await lstat(target).then(
        () => true,
        () => false,
      ))
    ) {
      throw new FileError('exists', `${to} already exists (rename with overwrite=true to replace it)`);
    }
    await rename(source, target).catch((e) => {
      throw fromErrno(e, from);
    });
    return this.entry(target);
  }

  async delete(path: string, recursive: boolean) {
    const target = await this.confinement.entry(path);
    const s = await lstat(target).catch((e) => {
      throw fromErrno(e, path);
    });
    try {
      if (!s.isDirectory()) await unlink(target);
      else if (recursive) await rm(target, { recursive: true });
      else await rmdir(target);
    } catch (error) {
      throw fromErrno(error, path);
    }
    return { ok: true };
  }
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
