// The installer configuration cannot be exercised here (no Electron binary), so its contract with the
// build is checked instead: what it packages exists after `npm run build`, the agent bundle ships in the
// resources where the master looks for it, native modules are rebuilt only while packaging.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { layoutFor, systemdUnit } from '../../main/core/bootstrap/remote-layout.js';
import { resourcePath } from '../../main/core/paths.js';
import { ROOT } from '../helpers/processes.js';

const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as {
  files: string[];
  extraResources: Array<{ from: string; to: string }>;
  npmRebuild: boolean;
  directories: { buildResources: string };
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
    // One folder for what packaging and installs read: icons and the service unit templates.
    expect(config.directories.buildResources).toBe('resources');
    expect(config.linux.icon.startsWith('resources/')).toBe(true);
  });

  it('ships the unit templates where the master finds them, and the bootstrap installs the template', () => {
    const units = config.extraResources.find((r) => r.to === 'units');
    expect(units?.from).toBe('resources/units');
    expect(resourcePath('units/fleetdeck-agent.service')).toBe(join(ROOT, 'resources/units/fleetdeck-agent.service'));
    const layout = layoutFor({
      os: 'Linux',
      arch: 'x86_64',
      uid: 1000,
      home: '/home/ops',
      node: 'v20.19.0',
      systemd: true,
      crontab: true,
      sudo: false,
    });
    const unit = systemdUnit(layout, false);
    expect(unit.startsWith('[Unit]\nDescription=FleetDeck agent\n')).toBe(true);
    expect(unit).toContain(`ExecStart=/usr/bin/env node ${layout.bundle} --config ${layout.config}\n`);
    expect(unit).toContain('WantedBy=default.target');
    expect(unit).not.toMatch(/\{\{|^#/m);
    expect(systemdUnit(layout, true)).toContain('WantedBy=multi-user.target');
  });

  it('packages the built app and ships the agent bundle where the master looks for it', () => {
    expect(existsSync(join(ROOT, pkg.main))).toBe(true);
    expect(config.files).toEqual(expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**']));
    expect(config.extraResources.map((r) => r.to)).toEqual([
      'agent/fleetdeck-agent.cjs',
      'agent/fleetdeck-agent-linux-x64',
      'agent/fleetdeck-agent-linux-arm64',
      'units',
      'install',
    ]);
    expect(pkg.scripts.dist).toMatch(/build-sea\.mjs --arch x64 && node scripts\/build-sea\.mjs --arch arm64/);
    const agent = config.extraResources.find((r) => r.to === 'agent/fleetdeck-agent.cjs');
    expect(agent && existsSync(join(ROOT, agent.from))).toBe(true);
    expect(readFileSync(join(ROOT, 'main/core/master.ts'), 'utf8')).toContain(
      "join(resources, 'agent/fleetdeck-agent.cjs')",
    );
    // The one-line install script the gateway serves is read from resources/install/ when packaged.
    const install = config.extraResources.find((r) => r.to === 'install');
    expect(install && existsSync(join(ROOT, install.from, 'install.sh'))).toBe(true);
    expect(readFileSync(join(ROOT, 'main/core/enroll/install-script.ts'), 'utf8')).toContain(
      "resourcePath('install/install.sh')",
    );
  });

  it('rebuilds native modules for Electron only while packaging, never on install', () => {
    expect(config.npmRebuild).toBe(true);
    expect(pkg.scripts.postinstall ?? '').not.toMatch(/electron-rebuild|electron-builder/);
    expect(pkg.scripts.dist).toMatch(/electron-builder@\d+\.\d+\.\d+ --config electron-builder\.yml/);
  });
});
