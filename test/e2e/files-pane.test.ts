// The Files screen in a real Chromium against a real headless master and two real agent processes:
// filter and count, the transfer queue (two uploads at once, pause, cancel), downloads streamed to
// disk by the browser (no Blob), the edit conflict dialog, a node-to-node copy with progress, and
// axe-core on what each shows.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type E2eSession, e2eSession } from '../helpers/e2e-session.js';
import { ROOT, tempDir } from '../helpers/processes.js';
import { hasChromium } from '../helpers/services.js';

const enabled = hasChromium();
const SHOTS =
  process.env.FLEETDECK_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : tempDir('fleetdeck-shots-');
const GiB = 1024 * 1024 * 1024;

/** A sparse file of `size` bytes: the agent and the browser read it at page-cache speed. */
function sparse(path: string, size: number): string {
  writeFileSync(path, '');
  truncateSync(path, size);
  return path;
}

describe.skipIf(!enabled)('Files screen in Chromium', () => {
  let page: Page;
  const rootA = tempDir('fleetdeck-pane-a-');
  const rootB = tempDir('fleetdeck-pane-b-');
  const local = tempDir('fleetdeck-pane-local-');

  const row = (name: string) => page.locator(`tr[data-path$="/${name}"]`);
  const queueRow = (name: string) => page.getByRole('region', { name: 'Transfers' }).locator('li', { hasText: name });
  /** Filters the listing down to `name` (long listings are virtualized), then opens its actions menu. */
  const openMenu = async (name: string) => {
    await page.getByLabel('Filter by name').fill(name);
    await row(name)
      .getByRole('button', { name: `Actions for ${name}` })
      .click();
  };
  const unfilter = () => page.getByLabel('Filter by name').fill('');
  /** Menus and dialogs fade in and out: axe checks what stays, not a colour halfway through. */
  const settled = () =>
    expect
      .poll(
        () =>
          page.evaluate(
            () =>
              document
                .getAnimations()
                .filter(
                  (a) => a.playState === 'running' && a.effect?.getTiming().iterations !== Number.POSITIVE_INFINITY,
                ).length,
          ),
        // A busy machine runs a fade well past expect.poll's default second.
        { timeout: 10_000 },
      )
      .toBe(0);
  const accessible = async (what: string) => {
    await settled();
    await expectAccessible(page, what);
  };

  let session: E2eSession;

  beforeAll(async () => {
    session = await e2eSession({
      agents: [
        { name: 'files-a', args: ['--root', rootA] },
        { name: 'files-b', args: ['--root', rootB] },
      ],
      page: { viewport: { width: 1280, height: 900 }, locale: 'en-US', acceptDownloads: true },
      loggedIn: false,
      // Counts every Blob URL the page makes: a download must never pass through one.
      beforeLogin: async (first) => {
        await first.addInitScript(() => {
          const made: string[] = [];
          (window as unknown as { blobUrls: string[] }).blobUrls = made;
          const original = URL.createObjectURL.bind(URL);
          URL.createObjectURL = (object: Blob | MediaSource) => {
            const url = original(object);
            made.push(url);
            return url;
          };
        });
      },
    });
    ({ page } = session);
    mkdirSync(SHOTS, { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(join(rootA, `log-${String(i).padStart(2, '0')}.txt`), `line ${i}\n`);
    for (const name of ['app.conf', 'db.conf', 'web.conf', 'cache.conf', 'mail.conf']) {
      writeFileSync(join(rootA, name), `# ${name}\nport = 80\n`);
    }
    mkdirSync(join(rootA, 'site', 'assets'), { recursive: true });
    writeFileSync(join(rootA, 'site', 'index.html'), '<h1>hello</h1>\n');
    sparse(join(rootA, 'site', 'assets', 'video.bin'), 256 * 1024 * 1024);
    await session.logIn(page);
    await page.getByLabel('Screens').getByText('Files', { exact: true }).click();
    await page.getByRole('combobox', { name: 'Node' }).click();
    await page.getByRole('option', { name: 'files-a' }).click();
    await row('app.conf').waitFor();
  });

  afterAll(async () => {
    await session?.close();
    // Gigabytes of uploads and copies: not left in the temp directory.
    for (const dir of [rootA, rootB, local]) rmSync(dir, { recursive: true, force: true });
  });

  it('filters by name and counts what it shows', async () => {
    const count = page.getByTestId('item-count');
    await expect.poll(() => count.textContent()).toBe('36 items');
    // Directories first.
    expect(await page.locator('tbody tr[data-path]').first().getAttribute('data-path')).toMatch(/\/site$/);
    await page.getByLabel('Filter by name').fill('CONF');
    await expect.poll(() => count.textContent()).toBe('5 of 36 items');
    await expect.poll(() => page.locator('tbody tr[data-path]').count()).toBe(5);
    await page.getByLabel('Filter by name').fill('nothing-like-this');
    await page.getByText('Nothing here matches').waitFor();
    await page.getByLabel('Filter by name').fill('');
    await expect.poll(() => page.locator('tbody tr[data-path]').count()).toBeGreaterThan(20);
    await accessible('the Files screen');
    await page.screenshot({ path: join(SHOTS, 'files.png') });
  });

  it('runs two uploads at once in the queue, pauses one, cancels the other, and finishes the first', async () => {
    const first = sparse(join(local, 'first.img'), GiB);
    const second = sparse(join(local, 'second.img'), GiB);
    await page.getByLabel('Files to upload').setInputFiles([first, second]);
    await expect.poll(() => page.locator('li[data-kind="upload"][data-state="running"]').count()).toBe(2);
    await accessible('the transfer queue');
    await page.getByRole('button', { name: 'Pause first.img' }).click();
    await expect.poll(() => queueRow('first.img').getAttribute('data-state')).toBe('paused');
    await page.getByRole('button', { name: 'Cancel second.img' }).click();
    await expect.poll(() => queueRow('second.img').getAttribute('data-state')).toBe('cancelled');
    await page.getByRole('button', { name: 'Resume first.img' }).click();
    await expect.poll(() => queueRow('first.img').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(statSync(join(rootA, 'first.img')).size).toBe(GiB);
    // The cancelled upload left neither the file nor its temp file.
    await expect
      .poll(() => readdirSync(rootA).filter((n) => n.includes('second') || n.includes('fleetdeck-upload')))
      .toEqual([]);
    await row('first.img').waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Transfers' }).count()).toBe(0);
  }, 240_000);

  it('downloads to disk through the browser, never through a Blob in the page', async () => {
    const downloaded = page.waitForEvent('download');
    await openMenu('app.conf');
    await page.getByRole('menuitem', { name: 'Download' }).click();
    const small = await downloaded;
    expect(small.suggestedFilename()).toBe('app.conf');
    expect(readFileSync(await small.path(), 'utf8')).toBe('# app.conf\nport = 80\n');
    // A gigabyte: the browser's download manager writes it as it arrives.
    mkdirSync(join(rootA, 'archive'));
    sparse(join(rootA, 'archive', 'large.img'), GiB);
    await unfilter();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('button', { name: 'archive', exact: true }).click();
    const big = page.waitForEvent('download');
    await openMenu('large.img');
    await page.getByRole('menuitem', { name: 'Download' }).click();
    const file = await big;
    const path = await file.path();
    expect(statSync(path).size).toBe(GiB);
    await expect.poll(() => queueRow('large.img').getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(await page.evaluate(() => (window as unknown as { blobUrls: string[] }).blobUrls)).toEqual([]);
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await unfilter();
    await page
      .getByRole('navigation', { name: 'Folder path' })
      .getByRole('button', { name: /fleetdeck-pane-a-/ })
      .click();
    await row('app.conf').waitFor();
  }, 60_000);

  it('refuses to save over a file that changed on the host and offers reload or overwrite', async () => {
    const conf = join(rootA, 'web.conf');
    await openMenu('web.conf');
    await page.getByRole('menuitem', { name: 'Edit' }).click();
    const editor = page.getByRole('dialog', { name: /web\.conf on files-a/ });
    const text = editor.getByLabel('Text of web.conf');
    await expect.poll(() => text.inputValue()).toBe('# web.conf\nport = 80\n');
    await text.fill('# web.conf\nport = 8080\n');
    writeFileSync(conf, '# web.conf\nport = 9090 # changed by someone on the host\n');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByText('was changed on files-a since you opened it').waitFor();
    expect(readFileSync(conf, 'utf8')).toMatch(/9090/); // nothing was overwritten
    await accessible('the edit conflict dialog');
    await page.screenshot({ path: join(SHOTS, 'files-edit-conflict.png') });
    await editor.getByRole('button', { name: 'Overwrite with my version' }).click();
    await editor.getByText(/Saved at/).waitFor();
    expect(readFileSync(conf, 'utf8')).toBe('# web.conf\nport = 8080\n');

    // Again, and this time take the host's version.
    await text.fill('# web.conf\nport = 7070\n');
    writeFileSync(conf, '# web.conf\nport = 6060\n');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByRole('button', { name: 'Reload the file' }).click();
    await expect.poll(() => text.inputValue()).toBe('# web.conf\nport = 6060\n');
    expect(readFileSync(conf, 'utf8')).toBe('# web.conf\nport = 6060\n');
    // Saved without a conflict, then closed with Escape.
    await text.fill('# web.conf\nport = 5050\n');
    await page.keyboard.press('Control+s');
    await editor.getByText(/Saved at/).waitFor();
    expect(readFileSync(conf, 'utf8')).toBe('# web.conf\nport = 5050\n');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await unfilter();
  });

  it('copies a folder to another node with progress in the queue', async () => {
    await openMenu('site');
    await page.getByRole('menuitem', { name: 'Copy to…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Copy site' });
    await dialog.getByRole('combobox', { name: 'To node' }).click();
    await page.getByRole('option', { name: 'files-b' }).click();
    await expect.poll(() => dialog.getByLabel('Into folder').inputValue()).toBe(rootB);
    // On to the next field, as a person would: the node list closes for good (a searchable Select that
    // keeps focus may reopen on a re-render, and axe would then judge the list, not the dialog).
    await dialog.getByLabel('Into folder').focus();
    await expect.poll(() => page.locator('[id$="-dropdown"]').count(), { timeout: 10_000 }).toBe(0);
    await accessible('the copy dialog');
    await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
    const copy = queueRow('site');
    await expect.poll(() => copy.getAttribute('data-kind')).toBe('copy');
    // Progress shows while it runs: "x of 1 GiB".
    await expect.poll(() => copy.textContent(), { timeout: 30_000 }).toMatch(/of 256 MiB/);
    await expect.poll(() => copy.getAttribute('data-state'), { timeout: 180_000 }).toBe('done');
    expect(readFileSync(join(rootB, 'site', 'index.html'), 'utf8')).toBe('<h1>hello</h1>\n');
    expect(statSync(join(rootB, 'site', 'assets', 'video.bin')).size).toBe(256 * 1024 * 1024);
    const hash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(hash(join(rootB, 'site', 'index.html'))).toBe(hash(join(rootA, 'site', 'index.html')));
    await unfilter();
  }, 240_000);

  it('previews text, makes, renames and deletes through in-app dialogs only', async () => {
    const browserDialogs: string[] = [];
    page.on('dialog', (d) => {
      browserDialogs.push(d.message());
      void d.dismiss();
    });
    await unfilter();
    await page.getByRole('button', { name: 'db.conf', exact: true }).click();
    await page.getByRole('complementary', { name: 'Preview of db.conf' }).getByText('port = 80').waitFor();
    await page.getByRole('button', { name: 'Close the preview' }).click();
    await page.getByRole('button', { name: 'New folder' }).click();
    const ask = page.getByRole('dialog');
    await ask.getByLabel('Folder name').fill('a/b');
    await ask.getByRole('button', { name: 'Create folder' }).click();
    await ask.getByRole('alert').filter({ hasText: 'cannot contain' }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.getByRole('button', { name: 'New folder' }).click();
    await ask.getByLabel('Folder name').fill('made-in-ui');
    await ask.getByLabel('Folder name').press('Enter');
    await row('made-in-ui').waitFor();
    expect(existsSync(join(rootA, 'made-in-ui'))).toBe(true);
    await openMenu('mail.conf');
    await page.getByRole('menuitem', { name: 'Rename' }).click();
    await ask.getByLabel('New name').fill('renamed.conf');
    await ask.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Filter by name').fill('renamed');
    await row('renamed.conf').waitFor();
    await openMenu('renamed.conf');
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await ask.getByText('It cannot be undone').waitFor();
    await page.screenshot({ path: join(SHOTS, 'files-confirm-delete.png') });
    await ask.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => row('renamed.conf').count()).toBe(0);
    expect(existsSync(join(rootA, 'renamed.conf'))).toBe(false);
    expect(browserDialogs).toEqual([]);
    await unfilter();
  });

  it('keeps the pane usable at 390 px (no sideways scrolling)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await row('app.conf').waitFor();
    // The pane re-lays itself out from ResizeObserver callbacks after the resize: measure once it has
    // settled (a user sees the settled page), up to 5 s.
    const overflowNow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const settleBy = Date.now() + 5_000;
    while ((await overflowNow()) > 0 && Date.now() < settleBy) await page.waitForTimeout(100);
    const overflow = await overflowNow();
    // What sticks out, named in the failure.
    const culprits = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 8)
        .map((e) => `${e.tagName}.${String(e.className).slice(0, 50)}`),
    );
    expect(overflow, culprits.join(', ')).toBeLessThanOrEqual(0);
    await accessible('the Files screen at 390 px');
    await page.screenshot({ path: join(SHOTS, 'files-narrow.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
