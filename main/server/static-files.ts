// The renderer's built files for the headless server. Hashed assets (assets/…) are immutable for a
// year; index.html is revalidated every time, so a new build is picked up at once. Text files are sent
// brotli- or gzip-compressed when the browser accepts it: from the .br/.gz files the build writes beside
// them (electron.vite.config.ts), or compressed once on first request and kept (a build without them).
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { FleetError } from '../contract/errors.js';
import { decodePathPart, securityHeaders, sendError } from './http-kit.js';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json']);
/** Larger files are sent as they are rather than held compressed in memory. */
const MAX_CACHED_SOURCE = 8 * 1024 * 1024;

export type Encoding = 'br' | 'gzip';
const SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };
const compressors: Record<Encoding, (data: Buffer) => Promise<Buffer>> = {
  br: (data) =>
    promisify(brotliCompress)(data, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    }),
  gzip: (data) => promisify(gzip)(data, { level: 9 }),
};

/** The encoding to send, from Accept-Encoding: brotli first, then gzip; q=0 refuses one. */
export function chooseEncoding(header: string | string[] | undefined): Encoding | null {
  const accepted = new Map<string, number>();
  for (const part of (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const wants = (name: Encoding) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  return wants('br') ? 'br' : wants('gzip') ? 'gzip' : null;
}

export class StaticFiles {
  private readonly base: string;
  /** Compressed bodies made here, by path, encoding and the source's mtime. */
  private readonly compressed = new Map<string, Promise<Buffer>>();

  constructor(root: string) {
    this.base = resolve(root);
  }

  get built(): boolean {
    return existsSync(join(this.base, 'index.html'));
  }

  async serve(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let file = resolve(join(this.base, normalize(decodePathPart(pathname))));
    if (file !== this.base && !file.startsWith(this.base + sep)) {
      sendError(res, new FleetError('not_found', 'No such file.'));
      return;
    }
    const isAsset = file.startsWith(join(this.base, 'assets') + sep);
    if (!existsSync(file) || !statSync(file).isFile()) {
      // A missing hashed asset is an old page asking for an old build: not index.html under a .js name.
      if (isAsset) return sendError(res, new FleetError('not_found', 'No such file (the UI was rebuilt: reload).'));
      file = join(this.base, 'index.html');
    }
    const headers: Record<string, string> = {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...securityHeaders,
    };
    const encoding = COMPRESSIBLE.has(extname(file)) ? chooseEncoding(req.headers['accept-encoding']) : null;
    if (COMPRESSIBLE.has(extname(file))) headers.vary = 'Accept-Encoding';
    const body = encoding ? await this.compressedBody(file, encoding) : null;
    if (encoding && body) {
      res.writeHead(200, { ...headers, 'content-encoding': encoding, 'content-length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(statSync(file).size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }

  /** The build's precompressed file, else one made once and kept; null for a file too large to keep. */
  private compressedBody(file: string, encoding: Encoding): Promise<Buffer | null> {
    const stat = statSync(file);
    const built = file + SUFFIX[encoding];
    if (existsSync(built) && statSync(built).mtimeMs >= stat.mtimeMs) return Promise.resolve(readFileSync(built));
    if (stat.size > MAX_CACHED_SOURCE) return Promise.resolve(null);
    const key = `${file}|${encoding}|${stat.mtimeMs}`;
    let body = this.compressed.get(key);
    if (!body) {
      body = compressors[encoding](readFileSync(file));
      this.compressed.set(key, body);
      body.catch(() => this.compressed.delete(key));
    }
    return body;
  }
}
