// The desktop app's loopback endpoint for file transfers and terminal sockets: only the streamed file routes, only the
// per-launch token, CORS for the app's own page (file:// or the dev server). One mode, one class: the
// admin server (http.ts) knows nothing of it, and this one serves no API, UI or events.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { desktopCaller } from '../contract/caller.js';
import { streams } from '../contract/contract.js';
import { FleetError } from '../contract/errors.js';
import { compileRoutes, type Route } from '../contract/routes.js';
import type { Logger } from '../core/log.js';
import type { Master } from '../core/master.js';
import {
  closeServer,
  listenGuarded,
  RequestFailures,
  requestUrl,
  routeParams,
  sameSecret,
  serveStreamRoute,
} from './http-kit.js';
import { TerminalSockets } from './terminal-socket.js';

export interface DesktopStreamServerOptions {
  host: string;
  port: number;
  master: Master;
  log: Logger;
  /** The only credential accepted: made for this launch, handed to the app's page over IPC. */
  token: string;
  /** Page origins answered with CORS (prefixes: `file://`, `null`, the dev server's origin). */
  origins: string[];
}

export class DesktopStreamServer {
  private server: Server | null = null;
  private readonly routes: Route[] = compileRoutes(streams);
  private readonly failures: RequestFailures;
  private terminals: TerminalSockets | null = null;

  constructor(private readonly options: DesktopStreamServerOptions) {
    this.failures = new RequestFailures(options.log);
  }

  async start(): Promise<{ host: string; port: number }> {
    const { host, port } = this.options;
    const listening = await listenGuarded(host, port, this.failures, (req, res) => this.handle(req, res));
    this.server = listening.server;
    // Terminal sockets too: their ticket is their credential, as on the admin server.
    this.terminals = new TerminalSockets(this.options.master.terminals, this.options.log);
    this.terminals.listen(listening.server);
    return { host, port: listening.port };
  }

  stop(): Promise<void> {
    this.terminals?.close();
    return closeServer(this.server);
  }

  /** CORS for the app's page, then only the streamed file routes. */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url ?? '/');
    const method = req.method ?? 'GET';
    const origin = req.headers.origin ?? '';
    const allowed = this.options.origins.some((o) => origin.startsWith(o));
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
      const match = route.pattern.exec(url.pathname);
      if (!match || route.method !== method) continue;
      const params = routeParams(route, match);
      this.failures.requireBearer(req, (token) => sameSecret(token, this.options.token));
      // The desktop app's own loopback endpoint: the person at the desktop.
      return serveStreamRoute(this.options.master, route, params, url, req, res, desktopCaller);
    }
    throw new FleetError('not_found', 'This endpoint serves file transfers only.');
  }
}
