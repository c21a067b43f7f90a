// Agent rollouts are kept in the store (migration 26): after a master restart a finished rollout is
// still listed as it ended, and one that was running is marked interrupted, n of N done — its node
// caught mid-upgrade counted as failed, the nodes it had not reached left alone (not-started) — never
// resumed behind the operator's back. On SQLite and MariaDB. The agents are raw protocol clients
// that say hello and ignore the upgrade offer, so a rollout stays in its first stage as long as needed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { desktopCaller } from '../../main/contract/caller.js';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { freshMariadb, hasMariadb } from '../helpers/databases.js';
import { ADMIN_TOKEN } from '../helpers/in-process.js';
import { AGENT_BUNDLE, requireBuild, tempDir, waitFor } from '../helpers/processes.js';
import { RawAgent } from '../helpers/raw-agent.js';

const targets: Array<{ name: string; db: () => Promise<{ url?: string; drop: () => Promise<void> }> }> = [
  { name: 'sqlite', db: async () => ({ drop: async () => undefined }) },
  ...(hasMariadb() ? [{ name: 'mariadb', db: freshMariadb }] : []),
];

describe.each(targets)('agent rollouts across a restart ($name)', ({ db }) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  });

  it('keeps a finished rollout and marks the running one interrupted with its progress', async () => {
    requireBuild();
    const { url, drop } = await db();
    cleanups.push(drop);
    const dataDir = tempDir('fleetdeck-rollout-restart-');
    const bundle = join(tempDir('fleetdeck-rollout-files-'), 'fleetdeck-agent.cjs');
    const real = readFileSync(AGENT_BUNDLE, 'utf8');
    const serve = (version: string) =>
      writeFileSync(bundle, real.replace(/\bvar VERSION = "[^"]+";/, `var VERSION = "${version}";`));
    const start = () =>
      Master.start({
        dataDir,
        dbUrl: url,
        agentListen: { host: '127.0.0.1', port: 0 },
        agentTls: true,
        adminToken: ADMIN_TOKEN,
        agentBundlePath: bundle,
        log: silentLogger,
      });

    serve('raw-test');
    const first = await start();
    let firstStopped = false;
    cleanups.push(async () => {
      if (!firstStopped) await first.stop();
    });
    const h = first.unguardedHandlers();
    const agents: RawAgent[] = [];
    for (const name of ['r-1', 'r-2', 'r-3']) {
      const { token } = await h.createNode({ name }, desktopCaller);
      agents.push(await RawAgent.connect(first, token));
    }
    cleanups.push(async () => {
      for (const a of agents) a.ws.terminate();
    });

    // The agents already run the offered version: done at once, 3 of 3 current.
    const done = await h.startAgentRollout({}, desktopCaller);
    await waitFor(
      async () => (await h.getAgentRollout({ id: done.id }, desktopCaller)).state === 'succeeded',
      'the first rollout to end',
      15_000,
    );

    // A new version, one node at a time: the first one is offered it and never answers.
    serve('9.9.9-new');
    const running = await h.startAgentRollout({ batchSize: 1, maxFailures: 5, timeoutSec: 600 }, desktopCaller);
    await waitFor(
      () => agents.some((a) => a.received.some((m) => m.type === 'upgrade')),
      'the first node to be offered the upgrade',
      15_000,
    );
    const listed = await h.listAgentRollouts({}, desktopCaller);
    expect(listed.map((r) => [r.id, r.state])).toEqual([
      [running.id, 'running'],
      [done.id, 'succeeded'],
    ]);
    expect(listed[0]?.nodes.map((n) => n.state)).toEqual(['upgrading', 'pending', 'pending']);

    firstStopped = true;
    await first.stop();
    const second = await start();
    cleanups.push(() => second.stop());
    const after = await second.unguardedHandlers().listAgentRollouts({}, desktopCaller);
    expect(after.map((r) => r.id)).toEqual([running.id, done.id]);
    const [interrupted, finished] = after as [(typeof after)[0], (typeof after)[0]];
    expect(finished).toMatchObject({ state: 'succeeded', done: 3, total: 3, failed: 0, version: 'raw-test' });
    expect(finished.nodes.map((n) => n.state)).toEqual(['current', 'current', 'current']);
    expect(interrupted).toMatchObject({ state: 'interrupted', version: '9.9.9-new', done: 1, failed: 1, total: 3 });
    expect(interrupted.finishedAt).toBeGreaterThan(interrupted.createdAt);
    expect(interrupted.message).toContain('1 of 3 nodes done');
    expect(interrupted.nodes.map((n) => n.state)).toEqual(['failed', 'not-started', 'not-started']);
    expect(interrupted.nodes[0]?.error).toContain('restarted during its upgrade');
    // And one by id, from the store.
    expect(await second.unguardedHandlers().getAgentRollout({ id: running.id }, desktopCaller)).toEqual(interrupted);
  }, 60_000);
});
