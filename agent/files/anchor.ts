// Directories held open while the file service works in them. A path checked by name can be swapped
// (a directory renamed away and a symlink to /etc renamed into its place) between the check and the
// use, so every operation opens what it checked, verifies the descriptor, and then works through it.
//
// Linux: the descriptor's real path is read back from /proc/<pid>/fd/N, and names inside the directory
// are reached as /proc/<pid>/fd/N/<name>: the kernel resolves that through the held descriptor (the
// inode opened and checked), not by name, so a swap after the check cannot redirect it (Node has no
// openat; this path form is its equivalent). Elsewhere (no /proc): after opening, the descriptor's
// device and inode are compared with a fresh realpath + stat of the checked path, and names are
// reached by name, which narrows the window but cannot close it (see docs/architecture.md).
import { closeSync, constants, openSync, readlinkSync } from 'node:fs';
import { type FileHandle, lstat, open, readlink, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileError, fromErrno } from './errors.js';

// Windows has neither flag; there the fallback's after-open check is all there is.
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** A directory, never through a symlink in its last component. */
export const OPEN_DIRECTORY = constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/** A file to read, never through a symlink; non-blocking so a FIFO cannot stall the thread pool. */
export const OPEN_READ = constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
/** A new file (upload temp): never an existing one, never through a symlink. */
export const OPEN_CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;

/**
 * `/proc/<pid>/fd/` when paths resolve through it (Linux with /proc mounted), else null. The pid is
 * read from /proc/self once, so it is the pid as that /proc sees it, and saves resolving the `self`
 * link for every name afterwards.
 */
export function probeDescriptorPaths(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const prefix = `/proc/${readlinkSync('/proc/self')}/fd/`;
    const fd = openSync('/', OPEN_DIRECTORY);
    try {
      return readlinkSync(`${prefix}${fd}`) === '/' ? prefix : null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** The refusal when what was opened is not what was checked. */
export function changedError(requested: string): FileError {
  return new FileError(
    'outside_roots',
    `${requested} changed while it was being opened (it no longer is the path inside the shared directories that was checked)`,
  );
}

/** True when `handle` is the file or directory at the real path `real`. */
export async function isAt(handle: FileHandle, real: string, prefix: string | null): Promise<boolean> {
  if (prefix) return (await readlink(`${prefix}${handle.fd}`).catch(() => null)) === real;
  const opened = await handle.stat({ bigint: true });
  if ((await realpath(real).catch(() => null)) !== real) return false;
  const named = await stat(real, { bigint: true }).catch(() => null);
  return named !== null && named.dev === opened.dev && named.ino === opened.ino;
}

/**
 * Opens `at` (a path naming `real`: `real` itself, or a name inside an anchor) with `flags` and checks
 * the descriptor is `real`. A symlink met where the check saw none, or any mismatch, is refused.
 */
export async function openVerified(
  at: string,
  real: string,
  flags: number,
  prefix: string | null,
  requested: string,
): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(at, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // O_NOFOLLOW met a symlink where the check saw none (Linux says ENOTDIR for a directory open).
    if (code === 'ELOOP' || (code === 'ENOTDIR' && (await isSymlink(at)))) throw changedError(requested);
    throw fromErrno(error, requested);
  }
  if (await isAt(handle, real, prefix)) return handle;
  await handle.close();
  throw changedError(requested);
}

async function isSymlink(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null))?.isSymbolicLink() ?? false;
}

/** A directory opened and verified to be `real`; names inside it resolve through its descriptor. */
export class Anchor {
  private constructor(
    readonly real: string,
    readonly handle: FileHandle,
    private readonly prefix: string | null,
  ) {}

  static async open(at: string, real: string, prefix: string | null, requested: string): Promise<Anchor> {
    return new Anchor(real, await openVerified(at, real, OPEN_DIRECTORY, prefix, requested), prefix);
  }

  /** The directory itself, for readdir and statfs. */
  get self(): string {
    return this.prefix ? `${this.prefix}${this.handle.fd}` : this.real;
  }

  /** A path naming `name` inside this directory (one component, no separators). */
  at(name: string): string {
    return this.prefix ? `${this.prefix}${this.handle.fd}/${name}` : join(this.real, name);
  }

  /** The real path of `name` inside, as replies show it. */
  shown(name: string): string {
    return join(this.real, name);
  }

  /** The subdirectory `name`, opened through this one. */
  child(name: string, requested: string): Promise<Anchor> {
    return Anchor.open(this.at(name), this.shown(name), this.prefix, requested);
  }

  /** Still the directory at the checked path (it may have been moved since it was opened)? */
  async verify(requested: string): Promise<void> {
    if (!(await isAt(this.handle, this.real, this.prefix))) throw changedError(requested);
  }

  close(): Promise<void> {
    return this.handle.close().catch(() => undefined);
  }
}
