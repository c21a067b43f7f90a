// Roles in the UI, in a real Chromium against a real headless master: a viewer (signed in with a
// viewer API token) sees no Run command, Files or Terminals screen and no task buttons, and the API
// refuses it a command (403); an administrator makes a token in Settings → API tokens, copies it
// once, and revokes it.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

describe.skipIf(!hasChromium())('roles in the UI', () => {
  let master: MasterHandle;
  let browser: Browser;
  let nodeId: string;

  beforeAll(async () => {
    master = await startMaster();
    browser = await launchChromium();
    nodeId = (await master.client.createNode({ name: 'web-staging', labels: { env: 'staging' } })).node.id;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
  });

  async function signedIn(token: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(master.adminUrl);
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
    return page;
  }

  /** The status of a call the page makes itself with the token it signed in with. */
  const statusFrom = (page: Page, token: string, path: string, body: unknown) =>
    page.evaluate(
      async ({ token, path, body }) =>
        (
          await fetch(path, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).status,
      { token, path, body },
    );

  it('shows a viewer no Run button, and the API refuses it', async () => {
    const { token } = await master.client.createApiToken({
      name: 'viewer',
      role: 'viewer',
      selector: { env: 'staging' },
    });
    const page = await signedIn(token);
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('button', { name: 'Commands', exact: true }).waitFor();
    // whoAmI has answered once the viewer's own token shows in Settings.
    await nav.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('cell', { name: 'viewer', exact: true }).first().waitFor();
    expect(await nav.getByRole('button', { name: 'Run command' }).count()).toBe(0);
    expect(await nav.getByRole('button', { name: 'Files' }).count()).toBe(0);
    expect(await nav.getByRole('button', { name: 'Terminals' }).count()).toBe(0);
    await expectAccessible(page, 'Settings as a viewer');
    await nav.getByRole('button', { name: 'Tasks', exact: true }).click();
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    expect(await page.getByRole('button', { name: 'New task' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Run now' }).count()).toBe(0);
    // The master refuses what the page does not offer.
    expect(await statusFrom(page, token, '/api/commands', { nodeIds: [nodeId], exec: { command: 'true' } })).toBe(403);
    await page.close();
  }, 60_000);

  it('lets an administrator make a token in Settings, shown once, and revoke it', async () => {
    const page = await signedIn(master.adminToken);
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('button', { name: 'Run command' }).waitFor();
    await nav.getByRole('button', { name: 'Settings', exact: true }).click();
    const form = page.getByRole('form', { name: 'Create token' });
    await form.getByLabel('Name').fill('ci-deploy');
    await form.getByRole('textbox', { name: 'Only nodes labelled (optional)' }).fill('env=staging');
    await form.getByRole('button', { name: 'Create token' }).click();
    const shown = await page.getByTestId('new-api-token').textContent();
    expect(shown).toMatch(/^fdk_/);
    await expectAccessible(page, 'Settings with a new API token');
    const me = await page.evaluate(
      async (token) => (await fetch('/api/me', { headers: { authorization: `Bearer ${token}` } })).json(),
      shown as string,
    );
    expect(me).toMatchObject({ kind: 'api-token', grants: [{ role: 'viewer', selector: [['env', 'staging']] }] });
    await page.getByRole('button', { name: 'Revoke ci-deploy' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('cell', { name: 'revoked' }).waitFor();
    const after = await page.evaluate(
      async (token) => (await fetch('/api/me', { headers: { authorization: `Bearer ${token}` } })).status,
      shown as string,
    );
    expect(after).toBe(401);
    await page.close();
  }, 60_000);
});
