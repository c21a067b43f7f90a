// Builds the master's .deb from the standalone master (scripts/build-master.mjs, out/master): the
// executable and what it reads in /opt/fleetdeck, /usr/bin/fleetdeck, the unit (system user
// `fleetdeck`, data in /var/lib/fleetdeck), settings in /etc/fleetdeck/master.env (a conffile).
// Into dist/ (FLEETDECK_PACKAGE_OUT), version from package.json (FLEETDECK_PACKAGE_VERSION,
// FLEETDECK_PACKAGE_RELEASE), --fast compresses least (the tests' package).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const SRC = 'packaging/master';
const OUT = process.env.FLEETDECK_PACKAGE_OUT ?? 'dist';
const FAST = process.argv.includes('--fast');
const version = process.env.FLEETDECK_PACKAGE_VERSION ?? JSON.parse(readFileSync('package.json', 'utf8')).version;
const release = process.env.FLEETDECK_PACKAGE_RELEASE ?? '1';
if (!/^[0-9][0-9A-Za-z.+~]*$/.test(version) || !/^[0-9][0-9A-Za-z.]*$/.test(release)) {
  console.error(`not a package version: ${version}-${release}`);
  process.exit(2);
}
if (!existsSync('out/master/fleetdeck')) {
  console.error('out/master/fleetdeck is missing: run node scripts/build-master.mjs (or npm run dist:master)');
  process.exit(2);
}
// The executable is this machine's Node: the package is for this architecture.
const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
const common = readFileSync(join(SRC, 'scripts/common.sh'), 'utf8');
const root = join(OUT, 'deb-master');
rmSync(root, { recursive: true, force: true });
mkdirSync(join(root, 'opt'), { recursive: true });
cpSync('out/master', join(root, 'opt/fleetdeck'), { recursive: true });
mkdirSync(join(root, 'usr/bin'), { recursive: true });
symlinkSync('/opt/fleetdeck/fleetdeck', join(root, 'usr/bin/fleetdeck'));
const file = (from, to, mode) => {
  mkdirSync(join(root, to, '..'), { recursive: true });
  copyFileSync(from, join(root, to));
  chmodSync(join(root, to), mode);
};
file(join(SRC, 'fleetdeck.service'), 'usr/lib/systemd/system/fleetdeck.service', 0o644);
file(join(SRC, 'master.env'), 'etc/fleetdeck/master.env', 0o640);
mkdirSync(join(root, 'usr/share/doc/fleetdeck'), { recursive: true });
writeFileSync(join(root, 'usr/share/doc/fleetdeck/copyright'), 'FleetDeck. License: MIT.\n');
mkdirSync(join(root, 'DEBIAN'));
const kib = Math.ceil(Number(execFileSync('du', ['-sk', root], { encoding: 'utf8' }).split('\t')[0]));
writeFileSync(
  join(root, 'DEBIAN/control'),
  [
    'Package: fleetdeck',
    `Version: ${version}-${release}`,
    `Architecture: ${arch}`,
    'Maintainer: FleetDeck <fleetdeck@example.invalid>',
    `Installed-Size: ${kib}`,
    'Depends: passwd, util-linux',
    'Section: admin',
    'Priority: optional',
    'Description: FleetDeck master (standalone, no Node.js or compiler needed)',
    ' The headless FleetDeck master: agent gateway, admin UI and REST API, on SQLite or MariaDB.',
    '',
  ].join('\n'),
);
writeFileSync(join(root, 'DEBIAN/conffiles'), '/etc/fleetdeck/master.env\n');
for (const name of ['postinst', 'prerm', 'postrm']) {
  const body = readFileSync(join(SRC, 'scripts', `deb-${name}`), 'utf8');
  writeFileSync(join(root, 'DEBIAN', name), `#!/bin/sh\nset -e\n${common}\n${body}`, { mode: 0o755 });
}
const deb = join(OUT, `fleetdeck_${version}-${release}_${arch}.deb`);
execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', FAST ? '-z1' : '-z9', '--build', root, deb], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
rmSync(root, { recursive: true, force: true });
console.log(`master package: ${deb} (${(statSync(deb).size / 1e6).toFixed(1)} MB)`);
