// Every namespace's strings: Simplified Chinese says everything English says (same keys, same
// {{placeholders}}), and neither language has a namespace file the other lacks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '../../renderer/src/i18n/locales');
const LANGUAGES = ['en', 'zh-CN'] as const;
const namespaces = (language: string) =>
  readdirSync(join(dir, language))
    .filter((f) => f.endsWith('.json'))
    .sort();
const load = (language: string, file: string) =>
  JSON.parse(readFileSync(join(dir, language, file), 'utf8')) as Record<string, unknown>;

// Plural forms differ by language (English has _one/_other, Chinese only _other): compare the stem.
const PLURAL = /_(zero|one|two|few|many|other)$/;

/** Flat keys without plural suffixes, each with its sorted {{placeholders}}. */
function flat(tree: Record<string, unknown>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const name = `${prefix}${key}`;
    if (typeof value === 'object' && value !== null) {
      for (const [k, v] of flat(value as Record<string, unknown>, `${name}.`)) out.set(k, v);
    } else {
      const vars = [...String(value).matchAll(/\{\{\s*(\w+)[^}]*\}\}/g)].map((m) => m[1]);
      const stem = name.replace(PLURAL, '');
      const merged = new Set([...(out.get(stem)?.split(',').filter(Boolean) ?? []), ...vars]);
      out.set(stem, [...merged].sort().join(','));
    }
  }
  return out;
}

describe('locale files', () => {
  it('has the same namespaces in every language', () => {
    for (const language of LANGUAGES) expect(namespaces(language), language).toEqual(namespaces('en'));
  });

  for (const file of namespaces('en')) {
    it(`${file}: zh-CN has every English key with the same placeholders, and no empty string`, () => {
      const en = flat(load('en', file));
      const zh = flat(load('zh-CN', file));
      expect([...zh.keys()].filter((k) => !en.has(k)).sort(), 'keys only in zh-CN').toEqual([]);
      expect([...en.keys()].filter((k) => !zh.has(k)).sort(), 'keys missing from zh-CN').toEqual([]);
      for (const [key, vars] of en) expect(zh.get(key), key).toBe(vars);
      for (const language of LANGUAGES) {
        const empty = [...JSON.stringify(load(language, file)).matchAll(/"([^"]+)":""/g)].map((m) => m[1]);
        expect(empty, `${language} empty strings`).toEqual([]);
      }
    });
  }
});
