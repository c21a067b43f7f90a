// The public status page in a real Chromium against a real headless master started with
// --status-listen: set up in Settings → Status page (axe on the section), then the page itself at
// 1440 px (light) and 390 px (dark), in English and Chinese: axe clean, no sideways scrolling,
// screenshots saved (docs/screenshots with FLEETDECK_SCREENSHOTS=1).
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, ROOT, startMaster, tempDir } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const enabled = hasChromium();
const SHOTS =
  process.env.FLEETDECK_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : tempDir('fleetdeck-shots-');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(!enabled)('public status page in Chromium', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;
  let statusBase = '';

  beforeAll(async () => {
    const port = await freePort();
    statusBase = `http://127.0.0.1:${port}`;
    master = await startMaster({ args: ['--status-listen', `127.0.0.1:${port}`] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(master.adminUrl);
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('(this master)').waitFor();
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
  });

  it('is set up in Settings: enabled, titled, a group with the local node under a public name', {
    timeout: 90_000,
  }, async () => {
    expect((await fetch(`${statusBase}/status`)).status).toBe(404); // off by default
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Status page' }).waitFor();
    await page.getByRole('switch', { name: 'Publish the status page' }).waitFor();
    await expectAccessible(page, 'Settings with the status page section');
    await page.getByRole('switch', { name: 'Publish the status page' }).check();
    await page.getByRole('textbox', { name: 'Title' }).fill('Acme status');
    await page.getByRole('textbox', { name: 'Description' }).fill('Live state of the services our customers use.');
    await page.getByRole('button', { name: 'Add a group' }).click();
    await page.getByRole('textbox', { name: 'Group 1 name' }).fill('Core services');
    await page.getByRole('button', { name: 'Add an entry' }).click();
    await page.getByRole('combobox', { name: 'Node of entry 1.1' }).click();
    // The node list that just opened (Settings holds other, native selects too).
    await page.getByRole('listbox').getByRole('option').first().click();
    await page.getByRole('textbox', { name: 'Shown as (entry 1.1)' }).fill('Main website');
    await page.getByRole('button', { name: 'Add an entry' }).click();
    await page.getByRole('combobox', { name: 'Entry 1.2', exact: true }).click();
    await page.getByRole('option', { name: 'Nodes by labels' }).click();
    await page.getByRole('textbox', { name: 'Labels of entry 1.2' }).fill('none=matches');
    await expectAccessible(page, 'the status page settings being edited');
    await page.getByRole('button', { name: 'Save the status page' }).click();
    await page.getByText('Status page saved').waitFor();
    await page.getByText('Main website').first().waitFor();
    const view = await master.client.getStatusPage({});
    expect(view.config).toMatchObject({ enabled: true, title: 'Acme status', path: '/status' });
    expect(view.config.groups[0]?.items[0]).toMatchObject({ kind: 'node', displayName: 'Main website' });
    expect(view.entries.map((e) => e.name)).toEqual(['Main website']);
    await page.screenshot({ path: join(SHOTS, 'settings-status-page.png'), fullPage: true });
  });

  async function checkPage(p: Page, name: string, shot: string) {
    await p.goto(`${statusBase}/status`);
    await p.getByRole('heading', { name: 'Acme status', level: 1 }).waitFor();
    await p.getByRole('heading', { name: 'Main website', level: 3 }).waitFor();
    await expectAccessible(p, name);
    const overflow = await p.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
    await p.screenshot({ path: join(SHOTS, shot), fullPage: true });
  }

  it('serves the page on its own listener: axe clean at 1440 px light and 390 px dark, English and Chinese', {
    timeout: 120_000,
  }, async () => {
    // The local node is online: the page says so (its agent runs in the master).
    await expect
      .poll(async () => (await (await fetch(`${statusBase}/status/status.json`)).json()).overall, { timeout: 60_000 })
      .toBe('operational');
    const wide = await browser.newPage({
      viewport: { width: 1440, height: 900 },
      locale: 'en-US',
      colorScheme: 'light',
    });
    await checkPage(wide, 'the status page at 1440 px (light)', 'status-page-1440.png');
    await wide.getByText('All systems operational').waitFor();
    await wide.close();
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      locale: 'en-US',
      colorScheme: 'dark',
    });
    await checkPage(phone, 'the status page at 390 px (dark)', 'status-page-390-dark.png');
    await phone.close();
    const chinese = await browser.newPage({
      viewport: { width: 390, height: 844 },
      locale: 'zh-CN',
      colorScheme: 'light',
      extraHTTPHeaders: { 'accept-language': 'zh-CN,zh;q=0.9' },
    });
    await checkPage(chinese, 'the status page in Chinese at 390 px', 'status-page-390-zh.png');
    await chinese.getByText('所有系统运行正常').waitFor();
    expect(await chinese.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await chinese.close();
    // The admin address serves it too, at its path, without a credential.
    expect((await fetch(new URL('/status', master.adminUrl))).status).toBe(200);
    const badge = await fetch(`${statusBase}/status/badge/main-website.svg`);
    expect(badge.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await badge.text()).toContain('>up<');
  });
});
