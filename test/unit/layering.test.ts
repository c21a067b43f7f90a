// The layers, enforced rather than remembered: every import of every source file is resolved to the
// file it names and checked against the rules below. A rule that Biome's noRestrictedImports cannot
// express for relative paths (it sees the specifier text, not where it points) is easy here.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';

interface Rule {
  /** Files the rule applies to (repository-relative prefix). */
  from: string;
  /** What they must not import: a repository-relative prefix, or a bare package name. */
  forbidden: string[];
  /** Or, stricter: the only repository folders they may import from outside their own. */
  onlyFrom?: string[];
  why: string;
}

const RULES: Rule[] = [
  {
    from: 'main/core/',
    forbidden: ['electron', 'main/server/', 'main/electron/', 'main/index.ts', 'renderer/', 'preload/'],
    why: 'the core runs headless and in tests: no shell, no transport, no UI',
  },
  {
    from: 'main/contract/',
    forbidden: ['electron', 'main/server/', 'main/electron/', 'renderer/', 'preload/'],
    why: 'the contract is shared by every transport and the renderer',
  },
  {
    from: 'agent/',
    forbidden: ['electron', 'main/', 'renderer/', 'preload/'],
    why: 'the agent is bundled alone and runs on hosts without the master',
  },
  {
    from: 'common/',
    forbidden: ['electron'],
    onlyFrom: ['common/'],
    why: 'helpers shared by the agent and the master depend on nothing of either',
  },
  {
    from: 'renderer/',
    forbidden: ['electron'],
    onlyFrom: ['renderer/', 'main/contract/', 'agent/protocol.ts'],
    why: 'the renderer talks to the master only through the contract',
  },
  {
    from: 'preload/',
    forbidden: [],
    onlyFrom: ['preload/', 'main/contract/operation-names.ts'],
    why: 'the preload exposes operation names and nothing else of the master',
  },
];

const SOURCE = /\.(ts|tsx|mts)$/;
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourcesUnder(path);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Repository-relative target of a relative import (extension normalised to .ts), or the package name. */
function target(file: string, specifier: string): string {
  if (!specifier.startsWith('.'))
    return specifier.startsWith('node:') ? specifier : (specifier.split('/')[0] as string);
  const path = relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts');
  return /\.[a-z]+$/.test(path) ? path : `${path}.ts`;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => target(file, (m[1] ?? m[2] ?? m[3]) as string));
}

function violations(rule: Rule): string[] {
  return sourcesUnder(rule.from).flatMap((file) =>
    importsOf(file)
      .filter((to) => {
        if (rule.forbidden.some((f) => to === f || to.startsWith(f))) return true;
        const internal = /^(main|agent|common|renderer|preload|test|scripts)\//.test(to);
        return rule.onlyFrom !== undefined && internal && !rule.onlyFrom.some((ok) => to.startsWith(ok) || to === ok);
      })
      .map((to) => `${file} imports ${to}`),
  );
}

describe('layering', () => {
  for (const rule of RULES) {
    it(`${rule.from} keeps its boundary: ${rule.why}`, () => {
      expect(violations(rule)).toEqual([]);
    });
  }

  it('the checker sees relative imports for what they point at', () => {
    expect(target('main/core/queue/queue.ts', '../../server/http.js')).toBe('main/server/http.ts');
    expect(target('renderer/src/App.tsx', '../../main/core/master')).toBe('main/core/master.ts');
    expect(target('agent/agent.ts', 'electron')).toBe('electron');
    const sample = "import type { A } from './a.js';\nexport { b } from '../b.js';\nconst c = await import('./c.js');";
    expect([...sample.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3])).toEqual(['./a.js', '../b.js', './c.js']);
  });
});
