// Accounts in a real Chromium against a real headless master: the first administrator created from
// the setup link the master printed, then (two factors turned on with a generated code) signing in asks
// for the code and takes it; axe-clean sign-in, setup and code pages.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../main/core/people/totp.js';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const PASSWORD = 'correct horse battery';

describe.skipIf(!hasChromium())('accounts in the UI', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    master = await startMaster();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  });
  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
  });

  it('creates the first administrator from the printed setup link', async () => {
    const link = /open (http:\/\/\S+\?setup=[A-Za-z0-9_-]+)/.exec(master.proc.output())?.[1];
    expect(link).toBeTruthy();
    await page.goto(link as string);
    await page.getByRole('heading', { name: 'Create the first administrator' }).waitFor();
    await expectAccessible(page, 'first-run setup');
    await page.getByLabel('Account name').fill('root');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create and sign in' }).click();
    await page.getByRole('navigation').waitFor();
    expect(page.url()).not.toContain('setup=');
  });

  it('signs in with a password and then the 2FA code', async () => {
    // Two factors for a second account, enrolled over the API with a generated code.
    await master.client.createUser({ name: 'dana', password: PASSWORD, grants: [{ role: 'viewer', selector: null }] });
    const signInApi = async () => {
      const response = await fetch(`${master.adminUrl}api/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'dana', password: PASSWORD }),
      });
      const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]);
      const csrf = cookies.find((c) => c?.startsWith('fleetdeck_csrf='))?.split('=')[1] ?? '';
      return { cookie: cookies.join('; '), csrf };
    };
    const { cookie, csrf } = await signInApi();
    const call = async (path: string, body: unknown) => {
      const response = await fetch(`${master.adminUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-fleetdeck-csrf': csrf },
        body: JSON.stringify(body),
      });
      return (await response.json()) as Record<string, unknown>;
    };
    const { secret } = (await call('api/account/totp', {})) as { secret: string };
    const { recoveryCodes } = (await call('api/account/totp/confirm', { code: totpCode(secret) })) as {
      recoveryCodes: string[];
    };
    expect(recoveryCodes).toHaveLength(10);

    const dana = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await dana.goto(master.adminUrl);
    await dana.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectAccessible(dana, 'sign in');
    await dana.getByLabel('Account name').fill('dana');
    await dana.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await dana.getByRole('button', { name: 'Sign in', exact: true }).click();
    const codeField = dana.getByLabel('Code');
    await codeField.waitFor();
    await expectAccessible(dana, 'sign in: the code');
    // A recovery code works once; the TOTP code of the moment (the step after enrollment's, so not a replay).
    await codeField.fill(recoveryCodes[0] as string);
    await dana.getByRole('button', { name: 'Sign in', exact: true }).click();
    await dana.getByRole('navigation').waitFor();
    await dana.close();
    const again = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await again.goto(master.adminUrl);
    await again.getByLabel('Account name').fill('dana');
    await again.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await again.getByRole('button', { name: 'Sign in', exact: true }).click();
    await again.getByLabel('Code').fill(recoveryCodes[0] as string);
    await again.getByRole('button', { name: 'Sign in', exact: true }).click();
    await again
      .getByRole('alert')
      .getByText(/Wrong code/)
      .waitFor();
    await again.close();
  });
});
