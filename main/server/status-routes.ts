// The public status page over HTTP, without any credential: `<path>` (HTML), `<path>/status.json`,
// `<path>/badge.svg` (the page) and `<path>/badge/<key>.svg` (an entry; `?type=uptime&period=24h|30d|90d`
// for its uptime instead of up/down). Everything is served from the service's build in memory with an
// ETag (304 on If-None-Match); off, the path is 404 like any unknown one. The admin server hands these
// requests over before authentication; `--status-listen` serves them on a listener of their own.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { PublicStatusPage } from '../contract/status-page-schemas.js';
import type { Logger } from '../core/log.js';
import { BADGE_COLOURS, PAGE_STYLE_HASH, renderBadge, uptimeColour } from '../core/status-page/render.js';
import type { Snapshot, StatusPageService } from '../core/status-page/service.js';
import { PAGE_STRINGS, percentText, pickLanguage } from '../core/status-page/strings.js';
import { closeServer, listenGuarded, RequestFailures, requestUrl } from './http-kit.js';

const CACHE = 'public, max-age=30';
const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'cross-origin',
};
const HTML_CSP = `default-src 'none'; style-src '${PAGE_STYLE_HASH}'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

type Body = { body: string; etag: string; type: string; vary?: string };

function send(req: IncomingMessage, res: ServerResponse, out: Body, extra: Record<string, string> = {}): void {
  const headers: Record<string, string> = {
    ...BASE_HEADERS,
    'content-type': out.type,
    'cache-control': CACHE,
    etag: out.etag,
    ...(out.vary ? { vary: out.vary } : {}),
    ...extra,
  };
  const match = req.headers['if-none-match'];
  if (match?.split(',').some((t) => t.trim() === out.etag || t.trim() === `W/${out.etag}`)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(out.body)) });
  res.end(req.method === 'HEAD' ? undefined : out.body);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { ...BASE_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end('Not found\n');
}

type Entry = PublicStatusPage['groups'][number]['entries'][number];

function findEntry(page: PublicStatusPage, key: string, showIds: boolean): Entry | undefined {
  for (const g of page.groups) {
    for (const e of g.entries) if (e.key === key || (showIds && e.id === key)) return e;
  }
  return undefined;
}

/** The mean of the entries' figures (those observed), in thousandths. */
function pageUptime(page: PublicStatusPage, period: 'h24' | 'd30' | 'd90'): number | null {
  const values = page.groups.flatMap((g) => g.entries.map((e) => e.uptime[period])).filter((v) => v !== null);
  return values.length ? Math.floor(values.reduce((a, b) => a + b, 0) / values.length) : null;
}

const PERIODS = { '24h': 'h24', '30d': 'd30', '90d': 'd90' } as const;

export class StatusRoutes {
  constructor(private readonly service: StatusPageService) {}

  /**
   * Answers the request when it is the status page's (true); otherwise leaves it (false). `standalone`:
   * the status listener, which also redirects `/` to the page.
   */
  async handle(req: IncomingMessage, res: ServerResponse, standalone: boolean): Promise<boolean> {
    const url = requestUrl(req.url ?? '/');
    let snapshot: Snapshot;
    try {
      snapshot = await this.service.current();
    } catch (error) {
      if (!standalone) return false; // the database is away before the first build: not ours to answer
      throw error;
    }
    const base = snapshot.config.path;
    const path = url.pathname;
    if (standalone && path === '/' && snapshot.enabled) {
      res.writeHead(302, { ...BASE_HEADERS, location: base, 'cache-control': CACHE });
      res.end();
      return true;
    }
    if (path !== base && !path.startsWith(`${base}/`)) return false;
    if (!snapshot.enabled || !snapshot.page) {
      notFound(res);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...BASE_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Only GET and HEAD are answered here.\n');
      return true;
    }
    const rest = path.slice(base.length);
    if (rest === '' || rest === '/') {
      this.page(req, res, snapshot);
      return true;
    }
    if (rest === '/status.json' && snapshot.json) {
      send(
        req,
        res,
        { ...snapshot.json, type: 'application/json; charset=utf-8' },
        { 'access-control-allow-origin': '*' },
      );
      return true;
    }
    const badge = /^\/badge(?:\/([a-z0-9-]{1,64}))?\.svg$/.exec(rest);
    if (badge) {
      this.badge(req, res, snapshot, snapshot.page, badge[1], url.searchParams);
      return true;
    }
    notFound(res);
    return true;
  }

  private page(req: IncomingMessage, res: ServerResponse, snapshot: Snapshot): void {
    const accept = req.headers['accept-language'];
    const language = pickLanguage(snapshot.config.language, typeof accept === 'string' ? accept : undefined);
    const html = this.service.html(snapshot, language);
    if (!html) {
      notFound(res);
      return;
    }
    send(
      req,
      res,
      {
        ...html,
        type: 'text/html; charset=utf-8',
        vary: snapshot.config.language === 'auto' ? 'Accept-Language' : undefined,
      },
      { 'content-security-policy': HTML_CSP, 'x-frame-options': 'DENY', 'content-language': language },
    );
  }

  private badge(
    req: IncomingMessage,
    res: ServerResponse,
    snapshot: Snapshot,
    page: PublicStatusPage,
    key: string | undefined,
    query: URLSearchParams,
  ): void {
    const entry = key === undefined ? undefined : findEntry(page, key, snapshot.config.showIds);
    if (key !== undefined && !entry) {
      notFound(res);
      return;
    }
    // Badges sit in READMEs and dashboards: the configured language, English when it follows the visitor.
    const language = snapshot.config.language === 'auto' ? 'en' : snapshot.config.language;
    const s = PAGE_STRINGS[language];
    const periodName = query.get('period') ?? '90d';
    const period = PERIODS[periodName as keyof typeof PERIODS] ?? 'd90';
    let label: string;
    let value: string;
    let colour: string;
    if (query.get('type') === 'uptime') {
      const permille = entry ? entry.uptime[period] : pageUptime(page, period);
      label = `${s.badgeUptime} ${s.periods[period]}`;
      value = percentText(permille, language) ?? s.noData;
      colour = uptimeColour(permille);
    } else {
      const state = entry
        ? entry.state
        : page.overall === 'operational'
          ? 'up'
          : page.overall === 'unknown'
            ? 'unknown'
            : 'down';
      label = s.badgeStatus;
      value = state === 'unknown' ? s.noData : state;
      colour = BADGE_COLOURS[state];
    }
    const body = renderBadge(label, value, colour);
    send(
      req,
      res,
      {
        body,
        etag: `"${snapshot.builtAt.toString(36)}-${Buffer.from(body).length}-${hash(body)}"`,
        type: 'image/svg+xml; charset=utf-8',
      },
      {
        'access-control-allow-origin': '*',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      },
    );
  }
}

/** A short non-cryptographic hash (FNV-1a) for a badge's ETag: badges are made per request, cheaply. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/** `--status-listen`: a listener that serves the status page and nothing else. */
export class StatusServer {
  private server: Server | null = null;
  private readonly routes: StatusRoutes;
  private readonly failures: RequestFailures;

  constructor(private readonly options: { host: string; port: number; service: StatusPageService; log: Logger }) {
    this.routes = new StatusRoutes(options.service);
    this.failures = new RequestFailures(options.log);
  }

  async start(): Promise<{ host: string; port: number }> {
    const { host, port } = this.options;
    const listening = await listenGuarded(host, port, this.failures, async (req, res) => {
      if (!(await this.routes.handle(req, res, true))) notFound(res);
    });
    this.server = listening.server;
    return { host, port: listening.port };
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}
