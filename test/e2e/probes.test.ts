// The Probes screen (Alt+0) in a real Chromium against a real headless master: a probe made in the
// form against an HTTP server of the test, listed with its verdict, its detail with the master's
// vantage point and the latency chart, the form reopened as saved (its header value masked, and kept
// when saved again); axe on the list, form and detail. Probes made through the API with every field the
// form has behind "Advanced" (HTTP) or beside the name (DNS) come back unchanged but for the name when
// only the name is edited in the form; the master's refusals show under the field, the input kept.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf } from '../../main/contract/contract.js';
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

  async function openProbes() {
    await page.keyboard.press('Alt+0');
    await page.getByRole('heading', { name: 'Probes', level: 2 }).waitFor();
  }

  /** A probe's definition as the API reads it (without its times and live state). */
  async function definition(id: string) {
    const probe = (await master.client.listProbes({})).find((p) => p.id === id);
    if (!probe) throw new Error(`no probe ${id}`);
    const { name, enabled, target, intervalSec, timeoutMs, vantage, quorum, forSec } = probe;
    return { name, enabled, target, intervalSec, timeoutMs, vantage, quorum, forSec };
  }

  /** Opens the probe in the form from the list, renames it, saves, and answers the dialog once it closed. */
  async function renameInForm(oldName: string, newName: string) {
    await openProbes();
    // The list refetches every 5 s: a probe made through the API shows within that.
    await page.getByRole('button', { name: oldName, exact: true }).click({ timeout: 15_000 });
    await page.getByRole('heading', { name: oldName, level: 3 }).waitFor();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${oldName}` });
    // The probe's name (required: "Name *"), not the DNS name to look up.
    await edit.getByLabel(/^Name\s*\*?$/).fill(newName);
    return edit;
  }

  it('keeps every HTTP field a probe made through the API has when only its name is edited', async () => {
    const spec: InputOf<'createProbe'> = {
      name: 'api-http',
      enabled: true,
      target: {
        kind: 'http',
        url: `http://127.0.0.1:${port}/submit`,
        method: 'POST',
        headers: [{ name: 'Authorization', value: 'Bearer e2e-secret' }],
        body: '{"check": true}',
        expectStatus: ['200', '3xx'],
        keyword: 'ok',
        pattern: '^o[k]$',
        invert: true,
        followRedirects: false,
        ignoreTlsErrors: true,
      },
      intervalSec: 30,
      timeoutMs: 3_000,
      vantage: { master: true, nodeIds: [], selector: { region: 'eu' } },
      quorum: 1,
      forSec: 45,
    };
    const { id } = await master.client.createProbe(spec);
    const before = await definition(id);
    expect(before.target).toMatchObject({
      body: '{"check": true}',
      pattern: '^o[k]$',
      invert: true,
      followRedirects: false,
    });

    const edit = await renameInForm('api-http', 'api-http renamed');
    // Something is set behind "Advanced": it is open, showing what the probe does.
    expect(await edit.getByLabel('Pattern the body matches (regular expression)').inputValue()).toBe('^o[k]$');
    expect(await edit.getByLabel('Request body (sent with POST and PUT)').inputValue()).toBe('{"check": true}');
    expect(await edit.getByLabel('Fail when the keyword or pattern is found').isChecked()).toBe(true);
    expect(await edit.getByLabel('Follow redirects (up to 5)').isChecked()).toBe(false);
    await expectAccessible(page, 'the probe form with its advanced settings');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await definition(id)).toEqual({ ...before, name: 'api-http renamed' });
  }, 60_000);

  it('keeps every DNS field a probe made through the API has when only its name is edited', async () => {
    const spec: InputOf<'createProbe'> = {
      name: 'api-dns',
      enabled: false,
      target: {
        kind: 'dns',
        name: 'example.com',
        recordType: 'MX',
        server: '127.0.0.1:5353',
        expect: '10 mail.example.com',
      },
      intervalSec: 120,
      timeoutMs: 5_000,
      vantage: { master: true, nodeIds: [] },
      quorum: 2,
      forSec: 60,
    };
    const { id } = await master.client.createProbe(spec);
    const before = await definition(id);
    const edit = await renameInForm('api-dns', 'api-dns renamed');
    expect(await edit.getByLabel('Name to look up').inputValue()).toBe('example.com');
    expect(await edit.getByLabel("DNS server (empty: the node's)").inputValue()).toBe('127.0.0.1:5353');
    expect(await edit.getByLabel('Expected answer').inputValue()).toBe('10 mail.example.com');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await definition(id)).toEqual({ ...before, name: 'api-dns renamed' });
  }, 60_000);

  it("shows the master's refusals under the fields in the form's words, keeping what was typed", async () => {
    await openProbes();
    await page.getByRole('button', { name: 'New probe' }).click();
    const dialog = page.getByRole('dialog', { name: 'New probe' });
    await dialog.getByLabel('Name').fill('bad');
    await dialog.getByLabel('URL').fill(`http://127.0.0.1:${port}/`);
    await dialog.getByRole('button', { name: /^Advanced/ }).click();
    const pattern = dialog.getByLabel('Pattern the body matches (regular expression)');
    await pattern.fill('(unclosed');
    await dialog.getByLabel('Interval (s, at least 10)').fill('10');
    await dialog.getByLabel('Timeout (ms)').fill('20000');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('This is not a regular expression that works').waitFor({ timeout: 15_000 });
    await dialog.getByText('shorter than the interval').waitFor();
    await dialog.getByText('Some fields need a change').waitFor();
    // Beside the field (its description), never the API's path.
    expect(await pattern.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByLabel('Timeout (ms)').getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.textContent()).not.toMatch(/target\.pattern|timeoutMs|Invalid input/);
    expect(await pattern.inputValue()).toBe('(unclosed');
    await expectAccessible(page, 'the probe form with refused fields');

    // Correcting a field takes its message away; the corrected probe saves.
    await pattern.fill('ok|up');
    expect(await pattern.getAttribute('aria-invalid')).not.toBe('true');
    await dialog.getByLabel('Timeout (ms)').fill('2000');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 15_000 });
    const made = (await master.client.listProbes({})).find((p) => p.name === 'bad');
    expect(made?.target).toMatchObject({ kind: 'http', pattern: 'ok|up' });
    expect(made?.timeoutMs).toBe(2000);
  }, 60_000);
});
