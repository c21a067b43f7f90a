// The Probes screen (Alt+0) in a real Chromium against a real headless master: a probe made in the
// form against an HTTP server of the test, listed with its verdict, its detail with the master's
// vantage point and the latency chart, the form reopened as saved (its header value masked, and kept
// when saved again); axe on the list, form and detail.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const enabled = hasChromium();

describe.skipIf(!enabled)('the Probes screen in Chromium', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;
  // Up only with the header the form sets: the probe ran with the value the form saved.
  let wrongHeader = 0;
  const target = http.createServer((req, res) => {
    if (req.headers.authorization === 'Bearer e2e-secret') return res.end('ok');
    wrongHeader++;
    res.writeHead(401).end('no');
  });
  let port = 0;

  beforeAll(async () => {
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    port = (target.address() as AddressInfo).port;
    master = await startMaster();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(master.adminUrl);
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('(this master)').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
    target.close();
  });

  it('creates a probe in the form, shows it up with its vantage point, and edits it', async () => {
    await page.keyboard.press('Alt+0');
    await page.getByRole('heading', { name: 'Probes', level: 2 }).waitFor();
    await page.getByText('No probes yet').waitFor();
    await expectAccessible(page, 'the Probes screen (empty)');

    await page.getByRole('button', { name: 'New probe' }).click();
    const dialog = page.getByRole('dialog', { name: 'New probe' });
    await dialog.getByLabel('Name').fill('web');
    await dialog.getByLabel('URL').fill(`http://127.0.0.1:${port}/`);
    await dialog.getByLabel('Keyword in the body').fill('ok');
    await dialog.getByLabel(/Request headers/).fill('Authorization: Bearer e2e-secret');
    await dialog.getByLabel('Interval (s, at least 10)').fill('10');
    await dialog.getByLabel('Timeout (ms)').fill('2000');
    await expectAccessible(page, 'the probe form');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    const row = page.getByRole('row', { name: /web/ });
    await row.getByText(`HTTP(S) · GET http://127.0.0.1:${port}/`).waitFor();
    // The master's own vantage point runs it; the list refetches every 5 s.
    await row.getByText('Up', { exact: true }).waitFor({ timeout: 30_000 });
    const [probe] = await master.client.listProbes({});
    expect(probe).toMatchObject({ name: 'web', intervalSec: 10, timeoutMs: 2000, vantage: { master: true } });

    await row.getByRole('button', { name: 'web' }).click();
    await page.getByRole('heading', { name: 'web', level: 3 }).waitFor();
    await page
      .getByRole('row', { name: /This master/ })
      .getByText('OK', { exact: true })
      .waitFor();
    await page.getByText('Latency, last hour (p50 and p95)').waitFor();
    await expectAccessible(page, 'a probe with its vantage points');

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('dialog', { name: 'Edit web' });
    expect(await edit.getByLabel('Name').inputValue()).toBe('web');
    expect(await edit.getByLabel('URL').inputValue()).toBe(`http://127.0.0.1:${port}/`);
    expect(await edit.getByLabel(/Request headers/).inputValue()).toBe('Authorization: ••••');
    // Saved with the mask: the stored value is kept, and the probe still gets through.
    await edit.getByLabel('Name').fill('web api');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    const savedAt = Date.now();
    await expect
      .poll(
        async () => {
          const [saved] = await master.client.listProbes({});
          return saved?.name === 'web api' && saved.vantages.some((v) => v.ok === true && (v.at ?? 0) >= savedAt);
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    expect(wrongHeader).toBe(0);
  }, 90_000);
});
