// The Terminals screen in a real Chromium against a real master and a real agent with --terminal:
// open a terminal on the node, type, see the output, resize the window and see the shell's new size;
// search, copy and paste, font size; replay the session's recording in the player. The recent sessions:
// before any, the empty state says what a session is and how to open one; an ended one is listed with
// its duration and state.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPtyTools } from '../../agent/terminal/pty.js';
import { expectAccessible } from '../helpers/axe.js';
import { type E2eSession, e2eSession } from '../helpers/e2e-session.js';
import { hasChromium } from '../helpers/services.js';

const enabled = hasChromium() && process.platform === 'linux' && 'script' in findPtyTools();

describe.skipIf(!enabled)('terminals in Chromium', () => {
  let session: E2eSession;
  let page: Page;

  beforeAll(async () => {
    session = await e2eSession({ agents: [{ name: 'term-ui', args: ['--terminal'] }] });
    ({ page } = session);
  });

  afterAll(() => session?.close());

  // innerText: the rows' line breaks are what `stty size` lines are matched by.
  const screenText = () =>
    page
      .locator('.xterm-rows')
      .first()
      .evaluate((el) => {
        // biome-ignore lint/performance/useDomNodeTextContent: textContent has no line breaks between rows
        return (el as HTMLElement).innerText;
      });

  it('says what a session is and how to open one while there are none', async () => {
    await page.keyboard.press('Alt+8');
    await page.getByRole('heading', { name: 'Terminals' }).waitFor();
    const empty = page.getByTestId('sessions-empty');
    // The list's answer arrives: words, not a spinner that stays.
    await empty.waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByText('Loading the recent sessions…').count()).toBe(0);
    expect(await empty.textContent()).toContain('No terminal sessions yet');
    expect(await empty.textContent()).toContain('A session is a shell on one of your nodes');
    // term-ui is online with --terminal: the way to start one is the picker above.
    await expect
      .poll(() => empty.textContent(), { timeout: 15_000 })
      .toContain('choose a node above and press Open terminal');
    expect(await page.locator('tr[data-session-id]').count()).toBe(0);
    await expectAccessible(page, 'the Terminals screen without sessions');
  });

  it('opens a terminal, types, shows the output and follows a window resize', async () => {
    await page.keyboard.press('Alt+8');
    await page.getByRole('heading', { name: 'Terminals' }).waitFor();
    await page.getByPlaceholder('Choose a node').click();
    await page.getByRole('option', { name: 'term-ui' }).click();
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await page.locator('.xterm-rows').first().waitFor();
    await page.locator('.xterm').first().click();
    await page.keyboard.type('echo "ui-$((20+22))"');
    await page.keyboard.press('Enter');
    await expect.poll(screenText, { timeout: 15_000 }).toMatch(/ui-42/);
    await page.keyboard.type('stty size');
    await page.keyboard.press('Enter');
    await expect.poll(screenText, { timeout: 15_000 }).toMatch(/^\d+ \d+$/m);
    const before =
      /^(\d+) (\d+)$/m
        .exec(await screenText())
        ?.slice(1)
        .map(Number) ?? [];
    await expectAccessible(page, 'the Terminals screen');
    await page.setViewportSize({ width: 900, height: 700 });
    await page.keyboard.type('clear; stty size');
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => /^(\d+) (\d+)$/m.exec(await screenText())?.[2], { timeout: 15_000 })
      .not.toBe(String(before[1]));
    const after =
      /^(\d+) (\d+)$/m
        .exec(await screenText())
        ?.slice(1)
        .map(Number) ?? [];
    expect(after[1]).toBeLessThan(before[1] as number); // fewer columns in the narrower window
  });

  it('searches, copies the match, pastes, changes the font size, and replays the recording', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(session.master.adminUrl).origin,
    });
    await page.locator('.xterm').first().click();
    await page.keyboard.type('clear; echo "needle-$((6*7))"');
    await page.keyboard.press('Enter');
    await expect.poll(screenText, { timeout: 15_000 }).toMatch(/^needle-42$/m);
    // Ctrl+Shift+F goes to the search field; Enter finds and selects the match; Copy copies it.
    await page.keyboard.press('Control+Shift+F');
    const search = page.getByLabel('Search in the terminal');
    await expect.poll(() => search.evaluate((el) => el === document.activeElement)).toBe(true);
    await search.fill('needle-42');
    await search.press('Enter');
    await page.getByRole('button', { name: 'Copy the selection (Ctrl+Shift+C)' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), { timeout: 10_000 }).toBe('needle-42');
    // Ctrl+Shift+V pastes into the shell (Ctrl+V alone would be the shell's).
    await page.evaluate(() => navigator.clipboard.writeText('echo "pasted-$((1+1))"'));
    await page.locator('.xterm').first().click();
    await page.keyboard.press('Control+Shift+V');
    // The clipboard is read asynchronously: Enter once the pasted line is on the prompt.
    await expect.poll(screenText, { timeout: 15_000 }).toContain('echo "pasted-$((1+1))"');
    await page.keyboard.press('Enter');
    await expect.poll(screenText, { timeout: 15_000 }).toMatch(/^pasted-2$/m);

    const fontSize = () =>
      page
        .locator('.xterm-rows')
        .first()
        .evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
    const before = await fontSize();
    await page.getByRole('button', { name: 'Larger text' }).click();
    await expect.poll(fontSize).toBe(before + 1);
    await expectAccessible(page, 'the terminal toolbar');

    await page.keyboard.press('Alt+8');
    await page.locator('.xterm').first().click();
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    const replay = page.getByRole('button', { name: /^Replay the session on term-ui/ }).first();
    await replay.waitFor({ timeout: 20_000 });
    // The ended session is listed with how long it lasted (the master's times, in the app's words).
    // (The replay button is there while it is open too: its recording grows as it runs.)
    const lastSession = async () => (await session.master.client.listTerminalSessions({ limit: 50 }))[0];
    await expect.poll(async () => (await lastSession())?.endedAt ?? null, { timeout: 15_000 }).not.toBeNull();
    const ended = await lastSession();
    if (!ended || ended.endedAt === null) throw new Error('the session has not ended');
    const listed = page.locator(`tr[data-session-id="${ended.id}"]`);
    // The list refetches every 5 s: the row shows the end once the next answer is in.
    await expect
      .poll(() => listed.locator('td').nth(3).textContent(), { timeout: 15_000 })
      .toBe('Ended (the shell exited)');
    expect(await listed.locator('td').first().textContent()).toBe('term-ui');
    // A session shorter than a minute says so, never "0 min".
    const lasted = ended.endedAt - ended.startedAt;
    expect(await listed.locator('td').nth(2).textContent()).toBe(
      lasted < 60_000 ? '< 1 min' : `${Math.round(lasted / 60_000)} min`,
    );
    await expectAccessible(page, 'the Terminals screen with an ended session');
    await replay.click();
    const player = page.getByRole('dialog', { name: /^Recording: term-ui/ });
    await player.waitFor();
    const played = () =>
      player
        .getByTestId('recording-player')
        .locator('.xterm-rows')
        .evaluate((el) => {
          // biome-ignore lint/performance/useDomNodeTextContent: rows need their line breaks
          return (el as HTMLElement).innerText;
        });
    await expect.poll(played, { timeout: 30_000 }).toMatch(/needle-42/);
    // Seeking to the end shows everything the session showed.
    await player.getByRole('button', { name: /^(Pause|Play)$/ }).click();
    await player.getByRole('slider', { name: 'Position in the recording' }).press('End');
    await expect.poll(played, { timeout: 10_000 }).toMatch(/pasted-2/);
    await expectAccessible(page, 'the recording player');
    await player.getByRole('button', { name: 'Close the player' }).click();
  });
});
