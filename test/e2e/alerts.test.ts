// The Alerts screen in a real Chromium against a real headless master: channels added in the form,
// a test message to a real HTTP receiver on loopback, a channel whose receiver is down shown failing
// with the master's words, the delivery log, the link notifications carry (#alerts/channels), 390 px,
// and axe on what is shown.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueTransitions } from '../../main/core/notify/outbox.js';
import { openStore } from '../../main/core/store/store.js';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { Receiver } from '../helpers/receivers.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const enabled = hasChromium();

/** Toasts are news, not the screen: closed before axe looks at the screen under them. */
async function closeToasts(page: Page): Promise<void> {
  // Clicked in the page at once: a toast that fades out meanwhile has nothing left to wait for.
  await page.evaluate(() => {
    for (const close of document.querySelectorAll<HTMLButtonElement>('.mantine-Notification-closeButton'))
      close.click();
  });
  await expect.poll(() => page.locator('.mantine-Notification-root').count()).toBe(0);
}

describe.skipIf(!enabled)('Alerts screen in Chromium', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await Receiver.start();
    master = await startMaster({ args: ['--notify-retry-base-ms', '200', '--notify-retry-max-ms', '500'] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(master.adminUrl);
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('(this master)').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
    await receiver?.down();
  });

  it('adds a webhook channel in the form and sends a test that arrives', async () => {
    await page.keyboard.press('Alt+6');
    await page.getByRole('heading', { name: 'Alerts', level: 2 }).waitFor();
    await expectAccessible(page, 'the Alerts screen');
    await page.getByRole('tab', { name: 'Channels' }).click();
    await page.getByText('No channels yet').waitFor();
    await page.getByRole('button', { name: 'Add channel' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a channel' });
    await dialog.getByLabel('Name').fill('ops hook');
    // Saving without the URL says what is missing, in words.
    await dialog.getByRole('button', { name: 'Add channel' }).click();
    await dialog.getByText('Fill in: URL.').waitFor();
    await dialog.getByLabel('URL').fill(`${receiver.url}/ops?token=s3cret`);
    await dialog.getByLabel('Extra headers').fill('X-Team: infra');
    await expectAccessible(page, 'the channel form');
    await dialog.getByRole('button', { name: 'Add channel' }).click();
    const card = page.locator('[data-channel="ops hook"]');
    await card.getByText('Not used yet').waitFor();
    expect(await card.textContent()).not.toContain('s3cret');

    await page.getByRole('button', { name: 'Send a test message to ops hook' }).click();
    await page.getByText('The test message reached ops hook').waitFor();
    await expect.poll(() => receiver.on('/ops?token=s3cret').length).toBe(1);
    expect(receiver.received[0]?.headers['x-team']).toBe('infra');
    await card.getByText('Working').waitFor();
    const log = page.getByRole('table', { name: 'Delivery log' });
    await log.getByText('[TEST] FleetDeck can reach "ops hook"').waitFor();
    await log.getByText('Delivered').waitFor();

    // Editing keeps the saved secrets when their fields stay empty.
    await page.getByRole('button', { name: 'Edit ops hook' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit ops hook' });
    await edit.getByText('Saved. Leave empty to keep it.').first().waitFor();
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Send a test message to ops hook' }).click();
    await expect.poll(() => receiver.on('/ops?token=s3cret').length).toBe(2);
  });

  it('shows a channel whose receiver is down as failing, with the reason and what waits', async () => {
    const down = await Receiver.start();
    await down.down();
    const channel = await master.client.createChannel({
      name: 'down hook',
      groupWaitSec: 0,
      settings: { kind: 'webhook', url: `${down.url}/x` },
    });
    // An alert fires (committed as alert evaluation commits it) while the receiver is away.
    const store = await openStore(join(master.dataDir, 'fleetdeck.db'));
    await store.db.transaction().execute((trx) =>
      enqueueTransitions(trx, [
        {
          id: 'ui-transition-1',
          ruleId: 'disk',
          ruleName: 'Disk full',
          severity: 'critical',
          alertKey: 'disk/n1//',
          nodeId: 'n1',
          nodeName: 'db-1',
          labels: {},
          state: 'firing',
          value: 97,
          threshold: 90,
          unit: '%',
          forSec: 60,
          summary: 'disk / 97 % on db-1',
          at: Date.now(),
          channelIds: [channel.id],
        },
      ]),
    );
    await store.close();
    await page.evaluate(() => {
      location.hash = '#alerts/channels';
    });
    const card = page.locator('[data-channel="down hook"]');
    await card.getByText('Failing').waitFor({ timeout: 20_000 });
    await card.getByText(/ECONNREFUSED/).waitFor();
    await card.getByText('1 message waiting').waitFor();
    await closeToasts(page);
    await expectAccessible(page, 'a failing channel');
    await card.getByRole('button', { name: 'Delivery log' }).click();
    const log = page.getByRole('table', { name: 'Delivery log' });
    await log.getByText('[FIRING] Disk full: 1 node (db-1)').click();
    await log.getByText(/Attempt 1 at .*: failed — cannot reach/).waitFor();
  });

  it('lists a real alert as it fires, notifies the desktop and the channel, and acknowledges and silences it', async () => {
    const [hook] = (await master.client.listChannels({})).filter((c) => c.name === 'ops hook');
    let ruleId: string | null = null;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await context.grantPermissions(['notifications'], { origin: new URL(master.adminUrl).origin });
    // A spy around the browser's Notification API records what the app shows (headless Chromium
    // draws nothing a test could see).
    await context.addInitScript(() => {
      const Real = window.Notification;
      const shown: Array<{ title: string; body?: string }> = [];
      (window as unknown as { shownNotices: typeof shown }).shownNotices = shown;
      const Spy = function (this: unknown, title: string, options?: NotificationOptions) {
        shown.push({ title, body: options?.body });
        return new Real(title, options);
      } as unknown as typeof Notification;
      Object.defineProperty(Spy, 'permission', { get: () => Real.permission });
      Spy.requestPermission = Real.requestPermission.bind(Real);
      window.Notification = Spy;
    });
    const tab = await context.newPage();
    try {
      await tab.goto(`${master.adminUrl}#alerts`);
      await tab.getByLabel('Admin token').fill(master.adminToken);
      await tab.getByRole('button', { name: 'Log in' }).click();
      await tab.getByText('No alerts are firing.').waitFor();
      // Memory in use above 1 % on this master's own node fires at its next sample.
      const rule = await master.client.createAlertRule({
        name: 'Memory in use',
        severity: 'critical',
        condition: { kind: 'memory', threshold: 1, forSec: 0 },
        channelIds: hook ? [hook.id] : [],
      });
      ruleId = rule.id;
      const active = tab.getByRole('table', { name: 'Firing and pending alerts' });
      await active.getByText('Memory in use · ').waitFor({ timeout: 20_000 });
      await active.getByText('Firing').waitFor();
      await expect
        .poll(() => tab.evaluate(() => (window as unknown as { shownNotices: Array<{ title: string }> }).shownNotices))
        .toEqual([expect.objectContaining({ title: expect.stringMatching(/^Memory in use — /) })]);
      await expectAccessible(tab, 'the Alerts tab with a firing alert');
      // Prometheus sees it too (the exposition still passes promtool where it is installed).
      const metrics = await fetch(new URL('/metrics', master.adminUrl), {
        headers: { authorization: `Bearer ${master.adminToken}` },
      }).then((r) => r.text());
      expect(metrics).toContain('fleetdeck_alerts_firing{severity="critical"} 1');
      expect(metrics).toContain('fleetdeck_alerts_firing{severity="warning"} 0');
      if (spawnSync('promtool', ['--version']).status === 0) {
        const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
        expect(check.status, check.stdout + check.stderr).toBe(0);
      }

      await active.getByRole('button', { name: /^Acknowledge Memory in use/ }).click();
      await active.getByText('Acknowledged').waitFor();
      await active.getByRole('button', { name: /^Silence Memory in use/ }).click();
      await tab.getByRole('menuitem', { name: 'for 4 hours' }).click();
      await tab
        .getByRole('dialog', { name: 'Silence Memory in use for 4 hours?' })
        .getByRole('button', { name: 'Silence' })
        .click();
      await tab.getByText('Memory in use is silenced for 4 hours.').waitFor();
      const silences = await master.client.listSilences({});
      expect(silences).toEqual([expect.objectContaining({ ruleId, active: true })]);
      await tab.getByRole('table', { name: 'History' }).getByText('Fired').first().waitFor();

      // The channel got one grouped message, linking to the Alerts screen.
      await expect
        .poll(() => receiver.on('/ops?token=s3cret').map((r) => receiver.json<{ kind: string; link: string }>(r)), {
          timeout: 20_000,
        })
        .toContainEqual(expect.objectContaining({ kind: 'firing', link: `${master.adminUrl}#alerts` }));
    } finally {
      await context.close();
      if (ruleId) await master.client.deleteAlertRule({ id: ruleId });
    }
  });

  it('opens the channels from a notification link and fits a 390 px screen', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${master.adminUrl}#alerts/channels`);
    await page.locator('[data-channel="ops hook"]').waitFor();
    const overflow = await page.evaluate(() => (document.scrollingElement?.scrollWidth ?? 0) - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await closeToasts(page);
    await expectAccessible(page, 'the channels at 390 px');
  });
});
