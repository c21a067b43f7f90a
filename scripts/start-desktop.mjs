// `npm start`: the desktop app. Installs skip the Electron binary download (so headless installs
// and CI never need it); the first desktop start fetches it.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('node_modules/electron/path.txt')) {
  process.stderr.write('Downloading the Electron binary for the desktop app (first start only)…\n');
  execSync('node node_modules/electron/install.js', {
    stdio: 'inherit',
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
}
// `npm run dist` only needs the binary (electron-builder packages it), not a running app.
if (!process.argv.includes('--download-only')) execSync('npx electron-vite preview', { stdio: 'inherit' });
