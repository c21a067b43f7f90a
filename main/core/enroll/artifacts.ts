// The agent files the master serves to install scripts and upgrades: the bundle (for hosts with
// Node.js 18+) and the standalone executables that were built (scripts/build-sea.mjs), each with its
// SHA-256. Hashes are computed once per file version (size and mtime), off the request path.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

export const ARTIFACT_NAMES = [
  'fleetdeck-agent.cjs',
  'fleetdeck-agent-linux-x64',
  'fleetdeck-agent-linux-arm64',
] as const;
export type ArtifactName = (typeof ARTIFACT_NAMES)[number];

export interface Artifact {
  name: ArtifactName;
  path: string;
  size: number;
  sha256: string;
}

interface Cached {
  size: number;
  mtimeMs: number;
  sha256: Promise<string>;
}

export function isArtifactName(name: string): name is ArtifactName {
  return (ARTIFACT_NAMES as readonly string[]).includes(name);
}

function sha256Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export class AgentArtifacts {
  private readonly cache = new Map<string, Cached>();

  /** `dir`: where the bundle and the standalone executables are (out/agent, or the package's). */
  constructor(readonly dir: string) {}

  static forBundle(bundlePath: string): AgentArtifacts {
    return new AgentArtifacts(join(bundlePath, '..'));
  }

  /** Every artifact present now, with its hash. */
  async list(): Promise<Artifact[]> {
    const found: Artifact[] = [];
    for (const name of ARTIFACT_NAMES) {
      const artifact = await this.get(name);
      if (artifact) found.push(artifact);
    }
    return found;
  }

  async get(name: ArtifactName): Promise<Artifact | null> {
    const path = join(this.dir, basename(name));
    if (!existsSync(path)) return null;
    const stat = statSync(path);
    let cached = this.cache.get(name);
    if (!cached || cached.size !== stat.size || cached.mtimeMs !== stat.mtimeMs) {
      cached = { size: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256Of(path) };
      this.cache.set(name, cached);
      cached.sha256.catch(() => this.cache.delete(name));
    }
    return { name, path, size: stat.size, sha256: await cached.sha256 };
  }

  /**
   * The agent version the files are: read from the bundle (esbuild keeps `var VERSION = "…"`, from
   * agent/version.ts); the standalone executables are built from the same bundle.
   */
  async version(): Promise<string | null> {
    const bundle = await this.get('fleetdeck-agent.cjs');
    if (!bundle) return null;
    const text = await readFile(bundle.path, 'utf8');
    return /\bvar VERSION = "([^"\s]{1,64})";/.exec(text)?.[1] ?? null;
  }

  /** `SHA256SUMS` in sha256sum's format. */
  async checksums(): Promise<string> {
    return (await this.list()).map((a) => `${a.sha256}  ${a.name}\n`).join('');
  }
}
