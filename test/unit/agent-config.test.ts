import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, fromEnv, fromFile, normalizeFingerprint, resolveConfig } from '../../agent/config.js';
import { AGENT_BUNDLE, requireBuild, tempDir } from '../helpers/processes.js';

const FP = `sha256:${'ab'.repeat(32)}`;

describe('agent config precedence', () => {
  it('merges CLI > file > env > defaults field by field', () => {
    const { config, sources } = resolveConfig({
      cli: { masters: ['wss://cli:7443'] },
      file: { masters: ['wss://file:7443'], token: 'from-file', exec: false },
      env: { masters: ['wss://env:7443'], token: 'from-env', stateDir: '/env/state', exec: true },
    });
    expect(config.masters).toEqual(['wss://cli:7443']);
    expect(config.token).toBe('from-file');
    expect(config.exec).toBe(false);
    expect(config.stateDir).toBe('/env/state');
    expect(config.backoffMaxMs).toBe(60_000);
    expect(sources).toMatchObject({
      masters: 'cli',
      token: 'file',
      exec: 'file',
      stateDir: 'env',
      backoffMaxMs: 'default',
    });
  });

  it('samples every 2 s by default, 1 to 60 s when set, and excludes virtual interfaces', () => {
    const base = { masters: ['wss://m:7443'], token: 't' };
    const { config } = resolveConfig({ cli: {}, file: {}, env: base });
    expect(config.metricsIntervalSec).toBe(2);
    expect(config.netExclude).toContain('veth*');
    const env = fromEnv({ FLEETDECK_METRICS_INTERVAL_SEC: '5', FLEETDECK_NET_INCLUDE: 'eth0, wg0' });
    expect(env).toMatchObject({ metricsIntervalSec: 5, netInclude: ['eth0', 'wg0'] });
    expect(() => resolveConfig({ cli: { metricsIntervalSec: 0 }, file: {}, env: base })).toThrow(
      /metricsIntervalSec is 1 to 60 seconds/,
    );
    expect(() => resolveConfig({ cli: { metricsIntervalSec: 61 }, file: {}, env: base })).toThrow(ConfigError);
  });

  it('reads FLEETDECK_* variables, with clear errors for bad values', () => {
    expect(fromEnv({ FLEETDECK_MASTER: 'wss://a:1, wss://b:2', FLEETDECK_EXEC: 'false' })).toEqual({
      masters: ['wss://a:1', 'wss://b:2'],
      exec: false,
    });
    expect(() => fromEnv({ FLEETDECK_FILES: 'maybe' })).toThrow(/FLEETDECK_FILES="maybe" is not a boolean/);
  });

  it('reads YAML and JSON config files and refuses unknown keys', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), 'master: wss://y:7443\nroots: [/srv]\nfiles: false\n');
    expect(fromFile(join(dir, 'a.yaml'))).toEqual({ masters: ['wss://y:7443'], roots: ['/srv'], files: false });
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ master: ['wss://j:1'], tokn: 'typo' }));
    expect(() => fromFile(join(dir, 'b.json'))).toThrow(/Unrecognized key.*tokn/i);
  });

  it('refuses plain ws:// unless asked, a missing token, and malformed fingerprints', () => {
    const base = { masters: ['ws://m:7443'], token: 't' };
    expect(() => resolveConfig({ cli: base, file: {}, env: {} })).toThrow(/insecure-plain-ws/);
    expect(resolveConfig({ cli: { ...base, insecurePlainWs: true }, file: {}, env: {} }).config.masters).toEqual([
      'ws://m:7443',
    ]);
    expect(() => resolveConfig({ cli: { masters: ['wss://m:1'] }, file: {}, env: {} })).toThrow(/a token is needed/);
    expect(() => normalizeFingerprint('sha256:xyz')).toThrow(ConfigError);
    expect(normalizeFingerprint(`SHA256:${'AB:'.repeat(31)}AB`)).toBe(FP);
  });

  it('the agent binary applies the same precedence and never prints the token', () => {
    requireBuild();
    const dir = tempDir();
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, `master: wss://file:7443\ntoken: secret-from-file\nstateDir: ${dir}/file-state\nexec: false\n`);
    const out = execFileSync(
      process.execPath,
      [AGENT_BUNDLE, '--config', file, '--exec', '--master', 'wss://cli:7443', '--print-config'],
      {
        env: {
          PATH: process.env.PATH,
          FLEETDECK_STATE_DIR: '/env-state',
          FLEETDECK_LOG_LEVEL: 'debug',
          FLEETDECK_CA_FINGERPRINT: FP,
        },
        encoding: 'utf8',
      },
    );
    const printed = JSON.parse(out);
    expect(printed).toMatchObject({
      masters: ['wss://cli:7443'],
      stateDir: `${dir}/file-state`,
      logLevel: 'debug',
      caFingerprint: [FP],
      token: '[redacted]',
    });
    expect(printed.sources).toMatchObject({ masters: 'cli', stateDir: 'file', logLevel: 'env', token: 'file' });
    expect(out).not.toContain('secret-from-file');
  });

  it('the agent binary explains a bad setting and exits 2', () => {
    requireBuild();
    const result = spawnSync(process.execPath, [AGENT_BUNDLE, '--master', 'wss://m:1'], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/a token is needed/);
  });
});
