// Where a token the master rotated over the channel is kept, so the agent still has a valid token after
// a restart. Precedence at start:
//   1. `<state-dir>/rotated-token.json`, but only while the configured token is the one it replaced
//      (an admin who hands the agent a different token by flag, env or file wins over it);
//   2. the configured token (--token, --token-file, FLEETDECK_TOKEN[_FILE], the config file).
// A token from a file (--token-file, FLEETDECK_TOKEN_FILE, `tokenFile:`) is rewritten in that file;
// one given by flag, environment or inline in the config file cannot be rewritten, so it goes to the
// state directory. Every write is atomic: a new file beside the old one, fsync, rename, fsync of the
// directory — a crash leaves the old token or the new one, both valid during the overlap.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const ROTATED_TOKEN_FILE = 'rotated-token.json';
const TOKEN_PATTERN = /^fdk_[A-Za-z0-9_-]{43}$/;
/** A stored token file is a few hundred bytes; anything larger is not ours. */
const MAX_STORED_BYTES = 4096;

export type StoredIn = 'token-file' | 'state-dir';

interface RotatedToken {
  token: string;
  /** SHA-256 (hex) of the configured token this one replaces. */
  replaces: string;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The token to dial with: a rotated one kept in the state directory, or the configured one. */
export function effectiveToken(configured: string, stateDir: string): { token: string; from: 'configured' | StoredIn } {
  const stored = readRotated(stateDir);
  if (stored && stored.replaces === sha256(configured)) return { token: stored.token, from: 'state-dir' };
  return { token: configured, from: 'configured' };
}

function readRotated(stateDir: string): RotatedToken | null {
  let text: string;
  try {
    text = readFileSync(join(stateDir, ROTATED_TOKEN_FILE), 'utf8');
  } catch {
    return null;
  }
  if (text.length > MAX_STORED_BYTES) return null;
  try {
    const value = JSON.parse(text) as Partial<RotatedToken>;
    if (typeof value.token !== 'string' || !TOKEN_PATTERN.test(value.token)) return null;
    if (typeof value.replaces !== 'string' || !/^[0-9a-f]{64}$/.test(value.replaces)) return null;
    return { token: value.token, replaces: value.replaces };
  } catch {
    return null;
  }
}

/**
 * Stores a rotated token durably: in the token file the agent was configured with when there is one
 * (falling back to the state directory if that file cannot be replaced), else in the state directory.
 */
export function persistToken(
  token: string,
  where: { configured: string; tokenFile: string | null; stateDir: string },
): StoredIn {
  if (!TOKEN_PATTERN.test(token)) throw new Error('not a FleetDeck node token');
  if (where.tokenFile) {
    try {
      writeAtomically(where.tokenFile, `${token}\n`);
      // The file now holds the current token: a rotated copy from before would only shadow it.
      rmSync(join(where.stateDir, ROTATED_TOKEN_FILE), { force: true });
      return 'token-file';
    } catch {
      // A read-only token file (a mounted secret, a root-owned path): the state directory keeps it.
    }
  }
  const record: RotatedToken = { token, replaces: sha256(where.configured) };
  writeAtomically(join(where.stateDir, ROTATED_TOKEN_FILE), JSON.stringify(record));
  return 'state-dir';
}

/** Temp file beside the target (exclusive, 0600), fsync, rename over it, fsync the directory. */
export function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dirname(path));
}

function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
