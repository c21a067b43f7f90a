// The Alerts screen's Rules and Silences tabs in a real Chromium against a real headless master (its
// built-in local node reports real samples): a rule made in the editor with its preview, listed and
// switched off; a silence and a maintenance window made in their forms; axe on each form and tab; the
// status badges (severity, firing) at AA contrast in the light and the dark scheme.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, expectContrastInBothSchemes } from '../helpers/axe.js';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const enabled = hasChromium();

describe.skipIf(!enabled)('alert rules and silences in Chromium', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    master = await startMaster();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(`${master.adminUrl}#alerts/rules`);
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Alerts', level: 2 }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await master?.proc.stop();
  });

  it('creates a rule in the editor, previews it, lists it and switches it off', async () => {
    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByText('No rules yet.').waitFor();
    await expectAccessible(page, 'the Rules tab');
    await page.getByRole('button', { name: 'New rule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New rule' });
    // Saving without a name says what is missing.
    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await dialog.getByText('Give the rule a name.').waitFor();
    await dialog.getByLabel('Name').fill('Local CPU busy');
    await dialog.getByLabel('Threshold %').fill('0');
    await dialog.getByLabel('For at least (seconds)').fill('0');
    await expectAccessible(page, 'the rule editor');
    await dialog.getByRole('button', { name: 'Preview on the last 24 h' }).click();
    // Replayed on the rollups the master has (a fresh one: few), said in words.
    await dialog.getByText(/Would have fired \d+ times? in the last 24 h on \d+ nodes?/).waitFor();
    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await page.getByText('Rule “Local CPU busy” saved').waitFor();
    const row = page.getByRole('row', { name: /Local CPU busy/ });
    await row.getByText('CPU', { exact: true }).waitFor();
    await row.getByText('All nodes', { exact: true }).waitFor();
    const [rule] = await master.client.listAlertRules({});
    expect(rule).toMatchObject({
      name: 'Local CPU busy',
      severity: 'warning',
      condition: { kind: 'cpu', op: 'above', threshold: 0, forSec: 0 },
      scope: {},
    });
    // The local node's samples make it fire.
    await expect
      .poll(async () => (await master.client.listAlerts({ state: 'firing' })).length, { timeout: 15_000 })
      .toBe(1);
    await expectContrastInBothSchemes(page, 'the Rules tab');
    // The firing alert's badges: its severity and its state.
    await page.getByRole('tab', { name: 'Alerts' }).click();
    const firing = page.locator('tr[data-alert]', { hasText: 'Local CPU busy' });
    await firing.waitFor({ timeout: 15_000 });
    await expect
      .poll(() => firing.locator('[data-tone]').evaluateAll((els) => els.map((e) => e.getAttribute('data-tone'))))
      .toEqual(['warn', 'bad']);
    await expectContrastInBothSchemes(page, 'the Alerts tab');
    await expectAccessible(page, 'the Alerts tab with a firing alert');
    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByRole('switch', { name: 'Rule Local CPU busy on or off' }).click();
    await expect.poll(async () => (await master.client.listAlertRules({}))[0]?.enabled).toBe(false);

    // Editing opens the saved rule as it was.
    await page.getByRole('button', { name: 'Edit Local CPU busy' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit “Local CPU busy”' });
    expect(await edit.getByLabel('Name').inputValue()).toBe('Local CPU busy');
    expect(await edit.getByLabel('Threshold %').inputValue()).toBe('0');
    await edit.getByRole('button', { name: 'Cancel' }).click();
  });

  it('creates a silence and a maintenance window in their forms', async () => {
    await page.getByRole('tab', { name: 'Silences' }).click();
    await page.getByText('No silences in effect.').waitFor();
    await page.getByRole('button', { name: 'New silence' }).click();
    const silence = page.getByRole('dialog', { name: 'New silence' });
    await silence.getByLabel('Nodes with labels').fill('role=db');
    await silence.getByLabel('Comment').fill('database migration');
    await expectAccessible(page, 'the silence form');
    await silence.getByRole('button', { name: 'Silence' }).click();
    const silenceRow = page.getByRole('row', { name: /database migration/ });
    await silenceRow.getByText('role=db').waitFor();
    await silenceRow.getByText('in effect').waitFor();

    await page.getByRole('button', { name: 'New maintenance window' }).click();
    const form = page.getByRole('dialog', { name: 'New maintenance window' });
    await form.getByLabel('Name').fill('Sunday patching');
    await form.getByLabel('Starts (cron)').fill('every sunday');
    await form.getByText(/Not a cron schedule/).waitFor();
    await form.getByLabel('Starts (cron)').fill('0 3 * * 0');
    await form.getByLabel('Time zone').fill('UTC');
    await form.getByText(/Opens next:/).waitFor();
    await expectAccessible(page, 'the maintenance window form');
    await form.getByRole('button', { name: 'Save window' }).click();
    const windowRow = page.getByRole('row', { name: /Sunday patching/ });
    await windowRow.getByText(/Next:/).waitFor();
    expect(await master.client.listMaintenanceWindows({})).toMatchObject([
      { name: 'Sunday patching', cron: '0 3 * * 0', durationSec: 7200, timezone: 'UTC' },
    ]);
    await expectAccessible(page, 'the Silences tab');

    // Each list deletes after its confirmation (the shared RemovableList).
    await silenceRow.getByRole('button', { name: 'End this silence' }).click();
    await page
      .getByRole('dialog', { name: 'End this silence now?' })
      .getByRole('button', { name: 'End silence' })
      .click();
    await page.getByText('No silences in effect.').waitFor();
    await windowRow.getByRole('button', { name: 'Delete Sunday patching' }).click();
    await page
      .getByRole('dialog', { name: 'Delete the maintenance window “Sunday patching”?' })
      .getByRole('button', { name: 'Delete window' })
      .click();
    await expect.poll(async () => (await master.client.listMaintenanceWindows({})).length).toBe(0);
    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByRole('button', { name: 'Delete Local CPU busy' }).click();
    await page
      .getByRole('dialog', { name: 'Delete the rule “Local CPU busy”?' })
      .getByRole('button', { name: 'Delete rule' })
      .click();
    await expect.poll(async () => (await master.client.listAlertRules({})).length).toBe(0);
    await page.getByRole('row', { name: /Local CPU busy/ }).waitFor({ state: 'detached' });
  });
});
