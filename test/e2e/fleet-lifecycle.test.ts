// FleetDeck issue 15 in Debian's Chromium against a real headless master with real agents: revoking a
// node in the UI takes it off (and uninstall leaves nothing running on the host), a task run with an
// offline target shows why later runs skipped it and can be cancelled, and rotating a token says the
// connected agent stored it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNode,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';
import { hasChromium, launchChromium } from '../helpers/services.js';
import { hasSshd, TestSshd } from '../helpers/sshd.js';

/** Command lines of processes on this machine started from a directory (ps, not pgrep). */
function processesFrom(dir: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes(`${dir}/`) && !line.startsWith('ps '));
}

describe.skipIf(!hasChromium())('fleet lifecycle in Chromium', () => {
  let master: MasterHandle;
  let browser: Browser;
  let page: Page;
  const procs: Proc[] = [];
  const browserDialogs: string[] = [];

  const openNode = async (name: string) => {
    await page.getByRole('button', { name: 'Nodes', exact: true }).click();
    await page.getByRole('button', { name, exact: true }).click();
    await page.getByRole('heading', { name }).waitFor();
  };
  const confirmDialog = async (label: string, text: RegExp) => {
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toMatch(text);
    await dialog.getByRole('button', { name: label }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  };

  beforeAll(async () => {
    master = await startMaster();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    // Every question must be an in-app dialog.
    page.on('dialog', (d) => {
      browserDialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(master.adminUrl);
    await page.getByLabel('Admin token').fill(master.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('(this master)').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await master?.proc.stop();
    expect(browserDialogs).toEqual([]);
  });

  it.runIf(hasSshd())(
    'defect 1: revoke in the UI takes the node off; uninstall leaves nothing running on the host',
    async () => {
      const sshd = new TestSshd();
      await sshd.start();
      const installDir = join(tempDir('fleetdeck-ui-lifecycle-'), 'agent');
      try {
        const install = await master.api<{ id: string }>('POST', '/api/bootstrap', {
          hosts: [{ host: '127.0.0.1', port: sshd.port, username: sshd.username, name: 'ssh-revoke' }],
          auth: { privateKey: sshd.userKey.privateKey },
          confirmHostKeys: [sshd.hostKeyFingerprint],
          installDir,
        });
        type Job = { finishedAt: number | null; hosts: Array<{ status: string; nodeId: string; message: string }> };
        const job = async (id: string) =>
          waitFor(
            async () => {
              const { body } = await master.api<Job>('GET', `/api/bootstrap/${id}`);
              return body.finishedAt ? body : undefined;
            },
            'the bootstrap job',
            90_000,
          );
        const installed = await job(install.body.id);
        expect(installed.hosts[0]?.status, installed.hosts[0]?.message).toBe('done');
        const nodeId = installed.hosts[0]?.nodeId as string;
        await openNode('ssh-revoke');
        await page.getByRole('button', { name: 'Revoke' }).click();
        await confirmDialog('Revoke', /Revoke ssh-revoke\?/);
        await expect
          .poll(() => page.locator('.status-badge').first().textContent(), { timeout: 10_000 })
          .toBe('Revoked');
        await waitForStatus(master, nodeId, 'offline');
        const queued = await master.api('POST', '/api/commands', { nodeIds: [nodeId], exec: { command: 'true' } });
        expect(queued.status).toBe(409);

        const uninstall = await master.api<{ id: string }>('POST', `/api/nodes/${nodeId}/agent/uninstall`, {
          auth: { privateKey: sshd.userKey.privateKey },
        });
        const removed = await job(uninstall.body.id);
        expect(removed.hosts[0]?.status, removed.hosts[0]?.message).toBe('done');
        expect(processesFrom(installDir)).toEqual([]);
      } finally {
        await sshd.stop();
      }
    },
    150_000,
  );

  it('defect 4: a run with an offline target ends by its deadline, later runs say why they skipped it, a run can be cancelled', async () => {
    const healthy = await createNode(master, 'ui-web-1');
    const away = await createNode(master, 'ui-web-3');
    procs.push(startAgent({ master, token: healthy.token }));
    await waitForStatus(master, healthy.node.id, 'online');
    const task = await master.api<{ id: string }>('POST', '/api/tasks', {
      name: 'ui-every-second',
      exec: { command: 'echo tick' },
      targets: { nodeIds: [healthy.node.id, away.node.id] },
      schedule: '* * * * * *',
      deadlineSec: 3,
    });
    await page.getByRole('button', { name: 'Tasks', exact: true }).click();
    await page.getByRole('button', { name: 'ui-every-second' }).click();
    await page
      .locator('.runs .run-reason', {
        hasText: '1 target skipped: previous run still has 1 target pending (node ui-web-3 offline)',
      })
      .first()
      .waitFor({ timeout: 15_000 });
    // The first run ends once the offline target's command expires.
    await page.locator('.runs td', { hasText: '1 expired' }).first().waitFor({ timeout: 15_000 });
    await master.api('PATCH', `/api/tasks/${task.body.id}`, { enabled: false });

    const manual = await master.api<{ id: string }>('POST', '/api/tasks', {
      name: 'ui-manual',
      exec: { command: 'true' },
      targets: { nodeIds: [away.node.id] },
    });
    await page.getByRole('button', { name: 'ui-manual' }).click();
    await page.locator('tr', { hasText: 'ui-manual' }).getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await confirmDialog('Cancel run', /Cancel this run\?/);
    await page.locator('.runs .badge.cancelled').waitFor({ timeout: 10_000 });
    await page.locator('.runs .run-reason', { hasText: 'cancelled by an admin' }).waitFor();
    const runs = await master.api<Array<{ status: string }>>('GET', `/api/tasks/${manual.body.id}/runs`);
    expect(runs.body.map((r) => r.status)).toEqual(['cancelled']);
  }, 60_000);

  it('defect 5: rotating asks first, says what happens, and the connected agent stores the new token', async () => {
    const { node, token } = await createNode(master, 'ui-rotate');
    const stateDir = tempDir('fleetdeck-ui-rotate-');
    procs.push(startAgent({ master, token, args: ['--state-dir', stateDir] }));
    await waitForStatus(master, node.id, 'online');
    await openNode('ui-rotate');
    await page.getByRole('button', { name: 'Rotate token' }).click();
    await confirmDialog('Rotate token', /sent to the connected agent, which stores it/);
    await page.getByText('The agent stored the new token in its state directory.').waitFor({ timeout: 10_000 });
    const shown = await page.locator('.credentials pre').textContent();
    const rotated = /--token (fdk_\S+)/.exec(shown ?? '')?.[1] as string;
    expect(readFileSync(join(stateDir, 'rotated-token.json'), 'utf8')).toContain(rotated);
  });
});
