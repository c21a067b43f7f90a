// Who an admin-server request is from: ONE resolver for every route (REST, /api/events, file
// streams, /metrics, the sign-in routes). In order:
//   1. `Authorization: Bearer …`: the data dir's admin token (an administrator without a name), else a
//      person's API token (`fdk_…`, core/access/api-tokens.ts); a wrong one counts per address;
//   2. the session cookie of a signed-in browser, with the CSRF check on state changes.
// The cookie is HttpOnly, SameSite=Strict, Secure when the UI is served over https; the CSRF token
// is a second cookie the renderer reads and echoes in `x-fleetdeck-csrf` (double submit, checked
// against the hash stored with the session), and a browser's Origin must be this server's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';
import { adminTokenCaller, type Caller } from '../contract/caller.js';
import { FleetError } from '../contract/errors.js';
import { ApiTokens } from '../core/access/api-tokens.js';
import type { Master } from '../core/master.js';
import type { NewSession, ResolvedSession } from '../core/people/sessions.js';
import { userCaller } from '../core/people/users.js';
import { bearerOf, type RequestFailures, userAgentOf } from './http-kit.js';

export const SESSION_COOKIE = 'fleetdeck_session';
/** With Secure, the `__Host-` prefix also pins the cookie to this host and path /. */
export const SECURE_SESSION_COOKIE = '__Host-fleetdeck_session';
export const CSRF_COOKIE = 'fleetdeck_csrf';
export const CSRF_HEADER = 'x-fleetdeck-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function cookiesOf(req: IncomingMessage): Record<string, string | undefined> {
  const header = req.headers.cookie;
  return header ? parseCookie(header.slice(0, 8192)) : {};
}

export function sessionCookieOf(req: IncomingMessage): string | null {
  const cookies = cookiesOf(req);
  return cookies[SECURE_SESSION_COOKIE] ?? cookies[SESSION_COOKIE] ?? null;
}

export function cookieOf(req: IncomingMessage, name: string): string | null {
  return cookiesOf(req)[name] ?? null;
}

export class RequestAuth {
  constructor(
    private readonly master: Master,
    private readonly failures: RequestFailures,
    /** Serve cookies with Secure (the UI is reached over https, e.g. --public-url https://…). */
    readonly secureCookies: boolean,
  ) {}

  /** The request's Caller; refuses it (401, 403 for CSRF, 429) when it proves nobody. */
  async resolve(req: IncomingMessage): Promise<Caller> {
    const address = req.socket.remoteAddress ?? null;
    const userAgent = userAgentOf(req);
    if (bearerOf(req) !== undefined) {
      const { admin, access } = this.master;
      return this.failures.requireCaller(req, async (token, at) => {
        // The admin token first: one generated in the data dir is `fdk_…` too, shaped like an API token.
        if (admin.verify(token)) return adminTokenCaller(at, userAgent);
        return ApiTokens.looksLikeToken(token) ? access.tokens.resolve(token, at, userAgent) : null;
      });
    }
    const session = await this.session(req);
    if (session) {
      if (!SAFE_METHODS.has(req.method ?? 'GET')) this.checkCsrf(req, session);
      return userCaller(session.user, session.grants, session.id, address, userAgent);
    }
    throw new FleetError(
      'unauthorized',
      'Not signed in: sign in at the web UI, or send "Authorization: Bearer <token>" (the admin-token file of the data dir).',
    );
  }

  /** The browser session the cookie names, if it is live. */
  async session(req: IncomingMessage): Promise<ResolvedSession | null> {
    const token = sessionCookieOf(req);
    return token ? this.master.accounts.sessions.resolve(token) : null;
  }

  /** A state change from a browser session: same origin, and the CSRF token echoed in the header. */
  checkCsrf(req: IncomingMessage, session: ResolvedSession): void {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null' && !sameOrigin(origin, req.headers.host)) {
      throw new FleetError('forbidden', `Refused: the request comes from another site (${origin.slice(0, 100)}).`);
    }
    const header = req.headers[CSRF_HEADER];
    if (!this.master.accounts.sessions.csrfMatches(session, typeof header === 'string' ? header : undefined)) {
      throw new FleetError(
        'forbidden',
        `Refused: a change needs the ${CSRF_HEADER} header with the value of the ${CSRF_COOKIE} cookie (CSRF protection). Reload the page, or sign in again.`,
      );
    }
  }

  /** Set-Cookie for a new session: the HttpOnly session cookie and the readable CSRF cookie. */
  setSession(res: ServerResponse, session: NewSession): void {
    const maxAge = Math.max(1, Math.floor(this.master.accounts.sessions.timeouts.absoluteMs / 1000));
    const base = { path: '/', sameSite: 'strict' as const, secure: this.secureCookies, maxAge };
    res.setHeader('set-cookie', [
      stringifySetCookie(this.secureCookies ? SECURE_SESSION_COOKIE : SESSION_COOKIE, session.token, {
        ...base,
        httpOnly: true,
      }),
      stringifySetCookie(CSRF_COOKIE, session.csrf, base),
    ]);
  }

  clearSession(res: ServerResponse): void {
    const gone = { path: '/', sameSite: 'strict' as const, secure: this.secureCookies, maxAge: 0 };
    res.setHeader('set-cookie', [
      stringifySetCookie(this.secureCookies ? SECURE_SESSION_COOKIE : SESSION_COOKIE, '', { ...gone, httpOnly: true }),
      stringifySetCookie(CSRF_COOKIE, '', gone),
    ]);
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
