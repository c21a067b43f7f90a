// The headless admin server: REST routes derived from the contract, the live event stream,
// the OpenAPI document and the renderer's static files, all behind a credential (auth.ts: the admin
// token or a signed-in browser's session cookie), and the sign-in routes (auth-routes.ts).

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { anonymousCaller, type Caller } from '../contract/caller.js';
import { contract, type Handlers, streams } from '../contract/contract.js';
import { invoke, isOperationName } from '../contract/dispatch.js';
import { FleetError } from '../contract/errors.js';
import { openApiDocument } from '../contract/openapi.js';
import { compileRoutes, type Route } from '../contract/routes.js';
import type { Logger } from '../core/log.js';
import type { Master } from '../core/master.js';
import { serveAuditExport } from './audit-export.js';
import { RequestAuth } from './auth.js';
import { AuthRoutes } from './auth-routes.js';
import { EventStreams } from './event-stream.js';
import {
  closeServer,
  isPublicStreamRoute,
  isStreamRoute,
  JSON_BODY_DEADLINE_MS,
  listenGuarded,
  RequestFailures,
  requestUrl,
  routeParams,
  securityHeaders,
  sendJson,
  serveStreamRoute,
  userAgentOf,
} from './http-kit.js';
import { StaticFiles } from './static-files.js';
import { StatusRoutes } from './status-routes.js';
import { TerminalSockets } from './terminal-socket.js';

const MAX_BODY_BYTES = 1024 * 1024;

export interface AdminServerOptions {
  host: string;
  port: number;
  master: Master;
  log: Logger;
  /** Directory with the built renderer (index.html); null serves a hint instead. */
  staticDir: string | null;
  /** Session cookies carry Secure (the UI is reached over https, e.g. behind a TLS proxy). */
  secureCookies?: boolean;
}

export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  const deadline = setTimeout(
    () => req.destroy(new FleetError('request_timeout', 'The request body did not arrive in time.')),
    JSON_BODY_DEADLINE_MS,
  );
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new FleetError('payload_too_large', 'Request body exceeds 1 MiB.');
      chunks.push(chunk as Buffer);
    }
  } finally {
    clearTimeout(deadline);
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

export class AdminServer {
  private server: Server | null = null;
  /** JSON operations and the streamed file routes, matched in one pass. */
  private readonly routes: Route[] = [...compileRoutes(), ...compileRoutes(streams)];
  private readonly handlers: Handlers;
  private readonly failures: RequestFailures;
  /** `/api/events`: ids, resume from a bounded replay buffer, heartbeats (event-stream.ts). */
  private readonly events: EventStreams;
  private staticFiles: StaticFiles | null | undefined;
  /** `/api/terminals/<id>/socket`: the browser's WebSocket to a terminal session. */
  private readonly terminals: TerminalSockets;
  /** The public status page at its path (no credential; 404 while it is off). */
  private readonly status: StatusRoutes;
  /** Who a request is from (the one resolver), and the routes that sign in and out. */
  private readonly auth: RequestAuth;
  private readonly authRoutes: AuthRoutes;

  constructor(private readonly options: AdminServerOptions) {
    this.handlers = options.master.handlers();
    this.events = new EventStreams(options.master.bus);
    this.failures = new RequestFailures(options.log);
    this.auth = new RequestAuth(options.master, this.failures, options.secureCookies ?? false);
    this.authRoutes = new AuthRoutes(options.master, this.auth, readJsonBody);
    this.terminals = new TerminalSockets(options.master.terminals, options.log, options.master.held);
    this.status = new StatusRoutes(options.master.statusPage);
  }

  async start(): Promise<{ host: string; port: number }> {
    const { host, port } = this.options;
    const listening = await listenGuarded(host, port, this.failures, (req, res) => this.handle(req, res));
    this.server = listening.server;
    this.terminals.listen(listening.server);
    return { host, port: listening.port };
  }

  async stop(): Promise<void> {
    this.events.close();
    this.terminals.close();
    await closeServer(this.server);
  }

  /** Who the request is from; refuses it (401, 403 for CSRF, 429) when it proves nobody. */
  /**
   * Who the request is from (auth.ts: the admin token, an API token, or a browser's session cookie);
   * refuses it (401, 403 for CSRF, 429) when it proves nobody.
   */
  private requireAuth(req: IncomingMessage): Promise<Caller> {
    return this.auth.resolve(req);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url ?? '/');
    const method = req.method ?? 'GET';
    if (url.pathname === '/metrics' && method === 'GET') {
      const caller = await this.requireAuth(req);
      // The series name every node: a whole-fleet reader's.
      await this.options.master.access.authorizer.requireFleet(caller, 'viewer', 'GET /metrics');
      const text = await this.options.master.prometheus();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      if (await this.status.handle(req, res, false)) return;
      return this.serveStatic(url.pathname, req, res);
    }
    if (url.pathname === '/api/openapi.json' && method === 'GET') return sendJson(res, 200, openApiDocument());
    if (url.pathname === '/api/audit/export' && method === 'GET') {
      this.options.master.access.authorizer.requireFleet(
        await this.requireAuth(req),
        'administrator',
        'the audit export',
      );
      return serveAuditExport(this.options.master.audit.db, url, req, res);
    }
    if (url.pathname.startsWith('/api/auth') && (await this.authRoutes.handle(url.pathname, req, res))) return;
    if (url.pathname === '/api/events' && method === 'GET') {
      const caller = await this.requireAuth(req);
      const { access, held } = this.options.master;
      const cut = this.events.open(req, res, securityHeaders, access.events(caller));
      // Signed out, revoked, disabled or given other roles: the stream ends and reconnects as it may now.
      res.on('close', held.hold(caller, cut));
      return;
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

  /** A streamed file route: authenticated and authorized, uploads refused on a console instance. */
  private async serveStream(
    route: Route,
    params: Record<string, string>,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    if (isPublicStreamRoute(route)) {
      const anonymous = anonymousCaller(req.socket.remoteAddress ?? null, userAgentOf(req));
      return serveStreamRoute(this.options.master, route, params, url, req, res, anonymous);
    }
    const caller = await this.requireAuth(req);
    // Downloads and uploads are an operator's, on the node they name (as the file operations).
    await this.options.master.access.authorizer.requireNode(caller, 'operator', params.id ?? '', route.name);
    return serveStreamRoute(this.options.master, route, params, url, req, res, caller);
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
    const caller = op.public
      ? anonymousCaller(req.socket.remoteAddress ?? null, userAgentOf(req))
      : await this.requireAuth(req);
    const input: Record<string, unknown> = route.bodyAllowed
      ? await readJsonBody(req)
      : Object.fromEntries(url.searchParams);
    Object.assign(input, params);
    if (op.idempotencyKey) takeIdempotencyKey(req, input);
    const output = await invoke(this.handlers, name, input, caller);
    const status = name === 'health' && !(output as { ok: boolean }).ok ? 503 : (op.status ?? 200);
    sendJson(res, status, output);
  }

  private serveStatic(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const root = this.options.staticDir;
    this.staticFiles ??= root ? new StaticFiles(root) : null;
    if (!this.staticFiles?.built) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The FleetDeck UI is not built. Run "npm run build" and restart the master; the API is at /api.\n');
      return;
    }
    return this.staticFiles.serve(pathname, req, res);
  }
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
