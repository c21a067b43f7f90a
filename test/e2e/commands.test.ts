// Command history you can always find again, and output that says when it was cut (issue 15, defects
// 2 and 8), in Debian's Chromium against a real headless master with real agents: a fan-out left
// mid-run is found on the Commands screen (Alt+3, rows focusable, Enter opens) with its output still
// streaming; filters by node, status and text; a pending command of an offline node says what it waits
// for and until when, and is cancelled through an in-app dialog; re-run; Run command warns about an
// offline target and offers a deadline; a capped output shows the notice with the stored size in both
// views; output follows unless scrolled up; the merged log replaces the side-by-side panes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CommandSummary,
  enqueue,
  getCommand,
  type MasterHandle,
  type Proc,
  ROOT,
  startAgent,
  startMaster,
  tempDir,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const enabled = hasChromium();
// `npm run screenshots` refreshes docs/screenshots/; ordinary runs keep theirs in a temp dir.
const SHOTS =
  process.env.FLEETDECK_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : tempDir('fleetdeck-shots-');

type Stored = CommandSummary & { batchId: string | null; outputBytes: number | null; deadlineAt: number | null };

describe.skipIf(!enabled)('command history and cut output in Chromium', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;
  const procs: Proc[] = [];
  const ids: Record<'one' | 'two' | 'gone', string> = { one: '', two: '', gone: '' };
  const browserDialogs: string[] = [];

  const rows = () => page.locator('tr.command-row');
  const rowOf = (text: string) => rows().filter({ hasText: text });
  const openCommands = async () => {
    await page.keyboard.press('Alt+3');
    await page.getByRole('heading', { name: 'Commands' }).waitFor();
  };
  const runScreen = () => page.getByRole('button', { name: 'Run command', exact: true }).click();

  beforeAll(async () => {
    master = await startMaster();
    const node = async (name: string) => {
      const { body } = await master.api<{ node: { id: string }; token: string }>('POST', '/api/nodes', { name });
      const agent = startAgent({ master, token: body.token });
      procs.push(agent);
      await waitForStatus(master, body.node.id, 'online', 15_000);
      return { id: body.node.id, agent };
    };
    ids.one = (await node('hist-one')).id;
    ids.two = (await node('hist-two')).id;
    // A node that was online and went away: its commands wait for it.
    const gone = await node('hist-gone');
    ids.gone = gone.id;
    await gone.agent.stop();
    await waitForStatus(master, ids.gone, 'offline', 15_000);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    // Every question must be an in-app dialog (Electron has no window.confirm that matches the app).
    page.on('dialog', (d) => {
      browserDialogs.push(d.message());
      void d.dismiss();
    });
    mkdirSync(SHOTS, { recursive: true });
    await page.goto(master.adminUrl);
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('(this master)').waitFor();
  });

  afterAll(async () => {
    expect(browserDialogs).toEqual([]);
    await browser?.close();
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await master?.proc.stop();
  });

  it('finds a fan-out left mid-run on Commands (Alt+3, Enter) with its output still streaming', async () => {
    await runScreen();
    await page.getByLabel('hist-one', { exact: true }).check();
    await page.getByLabel('hist-two', { exact: true }).check();
    await page.getByLabel('Command').fill('for i in $(seq 1 10); do echo tick-$i; sleep 0.7; done');
    await page.getByLabel('Command').press('Control+Enter');
    await expect.poll(() => page.locator('.output pre').first().textContent(), { timeout: 10_000 }).toMatch(/tick-1/);
    // Away from the screen that started it: it used to be gone for good.
    await page.getByRole('button', { name: 'Nodes', exact: true }).click();
    await openCommands();
    const row = rowOf('tick-$i');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(2);
    // Who launched it: this page signed in with the data dir's admin token.
    expect(await row.first().textContent()).toMatch(/admin token/);
    await row.first().focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: '← All commands' }).waitFor();
    const panes = page.locator('.command-detail .output');
    await expect.poll(() => panes.count()).toBe(2);
    expect(await page.locator('.command-detail').textContent()).toMatch(/fan-out of 2 commands/);
    // Output that streamed while no screen showed it is there while the commands still run (the master
    // stores output only with the result), and the rest streams in.
    await expect
      .poll(() => panes.locator('pre').allTextContents(), { timeout: 5_000 })
      .toEqual([expect.stringMatching(/^tick-1\ntick-2\n/), expect.stringMatching(/^tick-1\ntick-2\n/)]);
    expect(await page.locator('.command-detail .progress').textContent()).toBe('0 of 2 done');
    const all = Array.from({ length: 10 }, (_v, i) => `tick-${i + 1}\n`).join('');
    await expect.poll(() => panes.locator('pre').allTextContents(), { timeout: 15_000 }).toEqual([all, all]);
    await expect.poll(() => page.locator('.command-detail .progress').textContent()).toBe('2 of 2 done');
    expect(await panes.locator('.badge').allTextContents()).toEqual(['succeeded (exit 0)', 'succeeded (exit 0)']);
    await page.screenshot({ path: join(SHOTS, 'command-detail.png') });
  });

  it('re-runs the fan-out on the same nodes', async () => {
    const before = (await master.api<Stored[]>('GET', `/api/commands?q=${encodeURIComponent('tick-$i')}`)).body;
    expect(before).toHaveLength(2);
    await page.getByRole('button', { name: 'Re-run' }).click();
    const ask = page.getByRole('dialog');
    await ask.getByText('Run it again on 2 nodes?').waitFor();
    await ask.getByRole('button', { name: 'Run again' }).click();
    await expect
      .poll(async () => (await master.api<Stored[]>('GET', `/api/commands?q=${encodeURIComponent('tick-$i')}`)).body)
      .toHaveLength(4);
    const after = (await master.api<Stored[]>('GET', `/api/commands?q=${encodeURIComponent('tick-$i')}`)).body;
    const fresh = after.filter((c) => !before.some((b) => b.id === c.id));
    expect(fresh.map((c) => c.nodeId).sort()).toEqual(before.map((c) => c.nodeId).sort());
    expect(new Set(fresh.map((c) => c.batchId)).size).toBe(1);
    // The view moved to the new fan-out, which streams.
    await expect
      .poll(() => page.locator('.command-detail .output').first().getAttribute('data-command-id'))
      .toBeOneOf(fresh.map((c) => c.id));
    await expect
      .poll(() => page.locator('.command-detail .output pre').first().textContent(), { timeout: 15_000 })
      .toMatch(/^tick-1\ntick-2\n/);
  });

  it('filters by node, status and text, and a node page lists its recent commands', async () => {
    await enqueue(master, { nodeIds: [ids.one], exec: { command: 'echo filter-alpha' } });
    await enqueue(master, { nodeIds: [ids.two], exec: { command: 'echo filter-beta' } });
    const [failing] = await enqueue(master, { nodeIds: [ids.one], exec: { command: 'echo filter-gamma; exit 3' } });
    await waitForCommand(master, failing?.id as string);
    await page.getByRole('button', { name: '← All commands' }).click();
    await page.getByLabel('Command text').fill('filter-');
    await expect.poll(() => rows().count(), { timeout: 10_000 }).toBe(3);
    await page.getByLabel('Node').selectOption({ label: 'hist-one' });
    await expect.poll(() => rows().count()).toBe(2);
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().textContent()).toMatch(/filter-gamma.*failed.*3/);
    await page.screenshot({ path: join(SHOTS, 'commands.png') });
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Node').selectOption('');
    await page.getByLabel('Command text').fill('');
    await page.keyboard.press('Alt+1');
    await page.getByRole('button', { name: 'hist-two', exact: true }).click();
    await page.getByRole('heading', { name: 'Recent commands' }).waitFor();
    await rowOf('filter-beta').waitFor();
    await rowOf('filter-beta').click();
    await page.getByRole('heading', { name: 'echo filter-beta' }).waitFor();
  });

  it('warns before queueing for an offline node, takes a deadline, and says what the command waits for', async () => {
    await runScreen();
    await page.getByLabel('hist-gone', { exact: true }).check();
    const warning = page.locator('.offline-warning');
    await warning.getByText('hist-gone is not online').waitFor();
    await warning.getByText(/No deadline: it runs whenever the node connects/).waitFor();
    await page.getByLabel('Command').fill('echo waited-with-deadline');
    await page.getByLabel(/Give up if not started within/).fill('30');
    await page.screenshot({ path: join(SHOTS, 'run-command-offline.png') });
    await page.getByLabel('Command').press('Control+Enter');
    await page.locator('.output').first().waitFor();
    await enqueue(master, { nodeIds: [ids.gone], exec: { command: 'echo waited-forever' } });

    const [withDeadline] = (
      await master.api<Stored[]>('GET', `/api/commands?q=waited-with-deadline&nodeId=${ids.gone}`)
    ).body;
    expect(withDeadline?.status).toBe('pending');
    const minutes = ((withDeadline?.deadlineAt as number) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(25);
    expect(minutes).toBeLessThanOrEqual(30);

    await openCommands();
    await page.getByLabel('Command text').fill('waited-');
    await expect.poll(() => rows().count(), { timeout: 10_000 }).toBe(2);
    expect(await rowOf('waited-with-deadline').locator('.waiting').textContent()).toMatch(
      /^waiting for hist-gone \(offline\) — expires \d/,
    );
    expect(await rowOf('waited-forever').locator('.waiting').textContent()).toBe(
      'waiting for hist-gone (offline) — no deadline: it runs whenever the node connects',
    );
  });

  it('cancels a pending command of an offline node through an in-app dialog', async () => {
    await rowOf('waited-forever').click();
    await page
      .locator('.command-detail .output .waiting')
      .getByText(/no deadline/)
      .waitFor();
    await page.locator('.command-detail .row').getByRole('button', { name: 'Cancel' }).click();
    const ask = page.getByRole('dialog');
    await ask.getByText('Cancel the command on hist-gone?').waitFor();
    await ask.getByText('Not started yet: it will not run.').waitFor();
    await ask.getByRole('button', { name: 'Cancel command' }).click();
    await expect
      .poll(() => page.locator('.command-detail .output .badge').textContent(), { timeout: 10_000 })
      .toBe('cancelled');
    const [cancelled] = (await master.api<Stored[]>('GET', '/api/commands?q=waited-forever')).body;
    expect(cancelled?.status).toBe('cancelled');
    expect(await page.locator('.command-detail .waiting').count()).toBe(0);
  });

  it('shows where output was cut and the stored size, in the Commands view and in Run command', async () => {
    const [capped] = await enqueue(master, {
      nodeIds: [ids.one],
      exec: { command: "head -c 5000 /dev/zero | tr '\\0' x; echo; echo capped-end" },
      outputLimitBytes: 1024,
    });
    const stored = (await waitForCommand(master, capped?.id as string)) as Stored;
    expect(stored.truncated).toBe(true);
    expect(stored.status).toBe('succeeded');
    await openCommands();
    await page.getByLabel('Command text').fill('capped-end');
    await rowOf('capped-end').click();
    const notice = page.locator('.command-detail .truncated');
    await expect
      .poll(() => notice.textContent(), { timeout: 10_000 })
      .toBe(
        `✂ output cut at 1 KiB (stored ${stored.outputBytes?.toLocaleString('en-US')} bytes) — the rest was not kept`,
      );
    expect(await page.locator('.command-detail .output pre').textContent()).toMatch(
      /\[fleetdeck: output truncated at 1024 bytes\]/,
    );
    await page.screenshot({ path: join(SHOTS, 'command-truncated.png') });

    // Run command: the default 1 MiB cap; the notice comes with the result, in both of its views.
    await runScreen();
    await page.getByLabel('hist-gone', { exact: true }).uncheck();
    await page.getByLabel('hist-one', { exact: true }).check();
    await page.getByLabel('hist-two', { exact: true }).uncheck();
    await page.getByLabel('Command').fill("head -c 1100000 /dev/zero | tr '\\0' y; echo run-capped");
    await page.getByLabel('Command').press('Control+Enter');
    const runNotice = page.locator('.run-command .truncated');
    await expect.poll(() => runNotice.count(), { timeout: 20_000 }).toBe(1);
    const id = await page.locator('.run-command .output').getAttribute('data-command-id');
    const big = (await getCommand(master, id as string)) as Stored;
    expect(await runNotice.textContent()).toBe(
      `✂ output cut at 1,024 KiB (stored ${big.outputBytes?.toLocaleString('en-US')} bytes) — the rest was not kept`,
    );
    await page.getByRole('button', { name: 'Merged log' }).click();
    expect(await runNotice.textContent()).toMatch(/^✂ hist-one: output cut at 1,024 KiB/);
    await page.getByRole('button', { name: 'Side by side' }).click();
  });

  it('follows new output unless the user scrolled up', async () => {
    const [slow] = await enqueue(master, {
      nodeIds: [ids.two],
      exec: { command: 'for i in $(seq 1 30); do seq -f "follow-$i-%g" 1 10; sleep 0.3; done' },
    });
    await openCommands();
    await page.getByLabel('Command text').fill('follow-');
    await rowOf('follow-').click();
    const log = page.locator(`.command-detail .output[data-command-id="${slow?.id}"] pre`);
    const metrics = () =>
      log.evaluate((el) => ({ top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight }));
    // The log overflows and stays at its end as lines arrive.
    await expect
      .poll(async () => (await metrics()).height > (await metrics()).client * 2, { timeout: 15_000 })
      .toBe(true);
    const atEnd = async () => {
      const m = await metrics();
      return m.top + m.client >= m.height - 10;
    };
    expect(await atEnd()).toBe(true);
    const grownFrom = (await metrics()).height;
    await expect.poll(async () => (await metrics()).height).toBeGreaterThan(grownFrom);
    expect(await atEnd()).toBe(true);
    // Scrolled up: new output does not pull the view down.
    await log.evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event('scroll'));
    });
    const upAt = (await metrics()).height;
    await expect.poll(async () => (await metrics()).height).toBeGreaterThan(upAt);
    expect((await metrics()).top).toBe(0);
    // Back at the end: following again.
    await log.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
      el.dispatchEvent(new Event('scroll'));
    });
    const backAt = (await metrics()).height;
    await expect.poll(async () => (await metrics()).height).toBeGreaterThan(backAt);
    expect(await atEnd()).toBe(true);
    await waitForCommand(master, slow?.id as string, 30_000);
  });

  it('shows the merged log instead of the side-by-side panes, not beside them', async () => {
    await runScreen();
    await page.getByLabel('hist-one', { exact: true }).check();
    await page.getByLabel('hist-two', { exact: true }).check();
    await page.getByLabel('Command').fill('echo merged-$(hostname)-line');
    await page.getByLabel('Command').press('Control+Enter');
    await expect
      .poll(() => page.locator('.run-command .progress').textContent(), { timeout: 10_000 })
      .toBe('2 of 2 done');
    expect(await page.locator('.run-command .outputs').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Merged log' }).click();
    await expect.poll(() => page.locator('.merged-log').textContent()).toMatch(/\[hist-two\] merged-.*-line/);
    expect(await page.locator('.run-command .outputs').isVisible()).toBe(false);
    expect(await page.locator('.run-command .output').count()).toBe(0);
    await page.getByRole('button', { name: 'Side by side' }).click();
    expect(await page.locator('.merged-log').count()).toBe(0);
    expect(await page.locator('.run-command .output').count()).toBe(2);
  });
});
