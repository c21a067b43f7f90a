// `fleetdeck master` refuses a timing flag that is not a whole number in range, naming the flag, before
// it opens anything (bare Number() once turned "abc" into NaN: a heartbeat of the default, a NaN grace
// window and retention).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MASTER_ENTRY, Proc, requireBuild, tempDir } from '../helpers/processes.js';

async function masterWith(args: string[]) {
  requireBuild();
  const child = spawn(
    process.execPath,
    [
      MASTER_ENTRY,
      'master',
      '--data-dir',
      tempDir(),
      '--agent-listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      ...args,
    ],
    { env: { ...process.env, FLEETDECK_ADMIN_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const proc = new Proc(child);
  // A master that accepted the flag would run until stopped: stop it once it says it is ready.
  const stopWhenReady = () => {
    if (proc.count(/"msg":"master ready"/) > 0) void proc.stop();
  };
  child.stdout.on('data', stopWhenReady);
  child.stderr.on('data', stopWhenReady);
  const { code } = await proc.exited;
  return { code, output: proc.lines.join('\n') };
}

describe('master timing flags', () => {
  for (const [flag, range] of [
    ['--heartbeat-sec', '1 to 300'],
    ['--restart-grace-sec', '0 to 86400'],
    ['--command-retention-days', '1 to 36500'],
  ] as const) {
    it(`${flag} abc is refused with the flag's name and range`, async () => {
      const { code, output } = await masterWith([flag, 'abc']);
      expect(output).toContain(`fleetdeck: ${flag} must be a whole number from ${range} (got "abc").`);
      expect(code).toBe(2);
    });
  }

  it('refuses a fraction and a value out of range too', async () => {
    expect((await masterWith(['--heartbeat-sec', '1.5'])).output).toContain('--heartbeat-sec must be a whole number');
    expect((await masterWith(['--command-retention-days', '0'])).output).toContain(
      '--command-retention-days must be a whole number from 1 to 36500 (got "0").',
    );
  });
});
