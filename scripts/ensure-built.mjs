// Builds out/ when it is missing or older than any source file, so `npm run master` and
// `npm run agent` always run the current code.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const outputs = ['out/main/headless.js', 'out/agent/fleetdeck-agent.cjs', 'out/renderer/index.html'];
const sources = ['main', 'agent', 'preload', 'renderer', 'package.json', 'electron.vite.config.ts'];

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const oldestOutput = Math.min(...outputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
const newestSource = Math.max(...sources.filter(existsSync).map(newest));
if (oldestOutput < newestSource) {
  process.stderr.write('Building FleetDeck (sources changed since the last build)…\n');
  execSync('npm run --silent build', { stdio: ['ignore', 'ignore', 'inherit'] });
}
