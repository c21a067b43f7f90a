// The agent's .rpm: built with rpmbuild on this Debian machine (no rpm-based host to install it on),
// then read back with rpm -qip / -qlp / --scripts: its metadata, the files it installs and the
// scriptlets (user, directories, service on install; stop on erase; restart on upgrade).
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAgentPackages, ensureStandaloneAgent, hasCommand } from '../helpers/packages.js';
import { requireBuild, tempDir } from '../helpers/processes.js';
import { serviceAvailable } from '../helpers/services.js';

const canBuild = () =>
  serviceAvailable('rpmbuild', hasCommand('rpmbuild') && hasCommand('rpm'), 'install it with "apt-get install rpm"');

describe.runIf(canBuild())('the agent .rpm', () => {
  let file: string;
  const rpm = (...args: string[]) => execFileSync('rpm', [...args, file], { encoding: 'utf8' });

  beforeAll(() => {
    requireBuild();
    ensureStandaloneAgent();
    [file] = buildAgentPackages(tempDir('fleetdeck-rpms-'), 'rpm') as [string];
  }, 120_000);

  it('names the package, its architecture and what it does', () => {
    const info = rpm('-qip');
    expect(info).toMatch(/^Name\s*: fleetdeck-agent$/m);
    expect(info).toMatch(/^Architecture: (x86_64|aarch64)$/m);
    expect(info).toMatch(/^License\s*: MIT$/m);
    expect(info).toContain('runs under systemd, or its own supervisor without it');
  });

  it('installs the standalone agent, its scripts and the unit, and nothing in /etc', () => {
    const files = rpm('-qlp').trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        '/opt/fleetdeck-agent/bin/fleetdeck-agent',
        '/opt/fleetdeck-agent/bin/fleetdeck-agent-service',
        '/opt/fleetdeck-agent/bin/fleetdeck-agent-setup',
        '/opt/fleetdeck-agent/lib/supervise.sh',
        '/opt/fleetdeck-agent/lib/root.conf',
        '/usr/lib/systemd/system/fleetdeck-agent.service',
      ]),
    );
    // The configuration is written by fleetdeck-agent-setup, so an upgrade never asks about it.
    expect(files.filter((f) => f.startsWith('/etc/'))).toEqual([]);
    const modes = execFileSync('rpm', ['-qp', '--queryformat', '[%{FILEMODES:perms} %{FILENAMES}\\n]', file], {
      encoding: 'utf8',
    });
    expect(modes).toMatch(/^-rwxr-xr-x \/opt\/fleetdeck-agent\/bin\/fleetdeck-agent$/m);
    expect(modes).toMatch(/^-rw-r--r-- \/usr\/lib\/systemd\/system\/fleetdeck-agent\.service$/m);
  });

  it('creates the user before install, stops on erase and restarts on upgrade', () => {
    const scripts = rpm('-qp', '--scripts');
    const part = (name: string) => scripts.split(/^(?=\S+ scriptlet)/m).find((s) => s.startsWith(name)) ?? '';
    expect(part('preinstall')).toMatch(/add_user\s*$/m);
    expect(part('preinstall')).toContain('useradd --system --user-group');
    expect(part('postinstall')).toMatch(/if \[ "\$1" -eq 1 \]; then configured/);
    expect(part('preuninstall')).toMatch(/if \[ "\$1" -eq 0 \]; then\s+stop_agent/);
    expect(part('postuninstall')).toMatch(/if \[ "\$1" -ge 1 \]; then[\s\S]*"\$SERVICE" restart/);
  });
});
