// Alerts on probes in a real Chromium against a real headless master: a probe-down rule made in the
// rule editor for one chosen probe (the node scope is not offered for it), previewed; its HTTP target
// on the test's loopback starts failing, and the Alerts screen shows the alert firing under the probe's
// name, which opens the probe on the Probes screen. axe on the editor with a probe kind chosen.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const enabled = hasChromium();

describe.skipIf(!enabled)('probe alerts in Chromium', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;
  let failing = false;
  const target = http.createServer((_req, res) => res.writeHead(failing ? 503 : 200).end('ok'));
  const other = http.createServer((_req, res) => res.writeHead(503).end('down'));

  beforeAll(async () => {
    const listen = (s: http.Server) =>
      new Promise<string>((r) =>
        s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`)),
      );
    const [shopUrl, otherUrl] = await Promise.all([listen(target), listen(other)]);
    master = await startMaster();
    const probe = (name: string, url: string) =>
      master.client.createProbe({
        name,
        target: { kind: 'http', url },
        intervalSec: 10,
        timeoutMs: 2_000,
        vantage: { master: true, nodeIds: [] },
      });
    await probe('shop', shopUrl);
    // Down from the start: a rule for "shop" only must not fire for it.
    await probe('legacy', otherUrl);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(`${master.adminUrl}#alerts/rules`);
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Alerts', level: 2 }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
    target.close();
    other.close();
  });

  it('creates a probe-down rule for one probe in the editor and shows it firing under the probe name', async () => {
    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByRole('button', { name: 'New rule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New rule' });
    await dialog.getByLabel('Name').fill('Shop down');
    await dialog.getByRole('combobox', { name: 'Condition' }).click();
    await page.getByRole('option', { name: 'Probe down', exact: true }).click();
    // Probes instead of nodes: the node scope does not apply to a probe.
    await dialog.getByText('Node scope does not apply to probe rules', { exact: false }).waitFor();
    expect(await dialog.getByLabel('Or nodes with labels').count()).toBe(0);
    await dialog.getByLabel('Probes', { exact: true }).click();
    await page.getByRole('option', { name: 'shop', exact: true }).click();
    await page.keyboard.press('Escape');
    await expectAccessible(page, 'the rule editor with a probe kind');
    await dialog.getByRole('button', { name: 'Preview on the last 24 h' }).click();
    await dialog.getByText(/Would have fired \d+ times? in the last 24 h on 1 probe(?!s)/).waitFor();

    // The latency kind has its own fields, in ms; certificates a number of days.
    await dialog.getByRole('combobox', { name: 'Condition' }).click();
    await page.getByRole('option', { name: 'Probe latency', exact: true }).click();
    await dialog.getByLabel('Latency above (ms)').waitFor();
    await expectAccessible(page, 'the rule editor with probe latency');
    await dialog.getByRole('combobox', { name: 'Condition' }).click();
    await page.getByRole('option', { name: 'Probe certificate expiring', exact: true }).click();
    await dialog.getByLabel('Days before the certificate expires').waitFor();
    await dialog.getByRole('button', { name: 'Preview on the last 24 h' }).click();
    await dialog.getByText('No preview for this condition: the stored history does not keep it.').waitFor();
    await dialog.getByRole('combobox', { name: 'Condition' }).click();
    await page.getByRole('option', { name: 'Probe down', exact: true }).click();

    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await page.getByText('Rule “Shop down” saved').waitFor();
    const row = page.getByRole('row', { name: /Shop down/ });
    await row.getByText('Probe down', { exact: true }).waitFor();
    await row.getByText('1 probe', { exact: true }).waitFor();
    const probes = await master.client.listProbes({});
    const shop = probes.find((p) => p.name === 'shop');
    const [rule] = await master.client.listAlertRules({});
    expect(rule).toMatchObject({ condition: { kind: 'probe-down', probeIds: [shop?.id] }, scope: {} });

    failing = true;
    await page.getByRole('tab', { name: 'Alerts' }).click();
    const alerts = page.getByRole('table', { name: 'Firing and pending alerts' });
    // The list refetches on alert events; the master's vantage point runs every 10 s.
    const alert = alerts.getByRole('row', { name: /Shop down/ });
    await alert.getByText('Firing', { exact: true }).waitFor({ timeout: 45_000 });
    await alert.getByText('shop is down: 1 of 1 vantage points: HTTP 503').waitFor();
    expect(await alerts.getByRole('row', { name: /legacy/ }).count()).toBe(0);
    await expectAccessible(page, 'the Alerts tab with a probe alert');

    await alert.getByRole('button', { name: 'shop', exact: true }).click();
    await page.getByRole('heading', { name: 'Probes', level: 2 }).waitFor();
    await page.getByRole('heading', { name: 'shop', level: 3 }).waitFor();
  }, 120_000);

  it('says in the silence form that labels select nodes, and refuses them with a probe rule', async () => {
    await page.evaluate(() => {
      location.hash = '#alerts/silences';
    });
    await page.getByRole('button', { name: 'New silence' }).click();
    const form = page.getByRole('dialog', { name: 'New silence' });
    await form.getByText('a silence with labels never silences probe alerts', { exact: false }).waitFor();
    await form.getByRole('combobox', { name: 'Rule' }).click();
    await page.getByRole('option', { name: 'Shop down', exact: true }).click();
    await form.getByLabel('Nodes with labels').fill('role=db');
    await form.getByText('This rule watches probes, which have no labels', { exact: false }).waitFor();
    await expectAccessible(page, 'the silence form with a probe rule');
    await form.getByRole('button', { name: 'Silence' }).click();
    await form.getByLabel('Nodes with labels').fill('');
    await form.getByRole('button', { name: 'Silence' }).click();
    await form.waitFor({ state: 'detached' });
    const [silence] = await master.client.listSilences({});
    const [rule] = await master.client.listAlertRules({});
    expect(silence).toMatchObject({ ruleId: rule?.id, selector: null });
  }, 60_000);
});
