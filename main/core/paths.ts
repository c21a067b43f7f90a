// Where FleetDeck keeps its data when not told otherwise (platform conventions).
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLEETDECK_DATA_DIR) return env.FLEETDECK_DATA_DIR;
  if (process.platform === 'win32') return join(env.APPDATA ?? os.homedir(), 'FleetDeck');
  if (process.platform === 'darwin') return join(os.homedir(), 'Library', 'Application Support', 'FleetDeck');
  return join(env.XDG_DATA_HOME ?? join(os.homedir(), '.local', 'share'), 'fleetdeck');
}

/** Parses `host:port`, `[v6]:port`, `:port` or `port`. */
export function parseHostPort(value: string, defaultHost: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`"${value}" is not an address: use host:port, [ipv6]:port or a port number.`);
  }
  return { host: match[1] || match[2] || defaultHost, port };
}

/**
 * A file of the top-level `resources/` folder (icons, unit templates): in the packaged app from its
 * resources directory (electron-builder's extraResources), from a checkout next to the sources or the
 * build (`out/main`).
 */
export function resourcePath(relative: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    ...(packaged ? [join(packaged, relative)] : []),
    join(here, '../../resources', relative),
    join(here, '../../../resources', relative),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`FleetDeck resource ${relative} is missing (looked in ${candidates.join(', ')})`);
  return found;
}
