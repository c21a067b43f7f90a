// The Files screen's strings: Simplified Chinese says everything English says, with the same
// placeholders, and every error code the screen words has its sentence in both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '../../renderer/src/i18n/locales');
const load = (language: string) =>
  JSON.parse(readFileSync(join(dir, language, 'files.json'), 'utf8')) as Record<string, unknown>;

/** Flat keys without plural suffixes, each with its sorted {{placeholders}}. */
function flat(tree: Record<string, unknown>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const name = `${prefix}${key}`;
    if (typeof value === 'object' && value !== null) {
      for (const [k, v] of flat(value as Record<string, unknown>, `${name}.`)) out.set(k, v);
    } else {
      const vars = [...String(value).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
      out.set(name.replace(/_(one|other)$/, ''), [...new Set(vars)].join(','));
    }
  }
  return out;
}

describe('files strings', () => {
  it('zh-CN has every English key with the same placeholders', () => {
    const en = flat(load('en'));
    const zh = flat(load('zh-CN'));
    expect([...zh.keys()].sort()).toEqual([...en.keys()].sort());
    for (const [key, vars] of en) expect(zh.get(key), key).toBe(vars);
  });

  it('words every error code the screen names', () => {
    const source = readFileSync(join(import.meta.dirname, '../../renderer/src/files/problems.ts'), 'utf8');
    const worded = [...(/const WORDED = new Set\(\[([^\]]+)\]/.exec(source)?.[1] ?? '').matchAll(/'(\w+)'/g)].map(
      (m) => m[1],
    );
    expect(worded.length).toBeGreaterThan(10);
    for (const language of ['en', 'zh-CN']) {
      const problems = load(language).problems as Record<string, string>;
      for (const code of worded) expect(problems[code as string], `${language} ${code}`).toBeTruthy();
    }
  });
});
