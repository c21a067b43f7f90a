// The one-line install from the UI, in a real Chromium against a real headless master: Add a node →
// Get an install line shows the curl and wget lines; the curl line, run as an unprivileged user on
// this machine (a user install: its own HOME, the supervisor since there is no systemd), enrolls the
// node, and the panel says so once its agent is online.
import { execFile } from 'node:child_process';
import { chownSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { type MasterHandle, startMaster, tempDir } from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';

const run = promisify(execFile);
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

describe.skipIf(!hasChromium())('install line in the UI', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;
  const home = tempDir('fleetdeck-user-home-');
  let supervisor: number | null = null;

  beforeAll(async () => {
    master = await startMaster();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  });
  afterAll(async () => {
    if (supervisor) {
      try {
        process.kill(-supervisor, 'SIGTERM');
      } catch {}
    }
    await browser?.close();
    await master?.proc.stop();
  });

  it('shows the lines, and the node once the line ran on a host', async () => {
    await page.goto(master.adminUrl);
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Add a node').fill('edge-ui');
    await page.getByRole('button', { name: 'Get an install line' }).click();
    const panel = page.locator('.install-line');
    await panel.getByText('waiting for the host').waitFor();
    const lines = await panel.locator('pre').allTextContents();
    expect(lines[0]).toMatch(
      /^curl -fsSL --insecure --pinnedpubkey 'sha256\/\/\S+' https:\/\/\S+\/install\.sh \| sh -s -- --code [0-9A-Z]{4}-[0-9A-Z]{4}$/,
    );
    expect(lines[1]).toMatch(/sha256sum -c --quiet && sh "\$f" --code/);
    await expectAccessible(page, 'add node with an install line');
    if (!asRoot) return; // running the line as another user needs root here

    chownSync(home, NOBODY, NOBODY);
    const { stdout } = await run(
      'setpriv',
      [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        '--clear-groups',
        'env',
        `HOME=${home}`,
        'sh',
        '-c',
        lines[0] as string,
      ],
      { encoding: 'utf8', cwd: home },
    );
    expect(stdout).toContain('enrolled as node "edge-ui"');
    supervisor = Number(readFileSync(join(home, '.local/state/fleetdeck-agent/supervisor.pid'), 'utf8'));
    await panel.getByText('edge-ui is enrolled and online.').waitFor({ timeout: 20_000 });
    await panel.getByText('used').waitFor();

    // An in-band rollout from the fleet screen: the only agent already runs the master's version.
    await page.getByRole('button', { name: 'Upgrade the fleet' }).click();
    await page
      .locator('.agent-rollout')
      .getByText(/Upgraded to \S+: 1 of 1 nodes/)
      .waitFor({ timeout: 15_000 });
    await expectAccessible(page, 'fleet with an agent rollout');
  }, 90_000);
});
