// Builds the standalone master (`fleetdeck master` without Node.js, a checkout or a compiler) into
// out/master/: `fleetdeck`, a Node single-executable application of the headless entry bundled by
// esbuild, and beside it what it reads at run time — better_sqlite3.node (native modules cannot live
// inside the executable), renderer/ (the UI), agent/ (the agent files it serves and offers), units/
// and install/ (resources). The executable takes that directory as its resources directory
// (process.resourcesPath), the way the packaged desktop app does. Run after `npm run build` (and
// scripts/build-sea.mjs for the standalone agents it serves); `npm run dist:master` does all of it.
// Same Node binary as the one running this (the SEA blob and the native module belong to it), so
// build on the architecture you ship; the native module is this checkout's (npm ci built it).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const nodeRequire = createRequire(import.meta.url);

const OUT = 'out/master';
for (const need of ['out/renderer/index.html', 'out/agent/fleetdeck-agent.cjs']) {
  if (!existsSync(need)) {
    console.error(`${need} is missing: run npm run build first`);
    process.exit(2);
  }
}
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

// import.meta.url (ESM sources) points into the executable's directory, as <dir>/main/headless.cjs, so
// paths the sources derive from it (`../renderer`) land in that directory.
const banner = `
var __fdSea = (() => { try { return require('node:sea').isSea(); } catch { return false; } })();
var __fdBase = __fdSea ? require('node:path').dirname(process.execPath) : __dirname;
if (process.resourcesPath === undefined) process.resourcesPath = __fdBase;
var __fdImportMetaUrl = require('node:url').pathToFileURL(require('node:path').join(__fdBase, 'main', 'headless.cjs')).href;
process.env.WS_NO_BUFFER_UTIL ??= '1';
process.env.WS_NO_UTF_8_VALIDATE ??= '1';
`;
// Optional native speedups (ssh2's crypto and cpu-features, ws's) are required in try/catch and not
// needed: they become modules that throw, so the executable's require is never asked for a file
// (which would print Node's "only supports loading built-in modules" warning).
const leftOut = {
  name: 'left-out',
  setup(b) {
    b.onResolve({ filter: /(\.node$|^cpu-features$|^bufferutil$|^utf-8-validate$)/ }, (args) => ({
      path: args.path,
      namespace: 'left-out',
    }));
    // mysql2 looks for its optional debug highlighter with a require esbuild cannot see.
    b.onLoad({ filter: /mysql2[\\/]lib[\\/]helpers\.js$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of mysql2's source, not a template
        'require(`cardinal${REQUIRE_TERMINATOR}`)',
        "(() => { throw new Error('cardinal is left out'); })()",
      ),
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is left out of the standalone master`)});`,
      loader: 'js',
    }));
  },
};
// @node-rs/argon2 (password hashing) loads its platform package's native module: in the executable
// that is argon2.node beside it, loaded like better_sqlite3.node (the package's version check reads
// the version this build copied).
const argon2Package = `@node-rs/argon2-${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : ''}`;
const argon2Beside = {
  name: 'argon2-beside',
  setup(b) {
    b.onResolve({ filter: /^@node-rs\/argon2-[^/]+(\/package\.json)?$/ }, (args) => ({
      path: args.path,
      namespace: 'argon2-beside',
    }));
    b.onLoad({ filter: /.*/, namespace: 'argon2-beside' }, (args) => {
      if (!args.path.startsWith(argon2Package)) {
        return { contents: `throw new Error('${args.path} is not this platform');`, loader: 'js' };
      }
      if (args.path.endsWith('/package.json')) {
        const { version } = JSON.parse(readFileSync(nodeRequire.resolve(`${argon2Package}/package.json`), 'utf8'));
        return { contents: `module.exports = { version: ${JSON.stringify(version)} };`, loader: 'js' };
      }
      return {
        contents: `const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
module.exports = createRequire(process.execPath)(join(dirname(process.execPath), 'argon2.node'));`,
        loader: 'js',
      };
    });
  },
};
const bundle = join(OUT, 'fleetdeck-master.cjs');
await build({
  entryPoints: ['main/headless.ts'],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  banner: { js: banner },
  define: { 'import.meta.url': '__fdImportMetaUrl', 'import.meta.dirname': '__fdImportMetaDirname' },
  alias: { bindings: './scripts/sea/bindings.cjs' },
  plugins: [argon2Beside, leftOut],
  external: ['electron'],
  legalComments: 'none',
  logLevel: 'warning',
});

writeFileSync(
  join(OUT, 'sea-config.json'),
  JSON.stringify({
    main: bundle,
    output: join(OUT, 'sea-prep.blob'),
    disableExperimentalSEAWarning: true,
    useCodeCache: false,
    useSnapshot: false,
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', join(OUT, 'sea-config.json')], { stdio: 'inherit' });
const exe = join(OUT, 'fleetdeck');
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
execFileSync(
  process.execPath,
  [
    'node_modules/postject/dist/cli.js',
    exe,
    'NODE_SEA_BLOB',
    join(OUT, 'sea-prep.blob'),
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: 'ignore' },
);
for (const f of [
  'sea-config.json',
  'sea-prep.blob',
  ...(process.env.FLEETDECK_KEEP_BUNDLE ? [] : ['fleetdeck-master.cjs']),
])
  rmSync(join(OUT, f));

// What the executable reads beside itself.
const sqliteDir = dirname(nodeRequire.resolve('better-sqlite3/package.json'));
copyFileSync(join(sqliteDir, 'build/Release/better_sqlite3.node'), join(OUT, 'better_sqlite3.node'));
const argon2Dir = dirname(nodeRequire.resolve(`${argon2Package}/package.json`));
const argon2Native = readdirSync(argon2Dir).find((f) => f.endsWith('.node'));
if (!argon2Native) throw new Error(`${argon2Package} has no native module: reinstall it (npm ci)`);
copyFileSync(join(argon2Dir, argon2Native), join(OUT, 'argon2.node'));
cpSync('out/renderer', join(OUT, 'renderer'), { recursive: true });
mkdirSync(join(OUT, 'agent'));
for (const f of ['fleetdeck-agent.cjs', 'fleetdeck-agent-linux-x64', 'fleetdeck-agent-linux-arm64']) {
  if (existsSync(join('out/agent', f))) copyFileSync(join('out/agent', f), join(OUT, 'agent', f));
}
cpSync('resources/units', join(OUT, 'units'), { recursive: true });
cpSync('resources/install', join(OUT, 'install'), { recursive: true });
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
console.log(
  `standalone master ${version}: ${exe} (with better_sqlite3.node, argon2.node, renderer/, agent/, units/, install/)`,
);
