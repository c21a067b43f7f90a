// Bundles the agent into one dependency-free CommonJS file: out/agent/fleetdeck-agent.cjs.
import { build } from 'esbuild';

await build({
  entryPoints: ['agent/cli.ts'],
  outfile: 'out/agent/fleetdeck-agent.cjs',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  // ws's optional native speedups are not needed; the pure-JS paths are used (and not even looked
  // for, which a standalone executable would warn about).
  banner: {
    js: "#!/usr/bin/env node\nprocess.env.WS_NO_BUFFER_UTIL ??= '1';\nprocess.env.WS_NO_UTF_8_VALIDATE ??= '1';",
  },
  external: ['bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
});
console.log('agent bundle: out/agent/fleetdeck-agent.cjs');
