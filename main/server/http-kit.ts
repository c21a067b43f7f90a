// What the admin server and the desktop app's stream server share: the error body, request-target
// parsing that refuses what it cannot read, the failure limiter (failed logins and malformed requests
// from one address), the listener's deadlines, and the two streamed file routes.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { adminTokenCaller, type Caller } from '../contract/caller.js';
import { errorStatus, FleetError } from '../contract/errors.js';
import type { Route } from '../contract/routes.js';
import { callErrorOf } from '../contract/wire.js';
import { descriptorBudget } from '../core/gateway/descriptors.js';
import { FailureLimiter } from '../core/gateway/failure-limiter.js';
import type { Logger } from '../core/log.js';
import type { Master } from '../core/master.js';
import { databaseUnavailable } from '../core/store/unavailable.js';
import { answerClientError } from './client-errors.js';
import { serveDownload, serveTicketDownload, serveUpload } from './file-streams.js';

export const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...securityHeaders,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: FleetError): void {
  sendJson(res, errorStatus[error.code], { error: callErrorOf(error) });
}

/**
 * A request whose target cannot be read (malformed percent-encoding, an invalid authority): 400, and
 * the address is counted like a failed login — such requests come from broken clients or probes.
 */
export class MalformedRequest extends FleetError {
  constructor(message: string) {
    super('bad_request', message);
  }
}

/** The request target as a URL; "//host:port/…" and other unparsable targets are refused. */
export function requestUrl(target: string): URL {
  try {
    return new URL(target, 'http://localhost');
  } catch {
    throw new MalformedRequest('The request target is not a valid path: send /api/… or a UI path.');
  }
}

export function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new MalformedRequest(
      `The path contains malformed percent-encoding (${JSON.stringify(part.slice(0, 80))}): encode each byte as %XX of UTF-8.`,
    );
  }
}

export function routeParams(route: Route, match: RegExpExecArray): Record<string, string> {
  return Object.fromEntries(route.params.map((param, i) => [param, decodePathPart(match[i + 1] as string)]));
}

const streamRouteNames = new Set(['downloadFile', 'uploadFile', 'downloadByTicket']);
export const isStreamRoute = (route: Route) => streamRouteNames.has(route.name);
/** A ticket download carries its own credential (the ticket) instead of the admin header. */
export const isPublicStreamRoute = (route: Route) => route.name === 'downloadByTicket';

/** The `Authorization: Bearer …` credential, if any. */
export function bearerOf(req: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
}

/** How long a JSON request body may take to arrive. */
export const JSON_BODY_DEADLINE_MS = 60_000;

/** Compares a presented secret with the expected one in constant time. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One server's failure limiter and its answers to failed requests. */
export class RequestFailures {
  readonly limiter = new FailureLimiter(30, 60_000);

  constructor(private readonly log: Logger) {}

  /**
   * The bearer token must pass `verify`. A right token is accepted whatever its address did before
   * (32 wrong tokens from an address once locked the right one out for a minute); a wrong one counts
   * against the address, and past the limit the address gets 429 for wrong tokens.
   */
  requireBearer(req: IncomingMessage, verify: (token: string) => boolean): Caller {
    const token = bearerOf(req);
    if (token && verify(token)) return adminTokenCaller(req.socket.remoteAddress ?? 'unknown', userAgentOf(req));
    throw this.bearerFailed(req);
  }

  /** The bearer token must resolve to a caller (admin token, API token); failures count as above. */
  async requireCaller(
    req: IncomingMessage,
    resolve: (token: string, address: string) => Promise<Caller | null>,
  ): Promise<Caller> {
    const token = bearerOf(req);
    const caller = token ? await resolve(token, req.socket.remoteAddress ?? 'unknown') : null;
    if (caller) return caller;
    throw this.bearerFailed(req);
  }

  /** A bearer token nobody accepted: counted against its address; 429 past the limit, else 401. */
  bearerFailed(req: IncomingMessage): FleetError {
    const address = req.socket.remoteAddress ?? 'unknown';
    if (this.limiter.isBlocked(address)) {
      return new FleetError('rate_limited', 'Too many failed logins from this address; wait a minute.');
    }
    this.limiter.recordFailure(address);
    return new FleetError(
      'unauthorized',
      'Missing, wrong, expired or revoked token: send "Authorization: Bearer <token>" (the admin token is in the admin-token file of the data dir; API tokens start with fdk_).',
    );
  }

  answer(req: IncomingMessage, res: ServerResponse, error: unknown): void {
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
    this.log.error({ err: error }, 'admin request failed');
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
}

/** An HTTP server with the admin listener's deadlines and descriptor share, answering through `handle`. */
export async function listenGuarded(
  host: string,
  port: number,
  failures: RequestFailures,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => failures.answer(req, res, error));
  });
  server.on('clientError', (error, socket) => answerClientError(error, socket, failures.limiter));
  server.headersTimeout = 15_000;
  // Node's request deadline covers the whole body, so it cut every upload longer than a minute (and
  // every paused one). Headers keep their deadline; a JSON body has its own (readJsonBody); a file
  // upload is read only after its credential was checked, as fast as the agent writes.
  server.requestTimeout = 0;
  // The admin listener's share of the descriptors the agent gateway leaves free (see descriptors.ts).
  server.maxConnections = descriptorBudget().admin;
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePromise());
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}

export function closeServer(server: Server | null): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise<void>((r) => {
    server.close(() => r());
    server.closeIdleConnections();
  });
}

/** A streamed file route (already authenticated): uploads are refused on a console instance. */
export function serveStreamRoute(
  master: Master,
  route: Route,
  params: Record<string, string>,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  caller: Caller,
): Promise<void> {
  if (route.name === 'uploadFile' && master.options.role === 'console') {
    throw new FleetError(
      'forbidden',
      'This FleetDeck instance is a read-only console (--role console): upload on a full instance.',
    );
  }
  const serve =
    route.name === 'downloadFile'
      ? serveDownload
      : route.name === 'downloadByTicket'
        ? serveTicketDownload
        : serveUpload;
  const done = serve(master, { ...Object.fromEntries(url.searchParams), ...params }, req, res, caller);
  return done.then(() => undefined);
}

/** The request's user agent, bounded (it goes into the audit log). */
export function userAgentOf(req: IncomingMessage): string | null {
  const agent = req.headers['user-agent'];
  return typeof agent === 'string' && agent.length > 0 ? agent.slice(0, 256) : null;
}
