// The packages' systemd units are valid to systemd itself (systemd-analyze verify: every key known,
// every value parsed), and carry the hardening docs/install.md promises: the agent's own-user limits
// (lifted by the --run-as-root drop-in) and the master's strict ones.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '../helpers/packages.js';
import { ROOT } from '../helpers/processes.js';
import { serviceAvailable } from '../helpers/services.js';

const AGENT_UNIT = join(ROOT, 'packaging/agent/fleetdeck-agent.service');
const MASTER_UNIT = join(ROOT, 'packaging/master/fleetdeck.service');
const settings = (file: string) =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^[A-Za-z]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('package units', () => {
  it.runIf(serviceAvailable('systemd-analyze', hasCommand('systemd-analyze'), 'apt-get install systemd'))(
    'pass systemd-analyze verify (only the programs, not installed here, are missing)',
    () => {
      const run = spawnSync('systemd-analyze', ['verify', AGENT_UNIT, MASTER_UNIT], { encoding: 'utf8' });
      const complaints = `${run.stdout}${run.stderr}`
        .split('\n')
        .filter((l) => l.trim() !== '' && !/is not executable: No such file or directory/.test(l));
      expect(complaints).toEqual([]);
    },
  );

  it('runs the agent as its own user, hardened; the root drop-in lifts what would hold root back', () => {
    const agent = settings(AGENT_UNIT);
    expect(agent).toMatchObject({
      User: 'fleetdeck-agent',
      NoNewPrivileges: 'yes',
      ProtectSystem: 'full',
      PrivateTmp: 'yes',
      Restart: 'always',
    });
    expect(agent.ProtectHome).toBeUndefined();
    const root = settings(join(ROOT, 'packaging/agent/root.conf'));
    expect(root).toMatchObject({ User: 'root', NoNewPrivileges: 'no', ProtectSystem: 'no', PrivateTmp: 'no' });
  });

  it('runs the master strictly: only its data directory writable', () => {
    expect(settings(MASTER_UNIT)).toMatchObject({
      User: 'fleetdeck',
      ProtectSystem: 'strict',
      ReadWritePaths: '/var/lib/fleetdeck',
      NoNewPrivileges: 'yes',
      ProtectHome: 'yes',
    });
  });
});
