// Builds what the package tests install, once per checkout state: the standalone agent
// (scripts/build-sea.mjs, skipped when out/agent has one newer than the bundle) and agent packages
// (scripts/package-agent.mjs --fast, into a directory of the test).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_BUNDLE, ROOT } from './processes.js';

export const STANDALONE_AGENT = join(ROOT, `out/agent/fleetdeck-agent-linux-${process.arch}`);

/**
 * Runs `build` unless `fresh()`, one test file at a time: parallel files wait for the one building
 * (a lock file naming its pid; a dead holder's lock is taken over) and then find it fresh.
 */
function buildOnce(name: string, fresh: () => boolean, build: () => void): void {
  if (fresh()) return;
  const lock = join(ROOT, 'out', `.${name}.lock`);
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(existsSync(lock) ? readFileSync(lock, 'utf8') : 0);
      if (holder > 0 && !alive(holder)) rmSync(lock, { force: true });
      else Atomics.wait(wait, 0, 0, 250);
    }
  }
  try {
    if (!fresh()) build();
  } finally {
    rmSync(lock, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function ensureStandaloneAgent(): string {
  buildOnce(
    'standalone-agent',
    () => existsSync(STANDALONE_AGENT) && statSync(STANDALONE_AGENT).mtimeMs >= statSync(AGENT_BUNDLE).mtimeMs,
    () => execFileSync(process.execPath, ['scripts/build-sea.mjs'], { cwd: ROOT, stdio: 'ignore' }),
  );
  return STANDALONE_AGENT;
}

export const hasCommand = (name: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Builds agent packages into `outDir` (a copy of dist/ the test owns): the files made. */
export function buildAgentPackages(outDir: string, kinds: 'deb' | 'rpm', release = '1'): string[] {
  const out = execFileSync(
    process.execPath,
    ['scripts/package-agent.mjs', '--fast', '--arch', process.arch, kinds === 'deb' ? '--no-rpm' : '--no-deb'],
    {
      cwd: ROOT,
      env: { ...process.env, FLEETDECK_PACKAGE_RELEASE: release, FLEETDECK_PACKAGE_OUT: outDir },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return [...out.matchAll(/^agent package: (\S+)/gm)].map((m) => m[1] as string);
}

export const STANDALONE_MASTER_DIR = join(ROOT, 'out/master');

/** The standalone master (scripts/build-master.mjs), rebuilt when older than the build it bundles. */
export function ensureStandaloneMaster(): string {
  ensureStandaloneAgent();
  const exe = join(STANDALONE_MASTER_DIR, 'fleetdeck');
  const built = join(ROOT, 'out/main/headless.js');
  buildOnce(
    'standalone-master',
    () => existsSync(exe) && statSync(exe).mtimeMs >= statSync(built).mtimeMs,
    () => execFileSync(process.execPath, ['scripts/build-master.mjs'], { cwd: ROOT, stdio: 'ignore' }),
  );
  return exe;
}

/** The master's .deb, built into `outDir`. */
export function buildMasterPackage(outDir: string): string {
  const out = execFileSync(process.execPath, ['scripts/package-master.mjs', '--fast'], {
    cwd: ROOT,
    env: { ...process.env, FLEETDECK_PACKAGE_OUT: outDir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (/^master package: (\S+)/m.exec(out) as RegExpExecArray)[1] as string;
}
