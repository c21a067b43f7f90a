// In-band self-upgrade. The master offers a version; the agent fetches the file for how it runs (the
// bundle under Node, or the standalone executable for its arch) from the gateway over its pinned TLS,
// checks size and SHA-256, runs it with --version, keeps itself as `<program>.prev`, writes the marker
// `<program>.upgrade` ("<deadline epoch s> <version>") and renames the new file over itself; then it
// exits and its service manager starts the new one. The new agent deletes marker and .prev once the
// master welcomed it; if the deadline passes first it puts .prev back and exits. A build that dies
// before it gets that far is put back by the service itself, which checks the marker before each start
// (the install script's supervisor, ExecStartPre of its unit, start_pre of its OpenRC script).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { pinnedConnect } from './pinned-tls.js';
import { MAX_UPGRADE_BYTES, type UpgradeMessage } from './protocol.js';
import { VERSION } from './version.js';

export interface SelfProgram {
  /** The file that is this agent: the bundle, or the standalone executable. */
  program: string;
  /** The Node.js binary that runs the bundle (null: standalone). */
  node: string | null;
  /** The gateway file name for this kind of agent. */
  artifact: string;
}

function isStandalone(): boolean {
  try {
    // node:sea exists from Node 20.12; older Nodes run only the bundle.
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

export function selfProgram(): SelfProgram {
  if (isStandalone()) {
    return { program: process.execPath, node: null, artifact: `fleetdeck-agent-linux-${process.arch}` };
  }
  return { program: realpathSync(process.argv[1] as string), node: process.execPath, artifact: 'fleetdeck-agent.cjs' };
}

export const markerOf = (program: string) => `${program}.upgrade`;
export const prevOf = (program: string) => `${program}.prev`;

/** The upgrade this process is the trial of, if any: its deadline (ms). */
export type PendingUpgrade = { deadlineMs: number } | 'rolled-back' | null;

/** At start: a marker naming this version is a trial; past its deadline it is rolled back now. */
export function pendingUpgrade(self: SelfProgram, now = Date.now()): PendingUpgrade {
  const marker = markerOf(self.program);
  if (!existsSync(marker)) return null;
  const [deadline, version] = readFileSync(marker, 'utf8').trim().split(/\s+/);
  const deadlineMs = Number(deadline) * 1000;
  if (version !== VERSION) {
    // The swap did not take (or was undone): this is the previous agent, nothing is on trial.
    rmSync(marker, { force: true });
    return null;
  }
  if (!(deadlineMs > now)) {
    rollBack(self);
    return 'rolled-back';
  }
  return { deadlineMs };
}

/** Puts the previous agent back (the service starts it when this process exits). */
export function rollBack(self: SelfProgram): void {
  const prev = prevOf(self.program);
  if (existsSync(prev)) renameSync(prev, self.program);
  rmSync(markerOf(self.program), { force: true });
}

/** The master welcomed this version: it stays. */
export function confirmUpgrade(self: SelfProgram): void {
  rmSync(markerOf(self.program), { force: true });
  rmSync(prevOf(self.program), { force: true });
}

class UpgradeError extends Error {}

/** Downloads, checks and swaps in the offered agent; throws UpgradeError (nothing changed) on any doubt. */
export async function installUpgrade(
  message: UpgradeMessage,
  self: SelfProgram,
  gateway: { url: string; pins: readonly string[] | null },
): Promise<void> {
  const wanted = message.artifacts[self.artifact];
  if (!wanted) throw new UpgradeError(`the master offers no ${self.artifact} for this agent`);
  // A packaged agent (/opt/fleetdeck-agent, root's) cannot replace itself: said before any download.
  try {
    accessSync(dirname(self.program), constants.W_OK);
  } catch {
    throw new UpgradeError(
      `this agent cannot write ${dirname(self.program)} (installed by a package?): upgrade it with its package manager or the install script`,
    );
  }
  const base = new URL(gateway.url.replace(/^ws(s?):\/\//, 'http$1://'));
  base.pathname = `/agent/${self.artifact}`;
  const next = `${self.program}.new`;
  try {
    await download(base, next, wanted, gateway.pins);
    chmodSync(next, 0o755);
    const said = await versionOf(self, next);
    if (said !== message.version) {
      throw new UpgradeError(`the new agent names version ${JSON.stringify(said)}, not ${message.version}`);
    }
    copyFileSync(self.program, prevOf(self.program));
    const deadline = Math.ceil(Date.now() / 1000) + message.timeoutSec;
    writeDurably(markerOf(self.program), `${deadline} ${message.version}\n`);
    renameSync(next, self.program);
  } catch (error) {
    rmSync(next, { force: true });
    throw error instanceof UpgradeError ? error : new UpgradeError((error as Error).message);
  }
}

function writeDurably(path: string, text: string): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function download(
  url: URL,
  path: string,
  wanted: { sha256: string; size: number },
  pins: readonly string[] | null,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const options = {
      timeout: 120_000,
      ...(pins ? { createConnection: pinnedConnect(pins) as never } : {}),
    };
    const req = (url.protocol === 'https:' ? https : http).get(url, options, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new UpgradeError(`the gateway answered HTTP ${res.statusCode} for ${url.pathname}`));
      }
      let fd: number;
      try {
        fd = openSync(path, 'w', 0o700);
      } catch (error) {
        res.resume();
        return reject(new UpgradeError(`cannot write ${path}: ${(error as Error).message}`));
      }
      const hash = createHash('sha256');
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > Math.min(wanted.size, MAX_UPGRADE_BYTES)) {
          req.destroy(new UpgradeError('the download is larger than offered'));
          return;
        }
        hash.update(chunk);
        writeSync(fd, chunk);
      });
      res.on('error', (error) => {
        closeSync(fd);
        reject(error);
      });
      res.on('end', () => {
        fsyncSync(fd);
        closeSync(fd);
        const got = hash.digest('hex');
        if (size !== wanted.size || got !== wanted.sha256) {
          return reject(new UpgradeError(`the download does not match the offer (SHA-256 ${got}, ${size} bytes)`));
        }
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new UpgradeError('the download took longer than 120 s')));
    req.on('error', reject);
  });
}

/** Runs the downloaded agent with --version: a build that cannot even start is never swapped in. */
function versionOf(self: SelfProgram, file: string): Promise<string> {
  const [command, args] = self.node ? [self.node, [file, '--version']] : [file, ['--version']];
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 15_000, maxBuffer: 4096 }, (error, stdout) => {
      if (error) return reject(new UpgradeError(`the new agent does not start: ${error.message.slice(0, 300)}`));
      resolve(String(stdout).trim());
    });
  });
}
