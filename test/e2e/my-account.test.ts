// What a signed-in person does with their own account, in a real Chromium against a real headless
// master: change the password (a wrong current one says so; the new one signs in), see and sign out
// another browser (which is sent back to sign-in), make an API token (shown once, used with fetch,
// its last use listed, revoked → 401), and turn on two-factor sign-in from the secret on screen
// (recovery codes shown once), then sign in with a code and with a recovery code, once only.
// axe finds nothing serious or critical on any screen visited.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../main/core/people/totp.js';
import { expectAccessible } from '../helpers/axe.js';
import { type E2eSession, e2eSession } from '../helpers/e2e-session.js';
import { hasChromium } from '../helpers/services.js';

const NAME = 'mia';
const FIRST_PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'staple battery horse correct';
/** The TOTP period: a code of the next step is accepted now, and is newer than the enrollment's. */
const STEP_MS = 30_000;

describe.skipIf(!hasChromium())('my account in Chromium', () => {
  let s: E2eSession;
  /** The first browser: mia signed in, on Settings. */
  let page: Page;
  let recoveryCodes: string[] = [];

  beforeAll(async () => {
    s = await e2eSession({ loggedIn: false });
    await s.master.client.createUser({
      name: NAME,
      password: FIRST_PASSWORD,
      grants: [{ role: 'operator', selector: null }],
    });
    page = s.page;
  });
  afterAll(() => s?.close());

  const signInPage = (p: Page) => p.getByRole('heading', { name: 'Sign in' });

  /** The sign-in page, filled in; `code` when the master asks for the second factor. */
  async function signIn(p: Page, password: string, code?: string): Promise<void> {
    await p.goto(s.master.adminUrl);
    await signInPage(p).waitFor();
    await p.getByLabel('Account name').fill(NAME);
    await p.getByLabel('Password', { exact: true }).fill(password);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    if (code !== undefined) {
      await p.getByLabel('Code').fill(code);
      await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    }
  }

  async function openSettings(p: Page): Promise<void> {
    // After a reload the shortcut works once the app is up (a key pressed earlier is lost).
    await p.getByRole('navigation').waitFor({ timeout: 15_000 });
    await p.keyboard.press('Alt+7');
    await p.getByRole('heading', { name: `My account: ${NAME}` }).waitFor({ timeout: 15_000 });
  }

  /** Away (Commands) and back: what the screens show when they are opened again. */
  async function reopenSettings(p: Page): Promise<void> {
    await p.keyboard.press('Alt+3');
    await p.getByRole('heading', { name: 'Commands' }).waitFor();
    await openSettings(p);
  }

  async function logOut(p: Page): Promise<void> {
    await p.getByRole('button', { name: 'Log out' }).click();
    await signInPage(p).waitFor({ timeout: 15_000 });
  }

  const passwordForm = () =>
    page.locator('form').filter({ has: page.getByRole('heading', { name: 'Password', exact: true }) });
  const sessionRows = (p: Page) => p.getByRole('region', { name: 'Signed-in browsers' }).locator('tbody tr');

  it('changes the password: a wrong current one says so, then the new one signs in', async () => {
    await signIn(page, FIRST_PASSWORD);
    await page.getByRole('navigation').waitFor();
    await openSettings(page);
    await expectAccessible(page, 'my account');
    const form = passwordForm();
    await form.getByLabel('Current password').fill('not my password at all');
    await form.getByLabel('New password').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('alert').getByText('The current password is wrong.').waitFor({ timeout: 10_000 });
    await expectAccessible(page, 'my account: the wrong-password message');

    await form.getByLabel('Current password').fill(FIRST_PASSWORD);
    await form.getByLabel('New password').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('Password changed.').waitFor({ timeout: 10_000 });
    expect(await form.getByRole('alert').count()).toBe(0);

    await logOut(page);
    await page.getByLabel('Account name').fill(NAME);
    await page.getByLabel('Password', { exact: true }).fill(FIRST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page
      .getByRole('alert')
      .getByText(/Wrong account name or password/)
      .waitFor({ timeout: 15_000 });
    await signIn(page, NEW_PASSWORD);
    await page.getByRole('navigation').waitFor();
    await openSettings(page);
  });

  it('lists a second browser; signing it out sends that browser back to sign-in', async () => {
    await expect.poll(() => sessionRows(page).count(), { timeout: 10_000 }).toBe(1);
    const other = await s.newPage(undefined, false);
    await signIn(other, NEW_PASSWORD);
    await other.getByRole('navigation').waitFor();

    await reopenSettings(page);
    await expect.poll(() => sessionRows(page).count(), { timeout: 10_000 }).toBe(2);
    const mine = sessionRows(page).filter({ hasText: 'this one' });
    expect(await mine.count()).toBe(1);
    await expectAccessible(page, 'my account: two sessions');
    await sessionRows(page).filter({ hasNotText: 'this one' }).getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => sessionRows(page).count(), { timeout: 10_000 }).toBe(1);

    // The other browser's next step (and its cut event stream) finds it signed out.
    await other.keyboard.press('Alt+3');
    await signInPage(other).waitFor({ timeout: 15_000 });
    await expectAccessible(other, 'sign in after being signed out elsewhere');
    await other.close();
  });

  it('makes an API token shown once, which works until it is revoked; its last use is listed', async () => {
    const section = page.getByRole('region', { name: 'API tokens' });
    await section.getByLabel('Name').fill('ci-e2e');
    await section.getByRole('button', { name: 'Create token' }).click();
    const shown = section.getByTestId('new-api-token');
    await shown.waitFor({ timeout: 10_000 });
    const token = (await shown.textContent())?.trim() ?? '';
    expect(token).toMatch(/^fdk_[A-Za-z0-9_-]{43}$/);
    await expectAccessible(page, 'API tokens: the new token');
    await section.getByRole('button', { name: 'Hide the token (it cannot be shown again)' }).click();
    await expect.poll(() => shown.count(), { timeout: 5_000 }).toBe(0);
    await page.reload();
    await openSettings(page);
    const row = section.locator('tbody tr').filter({ hasText: 'ci-e2e' });
    await row.waitFor();
    expect(await page.content()).not.toContain(token);
    expect(await row.locator('td').nth(4).textContent()).toBe('never');

    const nodes = (bearer: string) =>
      fetch(new URL('/api/nodes', s.master.adminUrl), { headers: { authorization: `Bearer ${bearer}` } });
    const used = await nodes(token);
    expect(used.status).toBe(200);
    expect(Array.isArray(await used.json())).toBe(true);
    // The last use is written in the background: the list shows it once it is in.
    await expect
      .poll(
        async () => {
          await reopenSettings(page);
          return row.locator('td').nth(4).textContent();
        },
        { timeout: 15_000 },
      )
      .toMatch(/127\.0\.0\.1/);

    await section.getByRole('button', { name: 'Revoke ci-e2e' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke ci-e2e?' });
    await expectAccessible(page, 'API tokens: revoke dialog');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('revoked').waitFor({ timeout: 10_000 });
    expect((await nodes(token)).status).toBe(401);
  });

  it('turns on two-factor sign-in from the secret on screen; recovery codes are shown once', async () => {
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await expectAccessible(page, 'two-factor enrollment');
    await page.getByLabel('Code from the app').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    const codes = page.getByTestId('recovery-codes');
    await codes.waitFor({ timeout: 10_000 });
    recoveryCodes = ((await codes.textContent()) ?? '').split(/\s+/).filter(Boolean);
    expect(recoveryCodes).toHaveLength(10);
    await page.getByText('On: signing in asks for a code from your authenticator app.').waitFor();
    await expectAccessible(page, 'two-factor on, recovery codes shown');
    await page.reload();
    await openSettings(page);
    await page.getByText('On: signing in asks for a code from your authenticator app.').waitFor();
    expect(await page.getByTestId('recovery-codes').count()).toBe(0);
    expect(await page.content()).not.toContain(recoveryCodes[0]);

    // Signing in asks for the code; the next step's code (newer than the one enrollment took).
    await logOut(page);
    await signIn(page, NEW_PASSWORD, totpCode(secret, Date.now() + STEP_MS));
    await page.getByRole('navigation').waitFor({ timeout: 15_000 });
  });

  it('signs in with a recovery code once, and only once', async () => {
    const code = recoveryCodes[3] as string;
    await logOut(page);
    await signIn(page, NEW_PASSWORD, code);
    await page.getByRole('navigation').waitFor({ timeout: 15_000 });
    await logOut(page);
    await signIn(page, NEW_PASSWORD, code);
    await page
      .getByRole('alert')
      .getByText(/Wrong code/)
      .waitFor({ timeout: 15_000 });
    await expectAccessible(page, 'sign in: a used recovery code');
  });
});
