// The cockpit tells the truth (issue 15, defects 3 and 9): in Debian's Chromium against a real
// headless master with real agents — one event stream per page, a banner when the master is gone,
// offline nodes greyed with an age that ticks, figures that follow their events, error banners that
// clear on the next success, and a 401 on the stream that logs out.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eSession, e2eSession, type SessionNode } from '../helpers/e2e-session.js';
import { type MasterHandle, type Proc, ROOT, startAgent, startMaster, tempDir } from '../helpers/processes.js';
import { hasChromium } from '../helpers/services.js';

const enabled = hasChromium();
// `npm run screenshots` refreshes docs/screenshots/; ordinary runs keep theirs in a temp dir.
const SHOTS =
  process.env.FLEETDECK_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : tempDir('fleetdeck-shots-');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const BANNER = /Connection to the master lost — reconnecting \(retry in \d+ s\)…/;

describe.skipIf(!enabled)('the cockpit shows the truth', () => {
  let session: E2eSession;
  let master: MasterHandle;
  let page: Page;
  let agent: Proc;
  let agentToken: string;
  let agentNode: string;
  let ports: { agentPort: number; adminPort: number };
  const dataDir = tempDir('fleetdeck-truth-');
  const eventStreams: string[] = [];
  const nodeLists: number[] = [];
  // The session's processes (SIGKILLed last first when it closes): every master this test starts too.
  let procs: Proc[] = [];

  const restartMaster = async (env: NodeJS.ProcessEnv = {}) => {
    master = await startMaster({ dataDir, ...ports, env });
    procs.push(master.proc);
    return master;
  };
  const row = (id: string) => page.locator(`tr[data-node-id="${id}"]`);
  const nodesScreen = () => page.getByRole('button', { name: 'Nodes', exact: true }).click();

  beforeAll(async () => {
    ports = { agentPort: await freePort(), adminPort: await freePort() };
    session = await e2eSession({
      master: () => restartMaster(),
      agents: [{ name: 'truth-agent' }],
      beforeLogin: (first) => {
        first.on('request', (request) => {
          const url = new URL(request.url());
          if (url.pathname === '/api/events') eventStreams.push(url.pathname);
          if (url.pathname === '/api/nodes' && request.method() === 'GET') nodeLists.push(Date.now());
        });
      },
    });
    // The first master went onto the local list before the session had one: hand them all over.
    session.procs.unshift(...procs);
    procs = session.procs;
    page = session.page;
    const node = session.nodes['truth-agent'] as SessionNode;
    ({ id: agentNode, token: agentToken, proc: agent } = node);
  });

  afterAll(() => session?.close());

  it('opens one event stream for the whole page, whatever the screens subscribe to', async () => {
    await row(agentNode).waitFor();
    await page.getByRole('button', { name: 'truth-agent', exact: true }).click();
    await page.getByRole('heading', { name: 'truth-agent' }).waitFor();
    await page.getByRole('button', { name: 'Tasks', exact: true }).click();
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    await nodesScreen();
    await row(agentNode).waitFor();
    // Let any late subscription open its stream before counting.
    await page.waitForTimeout(1_000);
    expect(eventStreams).toHaveLength(1);
  });

  it('refetches a node’s uptime and status history when its agent stops', async () => {
    await page.getByRole('button', { name: 'truth-agent', exact: true }).click();
    await page.getByRole('heading', { name: 'truth-agent' }).waitFor();
    await page.getByText('connected now').waitFor();
    const history = page.locator('.status-history li');
    const before = await history.count();
    await agent.stop();
    await expect.poll(() => history.count(), { timeout: 15_000 }).toBe(before + 1);
    expect(await history.first().textContent()).toMatch(/^offline/);
    await page.getByText(/last seen \d+ s ago/).waitFor();
    await expect.poll(() => page.locator('section.now').getAttribute('class')).toBe('now stale');
  });

  it('greys an offline node’s row with its last-seen age, and the age ticks', async () => {
    await page.getByRole('button', { name: '← All nodes' }).click();
    const lastSeen = row(agentNode).locator('td.last-seen');
    await expect.poll(() => row(agentNode).locator('.status-badge').textContent()).toMatch(/^Offline \d+ s$/);
    expect(await row(agentNode).getAttribute('data-stale')).toBe('true');
    const first = await lastSeen.textContent();
    expect(first).toMatch(/^\d+ s ago$/);
    await expect.poll(() => lastSeen.textContent(), { timeout: 5_000 }).not.toBe(first);
    expect(await lastSeen.textContent()).toMatch(/^\d+ s ago$/);
    agent = startAgent({ master, token: agentToken });
    procs.push(agent);
    await expect.poll(() => lastSeen.textContent(), { timeout: 15_000 }).toBe('now');
    expect(await row(agentNode).getAttribute('data-stale')).toBe('false');
  });

  it('clears an error banner once a later action succeeds', async () => {
    const spare = (await master.api<{ node: { id: string } }>('POST', '/api/nodes', { name: 'spare' })).body.node;
    await page.getByRole('button', { name: 'spare', exact: true }).click();
    await page.getByRole('heading', { name: 'spare' }).waitFor();
    const actions = page.getByRole('region', { name: 'Actions' });
    await actions.getByLabel('Name').fill('');
    await actions.getByRole('button', { name: 'Save' }).click();
    await actions.getByRole('alert').filter({ hasText: 'a node needs a name' }).waitFor();
    await actions.getByRole('button', { name: 'Rotate token' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate token' }).click();
    await page.locator('.credentials pre').waitFor();
    await expect.poll(() => actions.getByRole('alert').count()).toBe(0);
    await master.api('DELETE', `/api/nodes/${spare.id}`);
    await page.getByRole('button', { name: '← All nodes' }).click();
  });

  it('moves a task’s “next run” on once it has passed', async () => {
    const task = await master.api<{ id: string }>('POST', '/api/tasks', {
      name: 'ticking',
      exec: { command: 'true' },
      targets: { nodeIds: [agentNode] },
      schedule: '*/4 * * * * *',
      timezone: 'UTC',
    });
    await page.getByRole('button', { name: 'Tasks', exact: true }).click();
    const next = page.locator('tr', { hasText: 'ticking' }).locator('td').nth(3);
    const shownAt = async () => {
      const text = ((await next.textContent()) ?? '').replace(/^next /, '');
      return text ? await page.evaluate((t) => new Date(t).getTime(), text) : Number.NaN;
    };
    await expect.poll(shownAt).toBeGreaterThan(0);
    const first = await shownAt();
    // Once that time has passed, the screen shows one still ahead (without a reload).
    await page.waitForTimeout(Math.max(0, first - Date.now()) + 1_500);
    await expect.poll(async () => (await shownAt()) > Date.now(), { timeout: 10_000 }).toBe(true);
    await master.api('DELETE', `/api/tasks/${task.body.id}`);
  });

  it('follows command events in a run’s header counts, not only the run’s own status changes', async () => {
    await master.api('POST', '/api/tasks', {
      name: 'one-at-a-time',
      exec: { command: 'sleep 2' },
      targets: { nodeIds: ['local', agentNode] },
      concurrency: 1,
    });
    await page.reload();
    await page.getByRole('button', { name: 'Tasks', exact: true }).click();
    await page.locator('tr', { hasText: 'one-at-a-time' }).getByRole('button', { name: 'Run now' }).click();
    const header = page.getByRole('region', { name: 'Run history' }).locator('tbody tr').first().locator('td').nth(2);
    // Between the run's start and its end no run status changes: only command events tell.
    await expect
      .poll(() => header.textContent(), { timeout: 10_000 })
      .toMatch(/^(?=.*1 succeeded)(?=.*1 running).* of 2$/);
    await expect.poll(() => header.textContent(), { timeout: 10_000 }).toMatch(/^2 succeeded of 2$/);
  });

  it('shows a banner within 5 s when the master stops, stops calling nodes live, and refetches on return', async () => {
    await nodesScreen();
    await expect.poll(() => row(agentNode).locator('td.last-seen').textContent()).toBe('now');
    await master.proc.stop();
    await page.getByText(BANNER).waitFor({ timeout: 5_000 });
    expect(await row(agentNode).locator('td.last-seen').textContent()).not.toBe('now');
    expect(await row(agentNode).getAttribute('data-stale')).toBe('true');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'connection-lost.png') });
    const listsBefore = nodeLists.length;
    await restartMaster();
    await page.getByText(BANNER).waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => nodeLists.length, { timeout: 10_000 }).toBeGreaterThan(listsBefore);
    await expect.poll(() => row(agentNode).locator('td.last-seen').textContent(), { timeout: 20_000 }).toBe('now');
  });

  it('logs out when the event stream answers 401 (the admin token changed) instead of retrying forever', async () => {
    await master.proc.stop();
    await page.getByText(BANNER).waitFor({ timeout: 5_000 });
    await restartMaster({ FLEETDECK_ADMIN_TOKEN: 'a-different-admin-token-0123456789' });
    await page.getByLabel('Admin token').waitFor({ timeout: 30_000 });
  });
});
