// Path confinement: every path is resolved (symlinks included) and must stay inside an allowed root.
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { FileError, fromErrno } from './errors.js';

const MAX_PATH = 4096;
const MAX_NAME = 255;

export class Confinement {
  readonly roots: string[];

  constructor(roots: string[]) {
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

  /**
   * A path that may not exist yet (a new file or directory): its parent must exist inside a root,
   * and the result is the real parent joined with the new name.
   */
  async creatable(path: string): Promise<string> {
    const normal = this.normalize(path);
    this.assertWithin(normal, path);
    const parent = await this.existing(dirname(normal));
    const target = resolve(parent, basename(normal));
    this.assertWithin(target, path);
    return target;
  }

  /** The path itself, not following a final symlink (for delete and rename of links). */
  async entry(path: string): Promise<string> {
    const normal = this.normalize(path);
    const parent = await this.existing(dirname(normal));
    const target = resolve(parent, basename(normal));
    this.assertWithin(target, path);
    if (this.roots.includes(target)) throw new FileError('permission_denied', `${path} is a shared root itself`);
    return target;
  }
}
