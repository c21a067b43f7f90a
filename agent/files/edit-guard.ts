// The guard of a text edited in place: an upload that carries `expect` replaces the target only while
// it is still the content that was opened (same size and SHA-256). It is checked when the upload
// starts (refused before any data is sent) and again right before the rename, through the upload's
// held directory; what can slip between that last check and the rename is a write in the same
// microseconds, which no check short of a lock on the host could exclude.
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import type { UploadExpectation } from '../protocol.js';
import { type Anchor, OPEN_READ, openVerified } from './anchor.js';
import { FileError, fromErrno } from './errors.js';

function changed(requested: string, what: string): FileError {
  return new FileError('changed', `${requested} ${what} since it was opened; reload it, or save again to overwrite.`);
}

/** Refuses with `changed` unless `name` in `dir` is a regular file with the expected size and SHA-256. */
export async function assertUnchanged(
  dir: Anchor,
  name: string,
  expect: UploadExpectation,
  prefix: string | null,
  requested: string,
): Promise<void> {
  const s = await lstat(dir.at(name)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw fromErrno(error, requested);
  });
  if (!s) throw changed(requested, 'was deleted on the host');
  if (!s.isFile()) throw changed(requested, 'was replaced by something that is not a file');
  const when = new Date(s.mtimeMs).toISOString();
  if (s.size !== expect.size) throw changed(requested, `was changed on the host (at ${when}, now ${s.size} bytes)`);
  if ((await sha256Of(dir, name, prefix, requested)) !== expect.sha256) {
    throw changed(requested, `was changed on the host (at ${when})`);
  }
}

/** The SHA-256 of `name` in `dir`, read through a verified descriptor (never through a symlink). */
async function sha256Of(dir: Anchor, name: string, prefix: string | null, requested: string): Promise<string> {
  const handle = await openVerified(dir.at(name), dir.shown(name), OPEN_READ, prefix, requested);
  const hash = createHash('sha256');
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
    }
  } catch (error) {
    throw fromErrno(error, requested);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return hash.digest('hex');
}
