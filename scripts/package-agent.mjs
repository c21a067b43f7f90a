// Builds the agent packages from the standalone agent (scripts/build-sea.mjs): a .deb (dpkg-deb) and
// an .rpm (rpmbuild) per built architecture, into dist/. `npm run dist:agent` builds the bundle and
// this machine's standalone agent first. FLEETDECK_PACKAGE_VERSION overrides the version (default:
// package.json's), FLEETDECK_PACKAGE_RELEASE the package release (default 1). --arch x64|arm64
// (default: every standalone agent in out/agent), --no-rpm and --no-deb skip one, --fast compresses
// least (the tests' packages: seconds instead of half a minute).
// Layout (docs/install.md, "Agent packages"): /opt/fleetdeck-agent/{bin,lib,share}, the unit in
// /usr/lib/systemd/system, config and service settings in /etc/fleetdeck-agent (written by
// fleetdeck-agent-setup, so no conffile the package would ask about on upgrade), state in
// /var/lib/fleetdeck-agent, supervisor logs in /var/log/fleetdeck-agent.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const SRC = 'packaging/agent';
const OUT = process.env.FLEETDECK_PACKAGE_OUT ?? 'dist';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const version = process.env.FLEETDECK_PACKAGE_VERSION ?? pkg.version;
const release = process.env.FLEETDECK_PACKAGE_RELEASE ?? '1';
if (!/^[0-9][0-9A-Za-z.+~]*$/.test(version) || !/^[0-9][0-9A-Za-z.]*$/.test(release)) {
  console.error(`not a package version: ${version}-${release}`);
  process.exit(2);
}
const argArch = process.argv.includes('--arch') ? process.argv[process.argv.indexOf('--arch') + 1] : null;
const arches = (argArch ? [argArch] : ['x64', 'arm64']).filter((a) =>
  existsSync(`out/agent/fleetdeck-agent-linux-${a}`),
);
if (arches.length === 0) {
  console.error('no standalone agent in out/agent: run npm run dist:agent (or node scripts/build-sea.mjs) first');
  process.exit(2);
}
const FAST = process.argv.includes('--fast');
const DEB_ARCH = { x64: 'amd64', arm64: 'arm64' };
const RPM_ARCH = { x64: 'x86_64', arm64: 'aarch64' };
const DESCRIPTION = 'FleetDeck agent (standalone, no Node.js needed)';
const common = readFileSync(join(SRC, 'scripts/common.sh'), 'utf8');
const script = (name) => `#!/bin/sh\nset -e\n${common}\n${readFileSync(join(SRC, 'scripts', name), 'utf8')}`;

/** The installed files under `root`: what both package formats ship. */
function stage(root, arch) {
  rmSync(root, { recursive: true, force: true });
  const file = (from, to, mode) => {
    mkdirSync(join(root, to, '..'), { recursive: true });
    copyFileSync(from, join(root, to));
    chmodSync(join(root, to), mode);
  };
  file(`out/agent/fleetdeck-agent-linux-${arch}`, 'opt/fleetdeck-agent/bin/fleetdeck-agent', 0o755);
  file(join(SRC, 'fleetdeck-agent-service'), 'opt/fleetdeck-agent/bin/fleetdeck-agent-service', 0o755);
  file(join(SRC, 'fleetdeck-agent-setup'), 'opt/fleetdeck-agent/bin/fleetdeck-agent-setup', 0o755);
  file(join(SRC, 'supervise.sh'), 'opt/fleetdeck-agent/lib/supervise.sh', 0o755);
  file(join(SRC, 'root.conf'), 'opt/fleetdeck-agent/lib/root.conf', 0o644);
  file(join(SRC, 'fleetdeck-agent.service'), 'usr/lib/systemd/system/fleetdeck-agent.service', 0o644);
  mkdirSync(join(root, 'usr/share/doc/fleetdeck-agent'), { recursive: true });
  writeFileSync(join(root, 'usr/share/doc/fleetdeck-agent/copyright'), 'FleetDeck agent. License: MIT.\n', {
    mode: 0o644,
  });
}

