// The renderer never uses the browser's own dialogs: Electron implements no window.prompt, and
// confirm/alert block the page with a box that matches nothing else in the app. Biome's
// noRestrictedGlobals catches the bare globals (biome.json); this catches them through window,
// globalThis or self, which Biome cannot see.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';

const BROWSER_DIALOG = /\b(?:window|globalThis|self)\s*\.\s*(?:prompt|confirm|alert)\b/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(entry.name) ? [path] : [];
  });
}

describe('the renderer asks through in-app dialogs only', () => {
  it('the pattern catches every way of reaching the browser dialogs, and not the app’s own', () => {
    for (const bad of ['window.prompt("x")', 'window.confirm(`y`)', 'globalThis.alert(1)', 'self . prompt']) {
      expect(BROWSER_DIALOG.test(bad), bad).toBe(true);
    }
    for (const good of ['dialogs.confirm({})', 'await dialogs.prompt({ title })', 'const confirmLabel = 1']) {
      expect(BROWSER_DIALOG.test(good), good).toBe(false);
    }
  });

  it('no renderer source calls window.prompt, confirm or alert', () => {
    const offenders = sources(join(ROOT, 'renderer/src')).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ file: file.slice(ROOT.length + 1), line: i + 1, text: line.trim() }))
        .filter(({ text }) => !text.startsWith('//') && BROWSER_DIALOG.test(text)),
    );
    expect(offenders).toEqual([]);
  });
});
