// Single sign-on against a real OpenID Connect provider run in the test: `oidc-provider` (panva's
// certified implementation) on loopback, its development login form. Chromium goes from the sign-in
// page's button through the provider and back; the account is created with the default role.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

describe.skipIf(!hasChromium())('OpenID Connect sign-in', () => {
  let master: MasterHandle;
  let browser: Browser;
  let idp: Server;
  let issuer: string;

  beforeAll(async () => {
    master = await startMaster();
    browser = await launchChromium();
    idp = createServer();
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', () => r()));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'fleetdeck',
          client_secret: 'fleetdeck-test-client-secret',
          redirect_uris: [`${master.adminUrl}api/auth/oidc/callback`],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      claims: { openid: ['sub'], profile: ['preferred_username'] },
      findAccount: async (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: async () => ({ sub: id, preferred_username: id }),
      }),
      features: { devInteractions: { enabled: true } },
    });
    idp.on('request', provider.callback());
  });
  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
    idp?.close();
  });

  /** Signs in at the provider as `login` from a fresh browser context; back on FleetDeck, its error if any. */
  async function ssoSignIn(login: string) {
    const page = await browser.newPage();
    await page.goto(master.adminUrl);
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.locator('button[type="submit"]').click();
    // The provider's consent page, then back to FleetDeck.
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href.startsWith(master.adminUrl), { timeout: 20_000 });
    return { page, signInError: new URL(page.url()).searchParams.get('signInError') };
  }

  it('signs in through the provider and creates the account with the default role', async () => {
    await master.client.saveOidcSettings({
      enabled: true,
      label: 'Test IdP',
      issuer,
      clientId: 'fleetdeck',
      clientSecret: 'fleetdeck-test-client-secret',
      redirectUrl: `${master.adminUrl}api/auth/oidc/callback`,
      nameClaim: 'preferred_username',
      autoCreate: true,
      defaultGrant: { role: 'viewer', selector: null },
    });
    const stored = await master.client.getOidcSettings({});
    expect(stored).toMatchObject({ enabled: true, hasClientSecret: true });
    expect(JSON.stringify(stored)).not.toContain('fleetdeck-test-client-secret');
    // One admin so the page is the sign-in page, not the first-run one.
    await master.client.createUser({ name: 'root', password: 'correct horse battery', grants: [] });
    const { page, signInError } = await ssoSignIn('erin');
    expect(signInError).toBeNull();
    await page.getByRole('navigation').waitFor({ timeout: 20_000 });
    const users = await master.client.listUsers({});
    expect(users.find((u) => u.name === 'erin')).toMatchObject({ oidc: true, grants: [{ role: 'viewer' }] });
    await page.close();
  });

  it('binds an account made for single sign-on, never one with a password, and creates none when told not to', async () => {
    // "root" has a password: an identity that calls itself root gets nothing of it.
    const asRoot = await ssoSignIn('root');
    expect(asRoot.signInError).toMatch(/signs in with its password/);
    await asRoot.page.getByText(/signs in with its password/).waitFor({ timeout: 10_000 });
    await asRoot.page.close();
    expect((await master.client.listUsers({})).find((u) => u.name === 'root')).toMatchObject({ oidc: false });

    // An account an administrator made without a password is bound at its first sign-in, its roles kept.
    await master.client.createUser({ name: 'frank', grants: [{ role: 'operator', selector: [['env', 'staging']] }] });
    const asFrank = await ssoSignIn('frank');
    expect(asFrank.signInError).toBeNull();
    await asFrank.page.getByRole('navigation').waitFor({ timeout: 20_000 });
    await asFrank.page.close();
    expect((await master.client.listUsers({})).find((u) => u.name === 'frank')).toMatchObject({
      oidc: true,
      hasPassword: false,
      grants: [{ role: 'operator', selector: [['env', 'staging']] }],
    });

    // Automatic accounts off: an unknown identity is refused, and no account appears.
    await master.client.saveOidcSettings({
      enabled: true,
      label: 'Test IdP',
      issuer,
      clientId: 'fleetdeck',
      redirectUrl: `${master.adminUrl}api/auth/oidc/callback`,
      nameClaim: 'preferred_username',
      autoCreate: false,
      defaultGrant: null,
    });
    const asGina = await ssoSignIn('gina');
    expect(asGina.signInError).toMatch(/There is no account gina here/);
    await asGina.page.close();
    expect((await master.client.listUsers({})).some((u) => u.name === 'gina')).toBe(false);
  });
});
