// The shell in a real Chromium against a real headless master: the command palette, colour scheme,
// language and dialogs, with axe-core on what they show.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, ROOT, startMaster, tempDir } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const enabled = hasChromium();
// `npm run screenshots` refreshes docs/screenshots/ (dark and 390 px views here); ordinary runs use a temp dir.
const SHOTS =
  process.env.FLEETDECK_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : tempDir('fleetdeck-shots-');
const slug = (screen: string) => screen.toLowerCase().replace(/\s+/g, '-');

/** The screen's chunk and first data are in: no loader or skeleton left. */
async function settled(page: Page) {
  await expect.poll(() => page.locator('.mantine-Loader-root, .mantine-Skeleton-root').count()).toBe(0);
  await page.waitForTimeout(300);
}

describe.skipIf(!enabled)('shell in Chromium', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    master = await startMaster();
    await master.api('POST', '/api/nodes', { name: 'palette-target' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    mkdirSync(SHOTS, { recursive: true });
    await page.goto(master.adminUrl);
    await expectAccessible(page, 'the login screen');
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('(this master)').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
  });

  it('opens the palette with Ctrl+K, lists the shortcuts, and jumps to a node by name', async () => {
    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog');
    await palette.getByText('Keyboard shortcuts').waitFor();
    expect(await palette.getByRole('button', { name: /Go to Tasks/ }).textContent()).toMatch(/Alt\s*4/);
    await expectAccessible(page, 'the command palette');
    await page.keyboard.type('palette-target');
    await palette.getByRole('button', { name: 'Open palette-target' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'palette.png') });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'palette-target' }).waitFor();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    // "Run a command on…" opens Run command with that node ticked.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('run a command on palette-target');
    await page.getByRole('button', { name: 'Run a command on palette-target' }).click();
    await expect.poll(() => page.getByLabel('palette-target').isChecked()).toBe(true);
    // Escape closes the palette without doing anything.
    await page.keyboard.press('Control+k');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  });

  it('follows the system colour scheme until the user picks one', async () => {
    const scheme = () => page.evaluate(() => document.documentElement.dataset.mantineColorScheme);
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(scheme).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(scheme).toBe('light');
    await page.getByRole('button', { name: /Colour theme: System/ }).click();
    await expect.poll(scheme).toBe('light');
    await page.getByRole('button', { name: /Colour theme: Light/ }).click();
    await expect.poll(scheme).toBe('dark');
    // Chosen, it stays through a system flip and a reload.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.reload();
    await page.getByText('(this master)').waitFor();
    await expect.poll(scheme).toBe('dark');
    await expectAccessible(page, 'the fleet view (dark)');
    await page.getByRole('button', { name: /Colour theme: Dark/ }).click();
    await expect.poll(scheme).toBe('light');
  });

  it('switches the language to Simplified Chinese in Settings and keeps it', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('combobox', { name: 'Language' }).click();
    await page.getByRole('option', { name: '简体中文' }).click();
    await page.getByRole('button', { name: '计划任务', exact: true }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await page.reload();
    await page.getByRole('button', { name: '设置', exact: true }).click();
    await page.getByRole('heading', { name: '外观' }).waitFor();
    await expectAccessible(page, 'Settings in Chinese');
    await page.getByRole('combobox', { name: '界面语言' }).click();
    await page.getByRole('option', { name: /跟随系统/ }).click();
    await page.getByRole('button', { name: 'Tasks', exact: true }).waitFor();
  });

  // Every screen, narrow as a phone and wide as a desktop: nothing scrolls sideways, axe finds nothing
  // serious. Navigation at 390 px goes through the burger drawer.
  const SCREENS = ['Nodes', 'Run command', 'Commands', 'Tasks', 'Files', 'Alerts', 'Settings'] as const;
  const AXE_SCREENS: readonly string[] = SCREENS;

  it('lays every screen out at 390 px without sideways scrolling, navigating through the drawer', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true });
    try {
      await phone.goto(master.adminUrl);
      await phone.getByLabel('Admin token').fill(master.adminToken);
      await phone.getByRole('button', { name: 'Log in' }).click();
      await phone.getByText('(this master)').first().waitFor();
      const overflow = () => phone.evaluate(() => (document.scrollingElement?.scrollWidth ?? 0) - window.innerWidth);
      for (const screen of SCREENS) {
        await phone.getByRole('button', { name: 'Open navigation' }).click();
        await phone.getByRole('button', { name: screen, exact: true }).click();
        await phone.getByRole('button', { name: 'Open navigation' }).waitFor();
        await settled(phone);
        expect({ screen, overflow: await overflow() }).toEqual({ screen, overflow: 0 });
        if (AXE_SCREENS.includes(screen)) await expectAccessible(phone, `${screen} at 390 px`);
        await phone.screenshot({ path: join(SHOTS, `narrow-${slug(screen)}.png`) });
      }
    } finally {
      await phone.close();
    }
  });

  it('passes axe on every screen in both colour schemes at desktop width', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const screen of AXE_SCREENS) {
        await page.getByRole('button', { name: screen, exact: true }).click();
        await settled(page);
        await expectAccessible(page, `${screen} (${scheme})`);
        if (scheme === 'dark') await page.screenshot({ path: join(SHOTS, `dark-${slug(screen)}.png`) });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('closes every kind of dialog with Escape', async () => {
    await page.getByRole('button', { name: 'Tasks', exact: true }).click();
    await page.getByRole('button', { name: 'New task' }).click();
    const form = page.locator('.task-form');
    await form.getByLabel('Name', { exact: true }).fill('escape-check');
    await form.getByLabel('Command').fill('true');
    await form.getByLabel(/this master/).check();
    await page.getByRole('button', { name: 'Create task' }).click();
    await page.locator('tr', { hasText: 'escape-check' }).getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('button', { name: 'Delete task' }).click();
    const confirm = page.getByRole('dialog');
    await confirm.getByText('Delete the task escape-check?').waitFor();
    await expectAccessible(page, 'a confirmation dialog');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    // Escaped, nothing happened: the task is still there.
    expect((await master.client.listTasks({})).some((t) => t.name === 'escape-check')).toBe(true);
    await page.keyboard.press('Control+k');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  });
});
