// The Terminals screen in a real Chromium against a real master and a real agent with --terminal:
// open a terminal on the node, type, see the output, resize the window and see the shell's new size.
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
});
