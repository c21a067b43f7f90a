// The installer configuration cannot be exercised here (no Electron binary), so its contract with the
// build is checked instead: what it packages exists after `npm run build`, the agent bundle ships in the
// resources where the master looks for it, native modules are rebuilt only while packaging.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/processes.js';

const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as {
  files: string[];
  extraResources: Array<{ from: string; to: string }>;
  npmRebuild: boolean;
  linux: { target: string[]; icon: string };
  win: { target: string };
  mac: { target: string };
};
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
};

describe('installer configuration', () => {
  it('builds AppImage, deb, NSIS and dmg with an icon', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toBe('nsis');
    expect(config.mac.target).toBe('dmg');
    expect(existsSync(join(ROOT, config.linux.icon))).toBe(true);
  });

  it('packages the built app and ships the agent bundle where the master looks for it', () => {
    expect(existsSync(join(ROOT, pkg.main))).toBe(true);
    expect(config.files).toEqual(expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**']));
    expect(config.extraResources.map((r) => r.to)).toEqual([
      'agent/fleetdeck-agent.cjs',
      'agent/fleetdeck-agent-linux-x64',
      'agent/fleetdeck-agent-linux-arm64',
    ]);
    expect(pkg.scripts.dist).toMatch(/build-sea\.mjs --arch x64 && node scripts\/build-sea\.mjs --arch arm64/);
    const agent = config.extraResources.find((r) => r.to === 'agent/fleetdeck-agent.cjs');
    expect(agent && existsSync(join(ROOT, agent.from))).toBe(true);
    expect(readFileSync(join(ROOT, 'main/core/master.ts'), 'utf8')).toContain(
      "join(resources, 'agent/fleetdeck-agent.cjs')",
    );
  });

  it('rebuilds native modules for Electron only while packaging, never on install', () => {
    expect(config.npmRebuild).toBe(true);
    expect(pkg.scripts.postinstall ?? '').not.toMatch(/electron-rebuild|electron-builder/);
    expect(pkg.scripts.dist).toMatch(/electron-builder@\d+\.\d+\.\d+ --config electron-builder\.yml/);
  });
});
