// The shell in a real Chromium against a real headless master with real agents: the command palette,
// colour scheme, language and dialogs, with axe-core on what they show, and every screen in both
// themes, both languages, at 1440 and 390 px (the screenshots in docs/screenshots/screens/).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type E2eSession, e2eSession } from '../helpers/e2e-session.js';
import { type MasterHandle, ROOT, tempDir, waitForCommand } from '../helpers/processes.js';
import { hasChromium } from '../helpers/services.js';

const enabled = hasChromium();
// `npm run screenshots` refreshes docs/screenshots/ (every screen in each theme, width and language);
// ordinary runs use a temp dir and take one combination of each.
const FULL = process.env.FLEETDECK_SCREENSHOTS === '1';
const SHOTS = FULL ? join(ROOT, 'docs', 'screenshots') : tempDir('fleetdeck-shots-');
const slug = (screen: string) => screen.toLowerCase().replace(/\s+/g, '-');

/** The screen's chunk and first data are in: no loader or skeleton left. */
async function settled(page: Page) {
  await expect.poll(() => page.locator('.mantine-Loader-root, .mantine-Skeleton-root').count()).toBe(0);
  await page.waitForTimeout(300);
}

describe.skipIf(!enabled)('shell in Chromium', () => {
  let session: E2eSession;
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;
  const root = tempDir('fleetdeck-shell-files-');

  beforeAll(async () => {
    // Screens with something on them: a files-and-terminal agent, a second agent, a node without one,
    // a command run on both agents and a saved task.
    for (const name of ['nginx.conf', 'deploy.log', 'README.md']) writeFileSync(join(root, name), `# ${name}\n`);
    mkdirSync(join(root, 'releases'));
    session = await e2eSession({
      agents: [
        { name: 'web-1', labels: { role: 'web' }, args: ['--root', root, '--terminal'] },
        { name: 'db-1', labels: { role: 'db' } },
      ],
      loggedIn: false,
    });
    ({ master, browser, page } = session);
    await master.api('POST', '/api/nodes', { name: 'palette-target' });
    const ids = Object.values(session.nodes).map((n) => n.id);
    const { commands } = await master.client.enqueueCommands({ nodeIds: ids, exec: { command: 'uname -sr; uptime' } });
    for (const command of commands) await waitForCommand(master, command.id);
    await master.client.createTask({
      name: 'nightly-backup',
      exec: { command: 'tar czf /tmp/backup.tgz /etc' },
      targets: { nodeIds: ids },
      schedule: '0 3 * * *',
    });
    mkdirSync(SHOTS, { recursive: true });
    await page.goto(master.adminUrl);
    await expectAccessible(page, 'the login screen');
    await session.logIn(page);
  });

  afterAll(() => session?.close());

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

  it("lists each screen's actions with their shortcuts, and uploads to a node from the palette", async () => {
    const palette = page.getByRole('dialog');
    // From any screen: "Upload files to web-1…" opens Files on web-1 with the file picker.
    await page.keyboard.press('Alt+3');
    const chooser = page.waitForEvent('filechooser');
    await page.keyboard.press('Control+k');
    await page.keyboard.type('upload files to web-1');
    await palette.getByRole('button', { name: 'Upload files to web-1…' }).click();
    await (await chooser).setFiles({ name: 'from-palette.txt', mimeType: 'text/plain', buffer: Buffer.from('hi\n') });
    await expect.poll(() => existsSync(join(root, 'from-palette.txt')), { timeout: 15_000 }).toBe(true);
    // The Files screen's own actions, with their keys; a key works without the palette.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('new folder in');
    const mkdir = palette.getByRole('button', { name: /New folder in/ });
    expect(await mkdir.textContent()).toMatch(/Alt\s*Shift\s*N/);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.keyboard.press('Alt+Shift+N');
    await page.getByRole('dialog').getByLabel('Folder name').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    // The fleet's: table or cards by key.
    await page.keyboard.press('Alt+1');
    await page.keyboard.press('Control+k');
    await page.keyboard.type('fleet as cards');
    expect(await palette.getByRole('button', { name: /Show the fleet as cards/ }).textContent()).toMatch(
      /Alt\s*Shift\s*C/,
    );
    await page.keyboard.press('Escape');
    await page.keyboard.press('Alt+Shift+C');
    await page.locator('.fleet-card').first().waitFor();
    await page.keyboard.press('Alt+Shift+T');
    await page.locator('tr[data-node-id]').first().waitFor();
    // Run command lists its field's Ctrl+Enter.
    await page.keyboard.press('Alt+2');
    await page.keyboard.press('Control+k');
    await page.keyboard.type('run the command');
    expect(await palette.getByRole('button', { name: /Run the command/ }).textContent()).toMatch(/Ctrl\s*Enter/);
    await page.keyboard.press('Escape');
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
    await page.getByRole('combobox', { name: 'Language', exact: true }).click();
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
  const SCREENS = [
    'Nodes',
    'Run command',
    'Commands',
    'Tasks',
    'Files',
    'Alerts',
    'Settings',
    'Terminals',
    'Audit log',
    'Probes',
  ] as const;
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
      }
    } finally {
      await phone.close();
    }
  });

  it('lays a screen out at once when the window crosses to phone width (no overflow in any frame)', async () => {
    const wide = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    try {
      await session.logIn(wide);
      await wide.keyboard.press('Alt+5');
      await wide.locator('tr[data-path]').first().waitFor();
      // Every animation frame for a second and a half after the resize, measured in the page.
      const frames = wide.evaluate(
        () =>
          new Promise<number[]>((resolve) => {
            const overflows: number[] = [];
            const start = performance.now();
            const tick = () => {
              if (window.innerWidth < 500) overflows.push(document.documentElement.scrollWidth - window.innerWidth);
              if (performance.now() - start < 1_500) requestAnimationFrame(tick);
              else resolve(overflows);
            };
            requestAnimationFrame(tick);
          }),
      );
      await wide.setViewportSize({ width: 390, height: 844 });
      const overflows = await frames;
      expect(overflows.length).toBeGreaterThan(0);
      expect(Math.max(...overflows)).toBe(0);
    } finally {
      await wide.close();
    }
  });

  it('passes axe on every screen in both colour schemes at desktop width', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const screen of AXE_SCREENS) {
        await page.getByRole('button', { name: screen, exact: true }).click();
        await settled(page);
        await expectAccessible(page, `${screen} (${scheme})`);
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
  // Every screen (and a node's page) in each colour scheme, width and language: nothing scrolls
  // sideways, and the screenshots are what a reviewer looks at. Screens are reached by their Alt+digit
  // shortcut, which works at every width. A full run (npm run screenshots) takes all 8 combinations;
  // an ordinary run two of them (390 px light English, 1440 px dark Chinese).
  // The tenth screen's shortcut is Alt+0.
  const SHOT_SCREENS = [...SCREENS.map((name, i) => ({ name, key: `Alt+${(i + 1) % 10}` })), { name: 'Node', key: '' }];
  const COMBINATIONS = (['en-US', 'zh-CN'] as const).flatMap((locale) =>
    (['light', 'dark'] as const).flatMap((scheme) =>
      ([1440, 390] as const).map((width) => ({ locale, scheme, width })),
    ),
  );
  const combinations = FULL
    ? COMBINATIONS
    : COMBINATIONS.filter(
        (c) =>
          (c.locale === 'en-US' && c.scheme === 'light' && c.width === 390) ||
          (c.locale === 'zh-CN' && c.scheme === 'dark' && c.width === 1440),
      );

  it(
    'shows every screen in both themes, both languages, at 1440 and 390 px without sideways scrolling',
    async () => {
      for (const { locale, scheme, width } of combinations) {
        const shot = await browser.newPage({
          viewport: { width, height: width > 600 ? 900 : 844 },
          locale,
          colorScheme: scheme,
          isMobile: width < 600,
        });
        try {
          shot.on('pageerror', (error) => console.error(`page error: ${error.message}`));
          await session.logIn(shot);
          const dir = join(SHOTS, 'screens', locale === 'zh-CN' ? 'zh-CN' : 'en');
          mkdirSync(dir, { recursive: true });
          const overflow = () => shot.evaluate(() => (document.scrollingElement?.scrollWidth ?? 0) - window.innerWidth);
          for (const { name, key } of SHOT_SCREENS) {
            if (key) await shot.keyboard.press(key);
            else {
              await shot.keyboard.press('Alt+1');
              await shot.locator('tr[data-node-id], .fleet-card').first().waitFor();
              await shot.getByRole('button', { name: 'web-1', exact: true }).first().click();
              await shot.getByRole('heading', { name: 'web-1' }).waitFor();
            }
            await settled(shot);
            const where = `${name} (${locale}, ${scheme}, ${width} px)`;
            expect({ where, overflow: await overflow() }).toEqual({ where, overflow: 0 });
            await shot.screenshot({ path: join(dir, `${scheme}-${width}-${slug(name)}.png`), fullPage: true });
          }
        } finally {
          await shot.close();
        }
      }
    },
    FULL ? 600_000 : 120_000,
  );
});
