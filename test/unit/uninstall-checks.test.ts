// The shell text uninstall runs over SSH, run here with the system's sh (dash on Debian) against a
// real process started from a throwaway install directory: what is left is found, and killed.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type HostFactsOverSsh,
  killLeftoversCommand,
  LEFT_OVER,
  layoutFor,
  leftoverProcessesCommand,
  rollbackCommand,
  startCommand,
  stopCommand,
  swapCommand,
  verifyRemovedCommand,
} from '../../main/core/bootstrap/remote-layout.js';
import { pidAlive, tempDir, waitFor } from '../helpers/processes.js';

const facts: HostFactsOverSsh = {
  os: 'Linux',
  arch: 'x86_64',
  uid: 1000,
  home: tempDir('fleetdeck-home-'),
  node: 'v20.0.0',
  systemd: false,
  crontab: false,
  sudo: false,
};
// HOME is the fake host's home: the checks look for files under $HOME, and the real one may hold an
// SSH test's install record.
const sh = (command: string) =>
  execFileSync('sh', ['-c', command], { encoding: 'utf8', env: { ...process.env, HOME: facts.home } });

describe('uninstall checks on the host', () => {
  it('finds a process still running from the install directory, kills it, and reports files left', async () => {
    // A dot in the path must not act as a regex wildcard.
    const layout = layoutFor(facts, join(tempDir('fleetdeck-uninstall-'), 'agent.d'));
    mkdirSync(layout.dir, { recursive: true });
    writeFileSync(layout.runScript, '#!/bin/sh\nwhile true; do sleep 1; done\n', { mode: 0o700 });
    const stray = spawn(layout.runScript, [], { stdio: 'ignore', detached: true });
    await waitFor(() => sh(leftoverProcessesCommand(layout)).includes(LEFT_OVER.process), 'the stray to be seen');
    expect(sh(leftoverProcessesCommand(layout))).toContain(layout.runScript);
    expect(sh(verifyRemovedCommand(layout, facts))).toContain(`${LEFT_OVER.files} ${layout.dir}`);

    sh(killLeftoversCommand(layout));
    await waitFor(() => !pidAlive(stray.pid as number), 'the stray to exit');
    expect(sh(leftoverProcessesCommand(layout))).toBe('');
    rmSync(layout.dir, { recursive: true });
    expect(sh(verifyRemovedCommand(layout, facts))).toBe('');
  });

  it('stop takes the supervisor and its agent down under dash (a login shell of /bin/sh), not the supervisor alone', async () => {
    const layout = layoutFor(facts, join(tempDir('fleetdeck-uninstall-'), 'agent'));
    mkdirSync(layout.dir, { recursive: true });
    // The supervisor as installed, with a copy of sleep standing in for the agent it restarts.
    const standIn = join(layout.dir, 'agent-stand-in');
    copyFileSync('/bin/sleep', standIn);
    chmodSync(standIn, 0o755);
    writeFileSync(layout.runScript, `#!/bin/sh\nwhile true; do ${standIn} 30; sleep 1; done\n`, { mode: 0o700 });
    execFileSync('/bin/sh', ['-c', startCommand(layout, facts)]);
    await waitFor(() => sh(leftoverProcessesCommand(layout)).includes(`${standIn} 30`), 'the stand-in agent to start');
    execFileSync('/bin/sh', ['-c', stopCommand(layout, facts)]);
    await waitFor(() => sh(leftoverProcessesCommand(layout)) === '', 'the supervisor and its agent to exit', 5_000);
  });

  it('does not match a process of a sibling directory whose name only starts the same', async () => {
    const layout = layoutFor(facts, join(tempDir('fleetdeck-uninstall-'), 'agent'));
    const other = layoutFor(facts, `${layout.dir}-other`);
    mkdirSync(other.dir, { recursive: true });
    writeFileSync(other.runScript, '#!/bin/sh\nwhile true; do sleep 1; done\n', { mode: 0o700 });
    const sibling = spawn(other.runScript, [], { stdio: 'ignore' });
    try {
      await waitFor(() => sh(leftoverProcessesCommand(other)).includes(other.runScript), 'the sibling to run');
      expect(sh(leftoverProcessesCommand(layout))).toBe('');
    } finally {
      sibling.kill('SIGKILL');
    }
  });
});

describe('SSH upgrade swap and rollback on the host', () => {
  // The rollback used to restore `<bundle>.prev`, which a standalone install never has: the failed
  // upgrade then stayed in place. Run for real with sh, for both kinds of install.
  it.each([false, true])('puts the previous agent back (standalone: %s)', (standalone) => {
    const layout = layoutFor(facts, join(tempDir('fleetdeck-upgrade-'), 'agent'), standalone);
    mkdirSync(layout.dir, { recursive: true });
    writeFileSync(layout.program, 'working agent\n');
    writeFileSync(`${layout.program}.new`, 'broken agent\n');
    sh(swapCommand(layout));
    expect(readFileSync(layout.program, 'utf8')).toBe('broken agent\n');
    sh(rollbackCommand(layout));
    expect(readFileSync(layout.program, 'utf8')).toBe('working agent\n');
    expect(existsSync(`${layout.program}.prev`)).toBe(false);
  });
});
