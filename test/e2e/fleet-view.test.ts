// The fleet view and node page in a real Chromium against a real headless master and real agents:
// cards and table (the choice remembered), a row's live CPU figure and sparkline, grouping by a label, an offline node greyed with its age,
// the daily uptime bar's outages on hover (table, cards — by pointer and keyboard — and node page), the
// node page's interfaces, disks and top processes, the phone-width layout, axe-core on each screen and
// the status badges' contrast in both colour schemes.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, expectContrastInBothSchemes } from '../helpers/axe.js';
import { type E2eSession, e2eSession } from '../helpers/e2e-session.js';
import { type MasterHandle, waitForStatus } from '../helpers/processes.js';
import { hasChromium } from '../helpers/services.js';

const enabled = hasChromium();

describe.skipIf(!enabled)('fleet view in Chromium', () => {
  let session: E2eSession;
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;
  const ids: Record<string, string> = {};
  const agent = (name: string, role: string, args: string[] = []) => ({
    name,
    labels: { role },
    args: ['--net-include', '*', ...args],
  });

  const card = (name: string) => page.locator(`.fleet-card[data-node-id="${ids[name]}"]`);
  const row = (name: string) => page.locator(`tr[data-node-id="${ids[name]}"]`);

  beforeAll(async () => {
    session = await e2eSession({
      agents: [agent('web-1', 'web'), agent('db-1', 'db', ['--no-processes']), agent('gone-1', 'web')],
      page: { viewport: { width: 1280, height: 900 }, locale: 'en-US' },
      // gone-1 goes offline before the page first loads.
      beforeLogin: async (_page, started) => {
        for (const [name, node] of Object.entries(started.nodes)) ids[name] = node.id;
        await started.nodes['gone-1']?.proc.stop('SIGTERM');
        await waitForStatus(started.master, ids['gone-1'] as string, 'offline');
      },
      loggedIn: '4 of 4 shown',
    });
    ({ master, browser, page } = session);
  });

  afterAll(() => session?.close());

  it('switches between table and cards and remembers the choice across a reload', async () => {
    await row('web-1').waitFor();
    // At 1280 px no header is cut: each fits its cell (a long one takes a second line).
    const cut = await page
      .locator('.fleet-table thead th')
      .evaluateAll((cells) =>
        cells
          .filter((c) => getComputedStyle(c).display !== 'none' && c.scrollWidth > c.clientWidth + 1)
          .map((c) => c.textContent),
      );
    expect(cut).toEqual([]);
    await expectAccessible(page, 'the fleet table');
    await page.locator('label', { hasText: 'Cards' }).click();
    await card('web-1').waitFor();
    expect(await page.locator('tr[data-node-id]').count()).toBe(0);
    // Live figures reach the card: CPU has a value once the agent has reported twice (a few sampling
    // intervals after it connected, more than expect.poll's default second).
    await expect
      .poll(() => card('web-1').locator('.fleet-meter .value').first().textContent(), { timeout: 15_000 })
      .toMatch(/\d%$/);
    await expectAccessible(page, 'the fleet cards');
    await page.reload();
    await card('web-1').waitFor();
    await page.locator('label', { hasText: 'Table' }).click();
    await row('web-1').waitFor();
    await page.reload();
    await row('web-1').waitFor();
  });

  it("keeps a row's CPU figure and sparkline following the live events (rows are memoized on what they show)", async () => {
    await page.locator('label', { hasText: 'Table' }).click();
    await row('web-1').waitFor();
    // Points of the row's sparkline; 0 while it has fewer than two figures (then it is an empty span).
    const points = () =>
      row('web-1')
        .locator('td.cpu polyline')
        .evaluateAll((lines) => lines[0]?.getAttribute('points')?.split(' ').length ?? 0);
    await expect.poll(points, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    const before = await points();
    await expect.poll(points, { timeout: 20_000 }).toBeGreaterThan(before);
    await expect
      .poll(() => row('web-1').locator('td.cpu > span').first().textContent(), { timeout: 15_000 })
      .toMatch(/\d%$/);
  });

  it('draws the status badges at AA contrast in the light and the dark scheme', async () => {
    await row('gone-1').waitFor();
    // Online (the agents, the local node) and offline (gone-1) both on screen.
    await expect.poll(() => row('gone-1').locator('[data-tone]').getAttribute('data-tone')).toBe('bad');
    await expect.poll(() => row('web-1').locator('[data-tone]').getAttribute('data-tone')).toBe('ok');
    await expectContrastInBothSchemes(page, 'the fleet table');
  });

  it('greys an offline node with how long it has been away', async () => {
    expect(await row('gone-1').getAttribute('data-stale')).toBe('true');
    expect(await row('web-1').getAttribute('data-stale')).toBe('false');
    await expect.poll(() => row('gone-1').locator('.status-badge').textContent()).toMatch(/^Offline \d+ (s|min)$/);
    await page.locator('label', { hasText: 'Cards' }).click();
    expect(await card('gone-1').getAttribute('data-stale')).toBe('true');
    await expect.poll(() => card('gone-1').locator('.status-badge').textContent()).toMatch(/^Offline \d+ (s|min)$/);
    // Cards have no column headers: they sort from the toolbar (most recently seen first).
    await page.getByRole('combobox', { name: 'Sort by' }).click();
    await page.getByRole('option', { name: 'Sort by Last seen' }).click();
    const order = () =>
      page.locator('.fleet-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-node-id')));
    await expect.poll(async () => (await order()).at(-1)).toBe(ids['gone-1']);
    await page.getByRole('combobox', { name: 'Sort by' }).click();
    await page.getByRole('option', { name: 'Sort by Name' }).click();
    const names = () => page.locator('.fleet-card .name').allTextContents();
    const sortedByName = async () => {
      const shown = (await names()).map((n) => n.toLowerCase());
      return shown.join('|') === [...shown].sort().join('|');
    };
    await expect.poll(sortedByName).toBe(true);
    expect((await names()).indexOf('db-1')).toBeLessThan((await names()).indexOf('web-1'));
  });

  it('groups by the label the user picks, the nodes without it last', async () => {
    await page.getByRole('combobox', { name: 'Group by label' }).click();
    await page.getByRole('option', { name: 'Group by role' }).click();
    await expect
      .poll(() => page.locator('.fleet-group h3').allTextContents())
      .toEqual(['db', 'web', 'Without this label']);
    await expect
      .poll(() => page.locator('.fleet-group[data-group="web"]').textContent())
      .toContain('2 nodes, 1 online');
    // The table groups the same way; the choice survives a reload.
    await page.locator('label', { hasText: 'Table' }).click();
    await page.locator('tr[data-group="web"]').waitFor();
    await page.reload();
    await page.locator('tr[data-group="db"]').waitFor();
    await expectAccessible(page, 'the grouped fleet table');
    await page.getByRole('combobox', { name: 'Group by label' }).click();
    await page.getByRole('option', { name: 'Group by role' }).click(); // picking it again clears it
    await expect.poll(() => page.locator('tr[data-group]').count()).toBe(0);
  });

  it("shows a day's outages when its uptime bar is hovered", async () => {
    // The table's strip: today is its right end; the day's outages come with the hover.
    const strip = row('gone-1').locator('.uptime-strip');
    await strip.waitFor();
    const box = await strip.boundingBox();
    if (!box) throw new Error('the strip has no box');
    await strip.hover({ position: { x: box.width - 1, y: box.height / 2 } });
    const tableDetail = page.locator('.fleet-table .uptime-detail');
    await expect.poll(() => tableDetail.textContent()).toMatch(/1 outage/);
    await expect.poll(() => tableDetail.textContent()).toMatch(/still offline/);
    await expectAccessible(page, 'the fleet table with a day shown');
    await strip.hover({ position: { x: 1, y: box.height / 2 } });
    await expect.poll(() => tableDetail.textContent()).toMatch(/not connected yet/);
    await page.mouse.move(0, 0);
    await expect.poll(() => tableDetail.count()).toBe(0);

    await row('gone-1').getByRole('button', { name: 'gone-1' }).click();
    await page.getByRole('heading', { name: 'gone-1' }).waitFor();
    const bar = page.locator('.node-uptime [data-testid="uptime-bar"]');
    await expect.poll(() => bar.locator('.uptime-day').count()).toBe(30);
    // Today is the last bar: hover it.
    const today = bar.locator('.uptime-day').last();
    await today.hover();
    const detail = page.locator('.node-uptime .uptime-detail');
    await expect.poll(() => detail.textContent()).toMatch(/1 outage/);
    expect(await detail.textContent()).toMatch(/still offline/);
    // Days before the first connect are grey ("not connected yet").
    await bar.locator('.uptime-day').first().hover();
    await expect.poll(() => detail.textContent()).toMatch(/not connected yet/);
    // The 90-day window.
    await page.locator('.node-uptime label', { hasText: '90 days' }).click();
    await expect.poll(() => bar.locator('.uptime-day').count()).toBe(90);
    // Keyboard: focus the bar, move to today with End.
    await bar.focus();
    await page.keyboard.press('End');
    await expect.poll(() => detail.textContent()).toMatch(/1 outage/);
    await page.getByRole('button', { name: '← All nodes' }).click();
  });

  it("shows a day's outages on a card's uptime bar, by pointer and by keyboard", async () => {
    await page.locator('label', { hasText: 'Cards' }).click();
    const bar = card('gone-1').getByTestId('uptime-bar');
    await expect.poll(() => bar.locator('.uptime-day').count(), { timeout: 15_000 }).toBeGreaterThan(1);
    // The card's detail floats over the cards (a portal), not inside the card.
    const detail = page.locator('.uptime-detail.floating');
    await bar.locator('.uptime-day').last().hover();
    // The count comes with the fleet's days; the outage itself is fetched for this node (NodeDayDetail).
    await expect.poll(() => detail.textContent(), { timeout: 15_000 }).toMatch(/1 outage/);
    await expect.poll(() => detail.textContent(), { timeout: 15_000 }).toMatch(/since .+, still offline/);
    await expectAccessible(page, 'the fleet cards with a day shown');
    await bar.locator('.uptime-day').first().hover();
    await expect.poll(() => detail.textContent()).toMatch(/not connected yet/);
    await page.mouse.move(0, 0);
    await expect.poll(() => detail.count()).toBe(0);

    // Keyboard: Tab from the card's name reaches the bar; focus shows today, Home the first day.
    await card('gone-1').getByRole('button', { name: 'gone-1' }).focus();
    await page.keyboard.press('Tab');
    await expect.poll(() => bar.evaluate((el) => el === document.activeElement)).toBe(true);
    await expect.poll(() => detail.textContent(), { timeout: 15_000 }).toMatch(/since .+, still offline/);
    expect(await bar.getAttribute('aria-describedby')).toBe(await detail.getAttribute('id'));
    await page.keyboard.press('Home');
    await expect.poll(() => detail.textContent()).toMatch(/not connected yet/);
    await page.keyboard.press('End');
    await expect.poll(() => detail.textContent()).toMatch(/1 outage/);
    await page.keyboard.press('Escape');
    await expect.poll(() => detail.count()).toBe(0);
    await page.locator('label', { hasText: 'Table' }).click();
    await row('web-1').waitFor();
  });

  it('shows interfaces, disks and the top processes of a node on demand', async () => {
    await row('web-1').getByRole('button', { name: 'web-1' }).click();
    await page.getByRole('heading', { name: 'web-1' }).waitFor();
    await expect.poll(() => page.locator('[data-testid="interfaces"] tbody tr').count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid="disks"] tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="disks"] tbody tr').first().textContent()).toMatch(/of/);
    await page.getByRole('button', { name: 'Show top processes' }).click();
    const byCpu = page.locator('[data-testid="processes-cpu"] tbody tr');
    await expect.poll(() => byCpu.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await byCpu.count()).toBeLessThanOrEqual(15);
    await page.getByRole('tab', { name: 'By memory' }).click();
    await expect.poll(() => page.locator('[data-testid="processes-memory"] tbody tr').count()).toBeGreaterThan(0);
    await expectAccessible(page, 'the node page');
    await page.getByRole('button', { name: '← All nodes' }).click();
    // An agent started with --no-processes: the page says so instead of offering the list.
    await row('db-1').getByRole('button', { name: 'db-1' }).click();
    await page.getByText(/does not share its processes/).waitFor();
    expect(await page.getByRole('button', { name: 'Show top processes' }).count()).toBe(0);
    await page.getByRole('button', { name: '← All nodes' }).click();
  });

  it('shows cards at phone width without scrolling sideways', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
    try {
      await phone.addInitScript((token) => sessionStorage.setItem('fleetdeck.adminToken', token), master.adminToken);
      await phone.goto(master.adminUrl);
      await phone.locator(`.fleet-card[data-node-id="${ids['web-1']}"]`).waitFor();
      expect(await phone.locator('tr[data-node-id]').count()).toBe(0);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await expectAccessible(phone, 'the fleet at 390 px');
    } finally {
      await phone.close();
    }
  });
});
