// People in a real Chromium against a real headless master: an administrator adds a person in
// Settings → People as an operator of `env=staging`, the person signs in and sees the staging node
// only; the administrator makes them a viewer and disables them, and the master refuses their
// sign-in until they are enabled again. axe-clean People section.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const PASSWORD = 'staging only, please';

describe.skipIf(!hasChromium())('people in the UI', () => {
  let master: MasterHandle;
  let browser: Browser;

  beforeAll(async () => {
    master = await startMaster();
    browser = await launchChromium();
    await master.client.createNode({ name: 'web-staging', labels: { env: 'staging' } });
    await master.client.createNode({ name: 'web-prod', labels: { env: 'prod' } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
  });

  const newPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    return page;
  };

  /** What the master answers a password sign-in of `name` (the status only). */
  const signInStatus = async (name: string) =>
    (
      await fetch(`${master.adminUrl}api/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, password: PASSWORD }),
      })
    ).status;

  const olga = async () => (await master.client.listUsers({})).find((u) => u.name === 'olga');

  async function peopleSection(): Promise<Page> {
    const page = await newPage();
    await page.goto(master.adminUrl);
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'People' }).waitFor();
    return page;
  }

  it('adds an operator scoped to env=staging, who then sees only the staging node', async () => {
    const admin = await peopleSection();
    const form = admin.locator('form').filter({ hasText: 'Add a person' });
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('olga');
    await form.getByLabel('New password').fill(PASSWORD);
    await form.getByRole('combobox', { name: 'Role', exact: true }).selectOption('operator');
    await form.getByRole('textbox', { name: 'On nodes labelled' }).fill('env=staging');
    await form.getByRole('button', { name: 'Create account' }).click();
    await admin.getByRole('cell', { name: 'operator (env=staging)' }).waitFor();
    await expectAccessible(admin, 'Settings: People');
    expect((await olga())?.grants).toEqual([{ role: 'operator', selector: [['env', 'staging']] }]);

    const person = await newPage();
    await person.goto(master.adminUrl);
    await person.getByLabel('Account name').fill('olga');
    await person.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await person.getByRole('button', { name: 'Sign in', exact: true }).click();
    await person.getByText('web-staging').first().waitFor();
    expect(await person.getByText('web-prod').count()).toBe(0);
    await person.close();
    await admin.close();
  }, 90_000);

  it('makes the person a viewer, disables them (sign-in refused) and enables them again', async () => {
    const admin = await peopleSection();
    await admin.getByRole('combobox', { name: 'Role of olga' }).selectOption('viewer');
    await admin.getByRole('cell', { name: 'viewer (env=staging)' }).waitFor();
    expect((await olga())?.grants).toEqual([{ role: 'viewer', selector: [['env', 'staging']] }]);

    const row = admin.getByRole('row').filter({ hasText: 'olga' });
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('disabled', { exact: true }).waitFor();
    expect((await olga())?.disabled).toBe(true);
    expect(await signInStatus('olga')).toBeGreaterThanOrEqual(400);

    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByRole('button', { name: 'Disable' }).waitFor();
    expect(await signInStatus('olga')).toBe(200);
    await admin.close();
  }, 90_000);
});
