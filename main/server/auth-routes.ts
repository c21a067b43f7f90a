// The sign-in routes of the admin server (not contract operations: they set and clear cookies):
//   GET  /api/auth                 what the sign-in page needs (first run? single sign-on? signed in?)
//   POST /api/auth/sign-in         name + password (+ code) → session cookies
//   POST /api/auth/setup           the first-run link's token + the first administrator → session
//   POST /api/auth/sign-out        ends this browser's session
//   GET  /api/auth/oidc/start      → the identity provider
//   GET  /api/auth/oidc/callback   ← the identity provider → session, back to the UI
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringifySetCookie } from 'cookie';
import type { z } from 'zod';
import { FirstRunSetup, SignIn } from '../contract/account-schemas.js';
import { describeZodError } from '../contract/dispatch.js';
import { FleetError } from '../contract/errors.js';
import type { Master } from '../core/master.js';
import { SecondFactorRequired } from '../core/people/accounts.js';
import type { NewSession } from '../core/people/sessions.js';
import { cookieOf, type RequestAuth } from './auth.js';
import { securityHeaders, sendJson, userAgentOf } from './http-kit.js';

/** Binds an OIDC sign-in to the browser that started it (Lax: it must come back from the provider). */
const OIDC_STATE_COOKIE = 'fleetdeck_oidc';

type ReadBody = (req: IncomingMessage) => Promise<Record<string, unknown>>;

function parse<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new FleetError('bad_request', `Invalid input: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

export class AuthRoutes {
  constructor(
    private readonly master: Master,
    private readonly auth: RequestAuth,
    private readonly readBody: ReadBody,
  ) {}

  /** Answers the request when it is one of these routes; false when it is not. */
  async handle(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const method = req.method ?? 'GET';
    const route = `${method} ${pathname}`;
    const client = { address: req.socket.remoteAddress ?? null, userAgent: userAgentOf(req) };
    const accounts = this.master.accounts;
    switch (route) {
      case 'GET /api/auth': {
        const session = await this.auth.session(req);
        sendJson(res, 200, {
          setupRequired: await accounts.setupRequired(),
          oidc: await accounts.oidc.publicState(),
          signedIn: session !== null,
        });
        return true;
      }
      case 'POST /api/auth/sign-in': {
        this.checkOrigin(req);
        const input = parse(SignIn, await this.readBody(req));
        try {
          const { session, user } = await accounts.signIn(input, client);
          this.signedIn(res, session, user.name);
        } catch (error) {
          if (!(error instanceof SecondFactorRequired)) throw error;
          sendJson(res, 401, { error: { code: error.code, message: error.message }, secondFactorRequired: true });
        }
        return true;
      }
      case 'POST /api/auth/setup': {
        this.checkOrigin(req);
        const input = parse(FirstRunSetup, await this.readBody(req));
        const { session, user } = await accounts.completeSetup(input, client);
        this.signedIn(res, session, user.name);
        return true;
      }
      case 'POST /api/auth/sign-out': {
        const session = await this.auth.session(req);
        if (session) {
          this.auth.checkCsrf(req, session);
          await accounts.sessions.revoke(session.id);
        }
        this.auth.clearSession(res);
        sendJson(res, 200, { ok: true });
        return true;
      }
      case 'GET /api/auth/oidc/start':
        return this.oidcStart(res);
      case 'GET /api/auth/oidc/callback':
        return this.oidcCallback(req, res, client);
      default:
        return false;
    }
  }

  private signedIn(res: ServerResponse, session: NewSession, name: string): void {
    this.auth.setSession(res, session);
    sendJson(res, 200, { ok: true, name, csrf: session.csrf, expiresAt: session.expiresAt });
  }

  /** A sign-in form posted from another site (login CSRF) is refused. */
  private checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined || origin === 'null') return;
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host !== req.headers.host) {
      throw new FleetError('forbidden', `Refused: the sign-in comes from another site (${origin.slice(0, 100)}).`);
    }
  }

  private async oidcStart(res: ServerResponse): Promise<boolean> {
    const url = await this.master.accounts.oidc.start();
    const state = url.searchParams.get('state') ?? '';
    res.writeHead(302, {
      location: url.href,
      'cache-control': 'no-store',
      'set-cookie': stringifySetCookie(OIDC_STATE_COOKIE, state, {
        path: '/api/auth/oidc',
        httpOnly: true,
        sameSite: 'lax',
        secure: this.auth.secureCookies,
        maxAge: 600,
      }),
      ...securityHeaders,
    });
    res.end();
    return true;
  }

  private async oidcCallback(
    req: IncomingMessage,
    res: ServerResponse,
    client: { address: string | null; userAgent: string | null },
  ): Promise<boolean> {
    const redirect = new URL(await this.redirectUrl());
    const callback = new URL(req.url ?? '/', redirect.origin);
    const clearState = stringifySetCookie(OIDC_STATE_COOKIE, '', { path: '/api/auth/oidc', maxAge: 0 });
    try {
      const state = callback.searchParams.get('state');
      if (!state || cookieOf(req, OIDC_STATE_COOKIE) !== state) {
        throw new FleetError('unauthorized', 'This sign-in was not started in this browser: start it again.');
      }
      const { session } = await this.master.accounts.finishOidc(callback, client);
      this.auth.setSession(res, session);
      res.appendHeader('set-cookie', clearState);
      res.writeHead(302, { location: '/', 'cache-control': 'no-store', ...securityHeaders });
    } catch (error) {
      const message = error instanceof FleetError ? error.message : 'Single sign-on failed; see the master log.';
      if (!(error instanceof FleetError)) this.master.options.log.warn({ err: error }, 'OpenID Connect sign-in failed');
      res.setHeader('set-cookie', clearState);
      res.writeHead(302, {
        location: `/?signInError=${encodeURIComponent(message.slice(0, 300))}`,
        'cache-control': 'no-store',
        ...securityHeaders,
      });
    }
    res.end();
    return true;
  }

  private async redirectUrl(): Promise<string> {
    const view = await this.master.accounts.oidc.view();
    if (!view?.enabled) throw new FleetError('not_found', 'Single sign-on is not set up on this master.');
    return view.redirectUrl;
  }
}