function deb(arch) {
  const root = join(OUT, `deb-agent-${arch}`);
  stage(root, arch);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  const kib = Math.ceil(Number(execFileSync('du', ['-sk', root], { encoding: 'utf8' }).split('\t')[0]));
  writeFileSync(
    join(root, 'DEBIAN/control'),
    [
      'Package: fleetdeck-agent',
      `Version: ${version}-${release}`,
      `Architecture: ${DEB_ARCH[arch]}`,
      'Maintainer: FleetDeck <fleetdeck@example.invalid>',
      `Installed-Size: ${kib}`,
      'Depends: passwd, util-linux',
      'Section: admin',
      'Priority: optional',
      'Homepage: https://github.com/fleetdeck/fleetdeck',
      `Description: ${DESCRIPTION}`,
      ' Connects this host to a FleetDeck master over pinned TLS: commands, files, metrics, terminals.',
      ' Enroll with fleetdeck-agent-setup; runs under systemd, or its own supervisor without it.',
      '',
    ].join('\n'),
  );
  for (const name of ['postinst', 'prerm', 'postrm']) {
    writeFileSync(join(root, 'DEBIAN', name), script(`deb-${name}`), { mode: 0o755 });
  }
  const file = join(OUT, `fleetdeck-agent_${version}-${release}_${DEB_ARCH[arch]}.deb`);
  // -Zgzip: readable by every dpkg (zstd only from Debian 12 / Ubuntu 21.10).
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', FAST ? '-z1' : '-z9', '--build', root, file], {
    stdio: 'inherit',
  });
  rmSync(root, { recursive: true, force: true });
  return file;
}

function rpm(arch) {
  const top = join(resolve(OUT), `rpm-agent-${arch}`);
  rmSync(top, { recursive: true, force: true });
  const tree = join(top, 'tree');
  stage(tree, arch);
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  const scriptlet = (name) => `${common}\n${readFileSync(join(SRC, 'scripts', name), 'utf8')}`;
  const spec = `Name: fleetdeck-agent
Version: ${version.replaceAll('-', '~')}
Release: ${release}
Summary: ${DESCRIPTION}
License: MIT
BuildArch: ${RPM_ARCH[arch]}
Requires: shadow-utils, util-linux
AutoReqProv: no
%global __strip /bin/true
%global _build_id_links none
%global debug_package %{nil}
%global __os_install_post %{nil}

%description
Connects this host to a FleetDeck master over pinned TLS: commands, files, metrics, terminals.
Enroll with fleetdeck-agent-setup; runs under systemd, or its own supervisor without it.

%install
mkdir -p %{buildroot}
cp -a ${tree}/. %{buildroot}/

%pre
${scriptlet('rpm-pre')}
%post
${scriptlet('rpm-post')}
%preun
${scriptlet('rpm-preun')}
%postun
${scriptlet('rpm-postun')}

%files
%dir /opt/fleetdeck-agent
/opt/fleetdeck-agent/bin
/opt/fleetdeck-agent/lib
/usr/lib/systemd/system/fleetdeck-agent.service
%doc /usr/share/doc/fleetdeck-agent/copyright
`;
  writeFileSync(join(top, 'SPECS/fleetdeck-agent.spec'), spec);
  execFileSync(
    'rpmbuild',
    [
      '-bb',
      '--define',
      `_topdir ${top}`,
      '--define',
      `_binary_payload w${FAST ? 1 : 9}.gzdio`,
      '--target',
      RPM_ARCH[arch],
      join(top, 'SPECS/fleetdeck-agent.spec'),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const name = `fleetdeck-agent-${version.replaceAll('-', '~')}-${release}.${RPM_ARCH[arch]}.rpm`;
  const file = join(OUT, name);
  copyFileSync(join(top, 'RPMS', RPM_ARCH[arch], name), file);
  rmSync(top, { recursive: true, force: true });
  return file;
}

mkdirSync(OUT, { recursive: true });
for (const arch of arches) {
  const files = [];
  if (!process.argv.includes('--no-deb')) files.push(deb(arch));
  if (!process.argv.includes('--no-rpm')) files.push(rpm(arch));
  for (const f of files) console.log(`agent package: ${f} (${(statSync(f).size / 1e6).toFixed(1)} MB)`);
}
