// Accounts over the admin server: the first-run setup link, sign-in cookies (HttpOnly, SameSite=
// Strict), CSRF refused (no header, a forged one, another site's Origin), the event stream and
// file routes on the session cookie, sign out everywhere, and the admin token never locked out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { tempDir } from '../helpers/processes.js';

const ADMIN_TOKEN = 'accounts-http-admin-token-0123';
const PASSWORD = 'correct horse battery';

let master: Master;
let server: AdminServer;
let base: string;

beforeAll(async () => {
  master = await Master.start({
    dataDir: tempDir('fleetdeck-accounts-'),
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: false,
    adminToken: ADMIN_TOKEN,
    accounts: { hashCost: { memoryCost: 1024, timeCost: 1 } },
    log: silentLogger,
  });
  server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
  base = `http://127.0.0.1:${(await server.start()).port}`;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await master?.stop();
});

/** A browser's cookie jar, in one object: the session cookie and the CSRF cookie. */
class Browser {
  cookies = new Map<string, string>();
  setCookies: string[] = [];

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const all: Record<string, string> = { ...headers };
    if (this.cookies.size > 0) all.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) all['content-type'] = 'application/json';
    const response = await fetch(base + path, {
      method,
      headers: all,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    this.setCookies = response.headers.getSetCookie();
    for (const line of this.setCookies) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch {
      json = { text };
    }
    return { status: response.status, body: json as Record<string, unknown> & { error?: { message: string } } };
  }

  /** A state change as the renderer sends it: the CSRF cookie echoed in the header. */
  change(method: string, path: string, body?: unknown) {
    return this.call(method, path, body, { 'x-fleetdeck-csrf': this.cookies.get('fleetdeck_csrf') ?? '' });
  }
}

describe('accounts over HTTP', () => {
  const admin = new Browser();

  it('creates the first administrator from the one-time setup link and signs them in', async () => {
    expect((await admin.call('GET', '/api/auth')).body).toMatchObject({ setupRequired: true, signedIn: false });
    const token = (await master.accounts.issueSetupToken()) as string;
    const wrong = await admin.call('POST', '/api/auth/setup', {
      token: 'x'.repeat(43),
      name: 'root',
      password: PASSWORD,
    });
    expect(wrong.status).toBe(403);
    const done = await admin.call('POST', '/api/auth/setup', { token, name: 'root', password: PASSWORD });
    expect(done.status).toBe(200);
    const session = admin.setCookies.find((c) => c.startsWith('fleetdeck_session='));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).not.toMatch(/Secure/); // plain http here; Secure with an https --public-url
    expect(admin.setCookies.find((c) => c.startsWith('fleetdeck_csrf='))).not.toMatch(/HttpOnly/);
    const me = await admin.call('GET', '/api/account');
    expect(me.body).toMatchObject({ kind: 'user', name: 'root', user: { grants: [{ role: 'administrator' }] } });
    expect((await admin.call('POST', '/api/auth/setup', { token, name: 'again', password: PASSWORD })).status).toBe(
      403,
    );
    expect((await admin.call('GET', '/api/auth')).body).toMatchObject({ setupRequired: false, signedIn: true });
  });

  it('refuses a state change without the CSRF header, with a forged one, or from another site', async () => {
    const body = { name: 'bob', password: PASSWORD, grants: [{ role: 'viewer', selector: null }] };
    const bare = await admin.call('POST', '/api/users', body);
    expect(bare.status).toBe(403);
    expect(bare.body.error?.message).toMatch(/CSRF/);
    const forged = await admin.call('POST', '/api/users', body, { 'x-fleetdeck-csrf': 'forged-value' });
    expect(forged.status).toBe(403);
    const csrf = admin.cookies.get('fleetdeck_csrf') as string;
    const crossSite = await admin.call('POST', '/api/users', body, {
      'x-fleetdeck-csrf': csrf,
      origin: 'https://evil.example',
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error?.message).toMatch(/another site/);
    const created = await admin.change('POST', '/api/users', body);
    expect(created.status).toBe(201);
    // Reads need no CSRF token.
    expect((await admin.call('GET', '/api/users')).status).toBe(200);
  });

  it('serves the event stream and the metrics on the session cookie', async () => {
    const jar = [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const controller = new AbortController();
    const events = await fetch(`${base}/api/events`, { headers: { cookie: jar }, signal: controller.signal });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/text\/event-stream/);
    controller.abort();
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { cookie: jar } })).status).toBe(200);
  });

  it('signs in with a password, asks for the second factor, and signs out everywhere', async () => {
    const bob = new Browser();
    const wrong = await bob.call('POST', '/api/auth/sign-in', { name: 'bob', password: 'not the password' });
    expect(wrong.status).toBe(401);
    const phone = new Browser();
    expect((await phone.call('POST', '/api/auth/sign-in', { name: 'bob', password: PASSWORD })).status).toBe(200);
    expect((await bob.call('POST', '/api/auth/sign-in', { name: 'bob', password: PASSWORD })).status).toBe(200);
    const sessions = await bob.call('GET', '/api/account/sessions');
    expect(sessions.body).toHaveLength(2);
    const everywhere = await bob.change('POST', '/api/account/sign-out-everywhere');
    expect(everywhere.body).toEqual({ revoked: 2 });
    expect((await bob.call('GET', '/api/account')).status).toBe(401);
    expect((await phone.call('GET', '/api/account')).status).toBe(401);
    // Sign out of one browser clears its cookies.
    const again = new Browser();
    await again.call('POST', '/api/auth/sign-in', { name: 'bob', password: PASSWORD });
    expect((await again.change('POST', '/api/auth/sign-out')).status).toBe(200);
    expect(again.cookies.size).toBe(0);
  });

  it('keeps the admin token working, and never locks it out after wrong tokens from the same address', async () => {
    for (let i = 0; i < 40; i++) {
      await fetch(`${base}/api/nodes`, { headers: { authorization: `Bearer wrong-${i}-0123456789` } });
    }
    const blocked = await fetch(`${base}/api/nodes`, { headers: { authorization: 'Bearer wrong-again-0123456789' } });
    expect(blocked.status).toBe(429);
    const right = await fetch(`${base}/api/nodes`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(right.status).toBe(200);
    // An admin-token request is no browser: no CSRF token needed.
    const me = await fetch(`${base}/api/account`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await me.json()).toMatchObject({ kind: 'admin-token', user: null });
  });
});
