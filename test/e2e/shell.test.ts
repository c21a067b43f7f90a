// The shell in a real Chromium against a real headless master: the command palette, colour scheme,
// language and dialogs, with axe-core on what they show.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const enabled = hasChromium();

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
});
