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
  banner: { js: '#!/usr/bin/env node' },
  // ws's optional native speedups are not needed; the pure-JS paths are used.
  external: ['bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
});
console.log('agent bundle: out/agent/fleetdeck-agent.cjs');
