// Path confinement: every path is resolved (symlinks included) and must stay inside an allowed root.
// What was checked is then opened and verified (anchor.ts), and the operation works through the
// descriptor, so a symlink swapped in after the check cannot lead it outside.
import { realpathSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Anchor, OPEN_READ, openVerified, probeDescriptorPaths } from './anchor.js';
import { FileError, fromErrno } from './errors.js';

const MAX_PATH = 4096;
const MAX_NAME = 255;

/** An entry named `name` in the opened directory `dir`; `path` is its real path as replies show it. */
export interface Placed {
  dir: Anchor;
  name: string;
  path: string;
}

export interface ConfinementOptions {
  /** Work through /proc/<pid>/fd paths where available (default); false forces the portable checks. */
  descriptorPaths?: boolean;
}

export class Confinement {
  readonly roots: string[];
  /** `/proc/<pid>/fd/` on Linux, null where only the portable after-open checks run. */
  readonly descriptorPrefix: string | null;

  constructor(roots: string[], options: ConfinementOptions = {}) {
    this.descriptorPrefix = options.descriptorPaths === false ? null : probeDescriptorPaths();
    this.roots = roots.flatMap((root) => {
      try {
        return [realpathSync(root)];
      } catch {
        return []; // a root that does not exist grants nothing
      }
    });
  }

  /** Validates the shape of a requested path and makes it absolute and normal. */
  normalize(path: string): string {
    if (typeof path !== 'string' || path.length === 0) throw new FileError('invalid_path', 'a path is required');
    if (path.includes('\0')) throw new FileError('invalid_path', 'paths may not contain NUL bytes');
    if (path.length > MAX_PATH) throw new FileError('invalid_path', `paths are at most ${MAX_PATH} characters`);
    if (!isAbsolute(path)) throw new FileError('invalid_path', `"${path}" is not absolute`);
    const normal = resolve(path);
    if (basename(normal).length > MAX_NAME) throw new FileError('invalid_path', `names are at most ${MAX_NAME} bytes`);
    return normal;
  }

  within(real: string): boolean {
    return this.roots.some((root) => {
      const rel = relative(root, real);
      return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
    });
  }

  private assertWithin(real: string, requested: string): void {
    if (!this.within(real)) {
      throw new FileError('outside_roots', `${requested} is outside the directories this agent shares`);
    }
  }

  /** An existing path, resolved through symlinks, inside a root. */
  async existing(path: string): Promise<string> {
    const normal = this.normalize(path);
    this.assertWithin(normal, path);
    let real: string;
    try {
      real = await realpath(normal);
    } catch (error) {
      throw fromErrno(error, path);
    }
    this.assertWithin(real, path);
    return real;
  }

  /** An existing directory, opened (listings). */
  async directory(path: string): Promise<Anchor> {
    const real = await this.existing(path);
    return Anchor.open(real, real, this.descriptorPrefix, path);
  }

  /** An existing directory already resolved to `real` and checked, opened. */
  openDirectory(real: string, requested: string): Promise<Anchor> {
    return Anchor.open(real, real, this.descriptorPrefix, requested);
  }

  /** An existing file (or directory), resolved through symlinks and opened for reading (preview, download). */
  async readable(path: string): Promise<{ handle: FileHandle; real: string }> {
    const real = await this.existing(path);
    return { handle: await openVerified(real, real, OPEN_READ, this.descriptorPrefix, path), real };
  }

  /**
   * A path that may not exist yet (a new file or directory): its parent must exist inside a root and
   * is opened; the new name is created through it.
   */
  async creatable(path: string): Promise<Placed> {
    const normal = this.normalize(path);
    this.assertWithin(normal, path);
    const parent = await this.existing(dirname(normal));
    const target = resolve(parent, basename(normal));
    this.assertWithin(target, path);
    return this.place(parent, target, path);
  }

  /** The path itself, not following a final symlink (for stat, delete and rename of links), in its opened parent. */
  async entry(path: string): Promise<Placed> {
    const normal = this.normalize(path);
    const parent = await this.existing(dirname(normal));
    const target = resolve(parent, basename(normal));
    this.assertWithin(target, path);
    if (this.roots.includes(target)) throw new FileError('permission_denied', `${path} is a shared root itself`);
    return this.place(parent, target, path);
  }

  private async place(parent: string, target: string, requested: string): Promise<Placed> {
    return { dir: await this.openDirectory(parent, requested), name: basename(target), path: target };
  }
}
