// The headless admin server: REST routes derived from the contract, the live event stream,
// the OpenAPI document and the renderer's static files, all behind the admin credential.

import { timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { contract, type Handlers, streams } from '../contract/contract.js';
import { invoke, isOperationName } from '../contract/dispatch.js';
import { errorStatus, FleetError } from '../contract/errors.js';
import { openApiDocument } from '../contract/openapi.js';
import { compileRoutes, type Route } from '../contract/routes.js';
import { descriptorBudget } from '../core/gateway/descriptors.js';
import { FailureLimiter } from '../core/gateway/failure-limiter.js';
import type { Logger } from '../core/log.js';
import type { Master } from '../core/master.js';
import { databaseUnavailable } from '../core/store/unavailable.js';
import { answerClientError } from './client-errors.js';
import { EventStreams } from './event-stream.js';
import { serveDownload, serveUpload } from './file-streams.js';

const MAX_BODY_BYTES = 1024 * 1024;

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

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

export interface AdminServerOptions {
  host: string;
  port: number;
  master: Master;
  log: Logger;
  /** Directory with the built renderer (index.html); null serves a hint instead. */
  staticDir: string | null;
  /**
   * The desktop app's loopback endpoint for file transfers: only the two streamed routes, only this
   * per-launch token, with CORS for the app's own page (file:// or the dev server).
   */
  desktopStreams?: { token: string; origins: string[] };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...securityHeaders,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: FleetError): void {
  sendJson(res, errorStatus[error.code], { error: { code: error.code, message: error.message } });
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new FleetError('payload_too_large', 'Request body exceeds 1 MiB.');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let data: unknown;
  try {
    data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new FleetError('bad_request', 'Request body is not valid JSON.');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new FleetError('bad_request', 'Request body must be a JSON object.');
  }
  return data as Record<string, unknown>;
}

const isStreamRoute = (route: Route) => route.name === 'downloadFile' || route.name === 'uploadFile';

/**
 * A request whose target cannot be read (malformed percent-encoding, an invalid authority): 400, and
 * the address is counted like a failed login — such requests come from broken clients or probes.
 */
class MalformedRequest extends FleetError {
  constructor(message: string) {
    super('bad_request', message);
  }
}

/** The request target as a URL; "//host:port/…" and other unparsable targets are refused. */
function requestUrl(target: string): URL {
  try {
    return new URL(target, 'http://localhost');
  } catch {
    throw new MalformedRequest('The request target is not a valid path: send /api/… or a UI path.');
  }
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new MalformedRequest(
      `The path contains malformed percent-encoding (${JSON.stringify(part.slice(0, 80))}): encode each byte as %XX of UTF-8.`,
    );
  }
}

export class AdminServer {
  private server: Server | null = null;
  /** JSON operations and the streamed file routes, matched in one pass. */
  private readonly routes: Route[] = [...compileRoutes(), ...compileRoutes(streams)];
  private readonly handlers: Handlers;
  private readonly limiter = new FailureLimiter(30, 60_000);
  /** `/api/events`: ids, resume from a bounded replay buffer, heartbeats (event-stream.ts). */
  private readonly events: EventStreams;

  constructor(private readonly options: AdminServerOptions) {
    this.handlers = options.master.handlers();
    this.events = new EventStreams(options.master.bus);
  }

