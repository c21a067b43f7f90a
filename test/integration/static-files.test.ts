// The headless server's delivery of the UI: compressed when the browser accepts it (the build's
// .br/.gz files, or compressed once here), immutable caching for hashed assets, revalidation for
// index.html, and a 404 (not index.html) for an asset an old page asks for.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { chooseEncoding } from '../../main/server/static-files.js';
import { tempDir } from '../helpers/processes.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(port: number, path: string, acceptEncoding?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('static UI delivery', () => {
  const script = `${'export const answer = "forty-two";\n'.repeat(4_000)}`;
  const style = `${'.row { display: flex; gap: 0.5rem; }\n'.repeat(3_000)}`;
  let master: Master;
  let server: AdminServer;
  let port = 0;

  beforeAll(async () => {
    const root = tempDir('fleetdeck-static-');
    mkdirSync(join(root, 'assets'));
    writeFileSync(
      join(root, 'index.html'),
      '<!doctype html><title>FleetDeck</title><script src="/assets/app-1a2b.js"></script>',
    );
    writeFileSync(join(root, 'assets', 'app-1a2b.js'), script);
    // As the build writes it: the precompressed twin is what goes out.
    writeFileSync(join(root, 'assets', 'app-1a2b.js.br'), brotliCompressSync(Buffer.from(script)));
    writeFileSync(join(root, 'assets', 'app-3c4d.css'), style);
    writeFileSync(join(root, 'assets', 'logo-5e6f.png'), Buffer.alloc(2_000, 1));
    master = await Master.start({
      dataDir: tempDir('fleetdeck-static-master-'),
      agentListen: { host: '127.0.0.1', port: 0 },
      agentTls: false,
      adminToken: 'static-files-admin-token-0123',
      log: silentLogger,
    });
    server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: root });
    ({ port } = await server.start());
  });

  afterAll(async () => {
    await server?.stop();
    await master?.stop();
  });

  it('sends a hashed script brotli-compressed, immutable for a year', async () => {
    const answer = await get(port, '/assets/app-1a2b.js', 'gzip, deflate, br');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBe('br');
    expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(answer.headers.vary).toBe('Accept-Encoding');
    expect(answer.body.length).toBeLessThan(script.length / 10);
    expect(brotliDecompressSync(answer.body).toString()).toBe(script);
  });

  it('compresses a file the build left uncompressed once, and sends the same bytes again', async () => {
    const first = await get(port, '/assets/app-3c4d.css', 'gzip');
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(first.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(gunzipSync(first.body).toString()).toBe(style);
    const second = await get(port, '/assets/app-3c4d.css', 'gzip');
    expect(second.body.equals(first.body)).toBe(true);
    const brotli = await get(port, '/assets/app-3c4d.css', 'br');
    expect(brotliDecompressSync(brotli.body).toString()).toBe(style);
  });

  it('sends files as they are to a client that accepts no compression, and images never compressed', async () => {
    const plain = await get(port, '/assets/app-1a2b.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
    const refused = await get(port, '/assets/app-1a2b.js', 'br;q=0, gzip;q=0');
    expect(refused.headers['content-encoding']).toBeUndefined();
    const image = await get(port, '/assets/logo-5e6f.png', 'br, gzip');
    expect(image.headers['content-encoding']).toBeUndefined();
    expect(image.body.length).toBe(2_000);
  });

  it('revalidates index.html on every load and answers any page path with it', async () => {
    for (const path of ['/', '/index.html', '/nodes/some-node']) {
      const answer = await get(port, path, 'br');
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-cache');
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    }
  });

  it('answers 404 for a hashed asset that is not there (an old page after a rebuild), not index.html', async () => {
    const answer = await get(port, '/assets/app-0000.js', 'br');
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toMatch(/json/);
  });

  it('picks brotli, then gzip, honouring q=0 and *', () => {
    expect(chooseEncoding('gzip, deflate, br')).toBe('br');
    expect(chooseEncoding('gzip, br;q=0')).toBe('gzip');
    expect(chooseEncoding('*')).toBe('br');
    expect(chooseEncoding('*, br;q=0')).toBe('gzip');
    expect(chooseEncoding('identity')).toBeNull();
    expect(chooseEncoding(undefined)).toBeNull();
  });
});
