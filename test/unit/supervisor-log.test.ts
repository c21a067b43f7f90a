// The agent package's supervisor (packaging/agent/supervise.sh, for hosts without systemd) keeps the
// agent's output under its cap: LOG never grows past MAX_BYTES, the previous file is LOG.1, a line
// longer than the cap is replaced by a note, and the command runs again after it exits.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, tempDir, waitFor } from '../helpers/processes.js';

const SUPERVISE = join(ROOT, 'packaging/agent/supervise.sh');
let group: number | null = null;
/** A file's text, '' while it is missing (between a rotation's rename and the next line). */
const text = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

afterEach(() => {
  if (group) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {}
  }
  group = null;
});

describe('supervisor log cap', () => {
  it('rotates at the cap, keeps one older file, and restarts the command', async () => {
    const dir = tempDir('fleetdeck-supervise-');
    const log = join(dir, 'agent.log');
    const runs = join(dir, 'runs');
    const max = 4096;
    // 300 numbered 40-byte lines (12 kB: two rotations), one line longer than the cap, then a marker.
    const program = `echo run >>'${runs}'; i=0; while [ $i -lt 300 ]; do printf 'line %05d %s\\n' $i 0123456789012345678901234567; i=$((i + 1)); done; head -c 5000 /dev/zero | tr '\\0' x; echo; echo "last-line $(wc -l <'${runs}')"`;
    const child = spawn('setsid', ['sh', SUPERVISE, log, String(max), 'sh', '-c', program], { stdio: 'ignore' });
    group = child.pid ?? null;
    await waitFor(() => text(log).includes('last-line 1'), 'the first run logged', 15_000);
    const size = statSync(log).size;
    expect(size).toBeLessThanOrEqual(max);
    expect(statSync(`${log}.1`).size).toBeLessThanOrEqual(max);
    const both = text(log) + text(`${log}.1`);
    expect(both).toContain('[fleetdeck supervisor: a line of 5001 bytes was left out]');
    expect(both).not.toContain('xxxxxxxxxx');
    // Every line whole: rotation happens between lines.
    for (const line of both.trim().split('\n'))
      expect(line).toMatch(/^(line \d{5} \d+|\[fleetdeck supervisor.*|last-line \d|fleetdeck supervisor: .*)$/);
    // It starts the command again 5 s after it exits, and the cap still holds.
    await waitFor(() => text(log).includes('last-line 2'), 'the second run logged', 15_000);
    expect(statSync(log).size).toBeLessThanOrEqual(max);
    expect(statSync(`${log}.1`).size).toBeLessThanOrEqual(max);
  }, 40_000);
});