  async start(): Promise<{ host: string; port: number }> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.fail(req, res, error));
    });
    server.on('clientError', (error, socket) => answerClientError(error, socket, this.limiter));
    server.headersTimeout = 15_000;
    server.requestTimeout = 60_000;
    // The admin listener's share of the descriptors the agent gateway leaves free (see descriptors.ts).
    server.maxConnections = descriptorBudget().admin;
    this.server = server;
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolvePromise());
    });
    const address = server.address();
    return { host: this.options.host, port: typeof address === 'object' && address ? address.port : this.options.port };
  }

  async stop(): Promise<void> {
    this.events.close();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeIdleConnections();
    });
  }

  private fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof MalformedRequest) {
      sendError(res, this.countMalformed(req, error));
      return;
    }
    // Routes outside the contract's dispatch (metrics, file streams) may meet a database that is away.
    const unavailable = databaseUnavailable(error);
    if (unavailable) {
      sendError(res, unavailable);
      return;
    }
    if (error instanceof FleetError) {
      // The unread rest of an oversized body makes the connection unusable for another request.
      if (error.code === 'payload_too_large') res.setHeader('connection', 'close');
      sendError(res, error);
      return;
    }
    this.options.log.error({ err: error }, 'admin request failed');
    sendError(res, new FleetError('internal', 'Internal error; see the master log for details.'));
  }

  /** A malformed request counts against its address; past the limit the address gets 429. */
  private countMalformed(req: IncomingMessage, error: MalformedRequest): FleetError {
    const address = req.socket.remoteAddress ?? 'unknown';
    if (this.limiter.isBlocked(address)) {
      return new FleetError('rate_limited', 'Too many failed or malformed requests from this address; wait a minute.');
    }
    this.limiter.recordFailure(address);
    return error;
  }

  private authorized(req: IncomingMessage): boolean {
    const address = req.socket.remoteAddress ?? 'unknown';
    if (this.limiter.isBlocked(address)) {
      throw new FleetError('rate_limited', 'Too many failed logins from this address; wait a minute.');
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const desktop = this.options.desktopStreams;
    if (token && desktop) {
      const given = Buffer.from(token);
      const expected = Buffer.from(desktop.token);
      if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    } else if (token && this.options.master.admin.verify(token)) return true;
    this.limiter.recordFailure(address);
    return false;
  }

  private requireAuth(req: IncomingMessage): void {
    if (!this.authorized(req)) {
      throw new FleetError(
        'unauthorized',
        'Missing or wrong admin token: send "Authorization: Bearer <token>" (the token is in the admin-token file of the data dir).',
      );
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url ?? '/');
    const method = req.method ?? 'GET';
    if (this.options.desktopStreams) return this.handleDesktopStream(req, res, url, method);
    if (url.pathname === '/metrics' && method === 'GET') {
      this.requireAuth(req);
      const text = await this.options.master.prometheus();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    if (!url.pathname.startsWith('/api/')) return this.serveStatic(url.pathname, res);
    if (url.pathname === '/api/openapi.json' && method === 'GET') return sendJson(res, 200, openApiDocument());
    if (url.pathname === '/api/events' && method === 'GET') {
      this.requireAuth(req);
      return this.events.open(req, res, securityHeaders);
    }
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const input = routeParams(route, match);
      if (isStreamRoute(route)) return this.serveStream(route, input, url, req, res);
      return this.callRoute(route, input, url, req, res);
    }
    if (pathMatched) throw new FleetError('bad_request', `${method} is not allowed on ${url.pathname}.`);
    throw new FleetError('not_found', `No API route ${method} ${url.pathname}; see /api/openapi.json.`);
  }

  /** The desktop endpoint: CORS for the app's page, then only the streamed file routes. */
  private async handleDesktopStream(req: IncomingMessage, res: ServerResponse, url: URL, method: string) {
    const origin = req.headers.origin ?? '';
    const allowed = (this.options.desktopStreams as { origins: string[] }).origins.some((o) => origin.startsWith(o));
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', 'content-length, content-range, content-disposition');
      res.setHeader('vary', 'origin');
    }
    if (method === 'OPTIONS') {
      res.writeHead(allowed ? 204 : 403, {
        'access-control-allow-methods': 'GET, PUT',
        'access-control-allow-headers': 'authorization, content-type, range',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    for (const route of this.routes) {
      if (!isStreamRoute(route)) continue;
      const match = route.pattern.exec(url.pathname);
      if (!match || route.method !== method) continue;
      return this.serveStream(route, routeParams(route, match), url, req, res);
    }
    throw new FleetError('not_found', 'This endpoint serves file transfers only.');
  }

  /** A streamed file route: authenticated, uploads refused on a console instance. */
  private serveStream(
    route: Route,
    params: Record<string, string>,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    this.requireAuth(req);
    if (route.name === 'uploadFile' && this.options.master.options.role === 'console') {
      throw new FleetError(
        'forbidden',
        'This FleetDeck instance is a read-only console (--role console): upload on a full instance.',
      );
    }
    const serve = route.name === 'downloadFile' ? serveDownload : serveUpload;
    return serve(this.options.master, { ...Object.fromEntries(url.searchParams), ...params }, req, res);
  }

  private async callRoute(
    route: Route,
    params: Record<string, string>,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    const name = route.name;
    if (!isOperationName(name)) throw new FleetError('not_found', `No operation ${name}.`);
    const op = contract[name];
    if (!op.public) this.requireAuth(req);
    const input: Record<string, unknown> = route.bodyAllowed
      ? await readJsonBody(req)
      : Object.fromEntries(url.searchParams);
    Object.assign(input, params);
    if (op.idempotencyKey) takeIdempotencyKey(req, input);
    const output = await invoke(this.handlers, name, input);
    const status = name === 'health' && !(output as { ok: boolean }).ok ? 503 : (op.status ?? 200);
    sendJson(res, status, output);
  }

  private serveStatic(pathname: string, res: ServerResponse): void {
    const root = this.options.staticDir;
    if (!root || !existsSync(join(root, 'index.html'))) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The FleetDeck UI is not built. Run "npm run build" and restart the master; the API is at /api.\n');
      return;
    }
    const base = resolve(root);
    let file = resolve(join(base, normalize(decodePathPart(pathname))));
    if (file !== base && !file.startsWith(base + sep)) {
      sendError(res, new FleetError('not_found', 'No such file.'));
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) file = join(base, 'index.html');
    const type = contentTypes[extname(file)] ?? 'application/octet-stream';
    const immutable = file.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      'content-type': type,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...securityHeaders,
    });
    createReadStream(file).pipe(res);
  }
}

function routeParams(route: Route, match: RegExpExecArray): Record<string, string> {
  return Object.fromEntries(route.params.map((param, i) => [param, decodePathPart(match[i + 1] as string)]));
}

/**
 * The `Idempotency-Key` header becomes the operation's `idempotencyKey` input (validated there); a
 * body that names a different key is refused rather than silently preferring one.
 */
function takeIdempotencyKey(req: IncomingMessage, input: Record<string, unknown>): void {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return;
  if (input.idempotencyKey !== undefined && input.idempotencyKey !== header) {
    throw new FleetError('bad_request', "The Idempotency-Key header and the body's idempotencyKey differ: send one.");
  }
  input.idempotencyKey = header;
}
