import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

/** Writes <file>.br and <file>.gz beside every text output, once per build, for the headless server
 * (main/server/static-files.ts) to send as they are. */
function precompress(): Plugin {
  return {
    name: 'fleetdeck-precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir ?? resolve('out/renderer');
      const texts = Object.keys(bundle).filter((name) => /\.(js|css|html|svg|json)$/.test(name));
      await Promise.all(
        texts.map(async (name) => {
          const data = await readFile(join(dir, name));
          if (data.length < 1024) return;
          const br = await promisify(brotliCompress)(data, {
            params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
          });
          await writeFile(join(dir, `${name}.br`), br);
          await writeFile(join(dir, `${name}.gz`), await promisify(gzip)(data, { level: 9 }));
        }),
      );
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: { index: resolve('main/index.ts'), headless: resolve('main/headless.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve('preload/index.ts') }, output: { format: 'cjs' } },
    },
  },
  renderer: {
    root: resolve('renderer'),
    // Minified: the headless master serves this over the network (electron-vite leaves it readable);
    // FLEETDECK_NO_MINIFY=1 keeps names, for reading a CPU profile of the renderer (BENCHMARKS.md).
    build: {
      outDir: resolve('out/renderer'),
      minify: !process.env.FLEETDECK_NO_MINIFY,
      rollupOptions: { input: resolve('renderer/index.html') },
    },
    plugins: [react(), precompress()],
  },
});
