// The cluster key file: one key a line, base64 of 32 random bytes, the newest first (it seals); any
// later line is a previous key, still accepted for opening (a rotation leaves the one it replaced).
// Lines starting with # are comments. Written 0600, atomically (temp file, fsync, rename).
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { FleetError } from '../../contract/errors.js';
import { KEY_BYTES } from './secret-box.js';

export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The keys in a key file, newest first; a malformed line is refused with its number. */
export function readKeyFile(path: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FleetError('bad_request', `Cannot read the cluster key file ${path}: ${(error as Error).message}`);
  }
  const keys: Buffer[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const key = Buffer.from(line, 'base64');
    if (key.length !== KEY_BYTES || !/^[A-Za-z0-9+/]+=*$/.test(line)) {
      throw new FleetError(
        'bad_request',
        `The cluster key file ${path} is damaged at line ${i + 1}: each key is 44 characters of base64 (32 bytes). Copy the file again from an instance of the cluster.`,
      );
    }
    keys.push(key);
  });
  if (keys.length === 0)
    throw new FleetError(
      'bad_request',
      `The cluster key file ${path} holds no key. Copy it from an instance of the cluster.`,
    );
  return keys;
}

/** Whether others than the owner may read the file (worth a warning: it opens every saved secret). */
export function readableByOthers(path: string): boolean {
  return (statSync(path).mode & 0o077) !== 0;
}

/** Writes the keys (newest first) so that a crash leaves the old file or the new one, never half. */
export function writeKeyFile(path: string, keys: readonly Buffer[], exclusive = false): void {
  const body =
    '# FleetDeck cluster key: seals saved SSH credentials and tunnel credentials in the database.\n' +
    '# Every instance sharing the database needs this file (--cluster-key-file). Keep it secret.\n' +
    `${keys.map((k) => k.toString('base64')).join('\n')}\n`;
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (exclusive) {
    // First start: a hard link fails if the file exists, so a key another process wrote meanwhile
    // is never replaced.
    try {
      linkSync(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw new FleetError('conflict', `The cluster key file ${path} appeared while FleetDeck was creating it.`);
    } finally {
      unlinkSync(temp);
    }
  } else {
    renameSync(temp, path);
  }
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
