// Alert rules with a real master process and real agents: an agent stopped with SIGSTOP is alerted
// offline once, within its grace + 5 s; CPU driven by busy processes fires once after its duration and
// resolves when they stop; a firing's action runs its task once; silences and maintenance windows
// keep alerts quiet; state survives a master restart without firing again.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputOf } from '../../main/contract/contract.js';
import {
  AGENT_BUNDLE,
  createNode,
  type MasterHandle,
  openEventStream,
  type Proc,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';

type History = OutputOf<'alertHistory'>;

const FAST_AGENT = ['--metrics-interval-sec', '1'];

async function historyOf(master: MasterHandle, ruleId: string): Promise<History> {
  return master.client.alertHistory({ ruleId });
}

async function waitForHistory(master: MasterHandle, ruleId: string, n: number, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const h = await historyOf(master, ruleId);
      return h.length >= n ? h : null;
    },
    `${n} history entries of rule ${ruleId}`,
    timeoutMs,
    100,
  );
}

/** Busy loops on every core, so the host's CPU is near 100 % whatever else runs. */
function burnCpu(): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

describe('alert rules on a real master with real agents', () => {
  let master: MasterHandle;
  const cleanup: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    // A 1 s heartbeat: a stopped agent is offline within about 4 s.
    master = await startMaster({ args: ['--heartbeat-sec', '1', '--restart-grace-sec', '5'] });
    cleanup.push(() => master.proc.stop('SIGKILL'));
  }, 30_000);

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  async function agentNode(name: string): Promise<{ id: string; agent: Proc }> {
    const created = await createNode(master, name);
    const agent = startAgent({ master, token: created.token, args: FAST_AGENT });
    cleanup.push(() => agent.stop('SIGKILL'));
    await waitForStatus(master, created.node.id, 'online');
    return { id: created.node.id, agent };
  }

  it('an agent stopped with SIGSTOP fires the offline alert once within grace + 5 s, and resolves when it continues', async () => {
    const { id, agent } = await agentNode('stopped-1');
    const rule = await master.client.createAlertRule({
      name: 'Node offline',
      severity: 'critical',
      condition: { kind: 'offline', graceSec: 5 },
      scope: { nodeIds: [id] },
    });
    const events = await openEventStream(master);
    let text = '';
    const reading = (async () => {
      for (;;) {
        const chunk = await events.read().catch(() => '');
        if (!chunk) return;
        text += chunk;
      }
    })();
    const stoppedAt = Date.now();
    agent.signal('SIGSTOP');
    const [fired] = await waitForHistory(master, rule.id, 1, 20_000);
    expect(fired).toMatchObject({ state: 'firing', nodeId: id, summary: 'stopped-1 offline for more than 5 s' });
    expect((fired?.at ?? 0) - stoppedAt).toBeLessThanOrEqual(10_000);
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(10_000 + 1_000);
    const [alert] = await master.client.listAlerts({ ruleId: rule.id });
    expect(alert).toMatchObject({ state: 'firing', nodeName: 'stopped-1', severity: 'critical' });
    // Still one firing a few seconds later: the leader's checks do not repeat it.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await historyOf(master, rule.id)).filter((h) => h.state === 'firing')).toHaveLength(1);
    agent.signal('SIGCONT');
    const after = await waitForHistory(master, rule.id, 2, 30_000);
    expect(after.map((h) => h.state)).toEqual(['resolved', 'firing']);
    expect(after[0]?.summary).toBe('stopped-1 back online');
    await waitFor(() => /event: alertChanged\ndata: \{[^\n]*"state":"resolved"/.test(text), 'the alertChanged event');
    events.close();
    await reading;
    await master.client.deleteAlertRule({ id: rule.id });
  }, 60_000);

  it('CPU above the threshold for the duration fires once, and resolves when the busy processes stop', async (ctx) => {
    const { id } = await agentNode('busy-1');
    // Start from a host that is not already near the threshold. This machine is shared: when other
    // work keeps it busy the test says so and skips; the next test covers the same path exactly.
    const quiet = await waitFor(
      async () => {
        const live = await master.client.liveMetrics({ id });
        return (live.latest?.cpu?.usage ?? 100) < 80;
      },
      'a CPU below 80 % before the test',
      30_000,
      500,
    ).catch(() => false);
    if (!quiet) {
      console.warn('SKIPPED: the host stayed above 80 % CPU for 30 s; busy processes cannot move it past 90 %');
      ctx.skip();
    }
    const rule = await master.client.createAlertRule({
      name: 'CPU saturated',
      condition: { kind: 'cpu', op: 'above', threshold: 90, recovery: 85, forSec: 3 },
      scope: { nodeIds: [id] },
    });
    const burners = burnCpu();
    cleanup.push(() => {
      for (const b of burners) b.kill('SIGKILL');
    });
    const [fired] = await waitForHistory(master, rule.id, 1, 30_000);
    expect(fired).toMatchObject({ state: 'firing', nodeName: 'busy-1', threshold: 90 });
    expect(fired?.value).toBeGreaterThanOrEqual(90);
    expect(fired?.summary).toMatch(/^CPU \d+(\.\d)? % for 3 s on busy-1$/);
    for (const b of burners) b.kill('SIGKILL');
    const after = await waitForHistory(master, rule.id, 2, 60_000);
    expect(after.map((h) => h.state)).toEqual(['resolved', 'firing']);
    expect(after[0]?.value).toBeLessThan(85);
    await master.client.deleteAlertRule({ id: rule.id });
  }, 150_000);

  it('CPU fed through the kernel counter file: fires once after the duration, holds between the thresholds (hysteresis), resolves below the recovery', async (ctx) => {
    if (process.getuid?.() !== 0) {
      console.warn('SKIPPED: needs root for a private mount namespace (unshare) to feed the agent /proc/stat');
      ctx.skip();
    }
    // The one stand-in here: the agent's /proc/stat is a file this test writes (bind-mounted in the
    // agent's own mount namespace), because a shared, busy machine cannot be held at chosen CPU
    // shares. The agent, its sampler, the master's accounting and evaluation are all real.
    const created = await createNode(master, 'counted-1');
    const id = created.node.id;
    const stat = join(tempDir('fleetdeck-alert-stat-'), 'stat');
    let busy = 0;
    let idle = 0;
    let share = 0.1;
    const write = () => {
      busy += Math.round(share * 100);
      idle += Math.round((1 - share) * 100);
      writeFileSync(stat, `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 ${busy} 0 0 ${idle} 0 0 0 0 0 0\n`);
    };
    write();
    const ticker = setInterval(write, 250);
    cleanup.push(() => clearInterval(ticker));
    const args = [
      AGENT_BUNDLE,
      '--master',
      master.agentUrl,
      '--token',
      created.token,
      '--state-dir',
      tempDir('fleetdeck-agent-'),
    ];
    if (master.fingerprint) args.push('--ca-fingerprint', master.fingerprint);
    const agent = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$0" /proc/stat && exec "$@"',
        stat,
        process.execPath,
        ...args,
        ...FAST_AGENT,
      ],
      { stdio: 'ignore', env: { PATH: process.env.PATH } },
    );
    cleanup.push(() => void agent.kill('SIGKILL'));
    await waitForStatus(master, id, 'online', 20_000);
    const rule = await master.client.createAlertRule({
      name: 'CPU counted',
      condition: { kind: 'cpu', op: 'above', threshold: 90, recovery: 50, forSec: 3 },
      scope: { nodeIds: [id] },
    });
    const cpuIs = (low: number, high: number) =>
      waitFor(
        async () => {
          const usage = (await master.client.liveMetrics({ id })).latest?.cpu?.usage;
          return usage !== undefined && usage !== null && usage >= low && usage <= high;
        },
        `CPU between ${low} and ${high} %`,
        15_000,
        200,
      );
    await cpuIs(5, 15);
    share = 1;
    const started = Date.now();
    const [fired] = await waitForHistory(master, rule.id, 1, 20_000);
    expect(fired).toMatchObject({ state: 'firing', value: 100, summary: 'CPU 100 % for 3 s on counted-1' });
    // Held for its 3 s first (a sample interval either side).
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    // 70 %: under the threshold, over the recovery value: still firing.
    share = 0.7;
    await cpuIs(65, 75);
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await historyOf(master, rule.id)).map((h) => h.state)).toEqual(['firing']);
    share = 0.2;
    const after = await waitForHistory(master, rule.id, 2, 20_000);
    expect(after.map((h) => h.state)).toEqual(['resolved', 'firing']);
    // A sample may straddle the change (between 70 and 20 %): below the recovery value either way.
    expect(after[0]?.value).toBeLessThan(50);
    expect(after[0]?.summary).toMatch(/^CPU back to \d+(\.\d)? % on counted-1$/);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await historyOf(master, rule.id)).toHaveLength(2);
    await master.client.deleteAlertRule({ id: rule.id });
    agent.kill('SIGKILL');
  }, 90_000);

  it("a firing's action runs its task on the node once; silenced rules and maintenance windows fire quietly and act not", async () => {
    const { id } = await agentNode('acted-1');
    const marker = join(tempDir('fleetdeck-alert-action-'), 'acted.log');
    const task = await master.client.createTask({
      name: 'clean up',
      exec: { command: `echo acted >> ${marker}` },
      targets: { nodeIds: [id] },
    });
    // CPU is always at or above 0 %: the alert fires at the first sample and stays firing.
    const always = { kind: 'cpu', op: 'above', threshold: 0, forSec: 0 } as const;
    const acting = await master.client.createAlertRule({
      name: 'Act',
      condition: always,
      scope: { nodeIds: [id] },
      action: { taskId: task.id },
    });
    const silenced = await master.client.createAlertRule({
      name: 'Silenced',
      condition: always,
      scope: { nodeIds: [id] },
      action: { taskId: task.id },
    });
    await master.client.createSilence({ ruleId: silenced.id, endsAt: Date.now() + 3_600_000, comment: 'quiet' });
    const windowed = await master.client.createAlertRule({
      name: 'In maintenance',
      condition: always,
      scope: { nodeIds: [id] },
    });
    await master.client.createMaintenanceWindow({
      name: 'always open',
      cron: '* * * * *',
      durationSec: 3600,
      ruleId: windowed.id,
    });
    const [fired] = await waitForHistory(master, acting.id, 1);
    await waitFor(async () => (await historyOf(master, acting.id))[0]?.action?.state === 'done', 'the action queued');
    await waitFor(() => existsSync(marker) && readFileSync(marker, 'utf8').includes('acted'), 'the task ran', 20_000);
    const [quiet] = await waitForHistory(master, silenced.id, 1);
    const [inWindow] = await waitForHistory(master, windowed.id, 1);
    expect(fired).toMatchObject({ state: 'firing', silenced: false });
    expect(quiet).toMatchObject({ state: 'firing', silenced: true, action: null });
    expect(inWindow).toMatchObject({ state: 'firing', silenced: true });
    const scraped = await fetch(new URL('/metrics', master.adminUrl), {
      headers: { authorization: `Bearer ${master.adminToken}` },
    }).then((r) => r.text());
    expect(scraped).toMatch(/^fleetdeck_alerts_firing\{severity="warning"\} 3$/m);
    expect(scraped).toMatch(/^fleetdeck_alerts_firing_silenced\{severity="warning"\} 2$/m);
    const runs = await master.client.listTaskRuns({ id: task.id });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.reason).toMatch(/^alert "Act": CPU/);
    // Samples keep coming; the alert stays firing and nothing runs again.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(readFileSync(marker, 'utf8')).toBe('acted\n');
    expect(await master.client.listTaskRuns({ id: task.id })).toHaveLength(1);
    expect(await historyOf(master, acting.id)).toHaveLength(1);

    // A restart (graceful, then kill -9): the alert is still firing, not fired again, not acted on again.
    for (const how of ['SIGTERM', 'SIGKILL'] as const) {
      const { dataDir } = master;
      await master.proc.stop(how);
      master = await startMaster({ dataDir, args: ['--heartbeat-sec', '1', '--restart-grace-sec', '5'] });
      cleanup.push(() => master.proc.stop('SIGKILL'));
      await waitForStatus(master, id, 'online', 30_000);
      await new Promise((r) => setTimeout(r, 4_000));
      const [alert] = await master.client.listAlerts({ ruleId: acting.id });
      expect(alert).toMatchObject({ state: 'firing', firedAt: fired?.at });
      expect(await historyOf(master, acting.id)).toHaveLength(1);
      expect(await master.client.listTaskRuns({ id: task.id })).toHaveLength(1);
    }
    expect(readFileSync(marker, 'utf8')).toBe('acted\n');
  }, 120_000);

  it("refuses bad rules in the user's words", async () => {
    const wrongSide = await master.failure('createAlertRule', {
      name: 'x',
      condition: { kind: 'cpu', op: 'above', threshold: 80, recovery: 95 },
    });
    expect(wrongSide.status).toBe(400);
    expect(wrongSide.message).toMatch(/recovering side of the threshold/);
    const unknownKind = await master.failure('createAlertRule', { name: 'x', condition: { kind: 'tls' } as never });
    expect(unknownKind.status).toBe(400);
    const badCron = await master.failure('createMaintenanceWindow', { name: 'x', cron: 'sundays', durationSec: 600 });
    expect(badCron.status).toBe(400);
    expect(badCron.message).toMatch(/five or six cron fields/);
    const noTask = await master.failure('createAlertRule', {
      name: 'x',
      condition: { kind: 'offline' },
      action: { taskId: 'task_missing' },
    });
    expect(noTask.message).toMatch(/does not exist: pick a saved task/);
  });
});
