// In-band upgrade of 20 agents in stages. Each agent is installed by the one-line install (a batch
// code; as an unprivileged user with a home of its own, so under the script's supervisor) from a
// master whose agent files are a directory of the test. The fleet first runs an older build; the
// master's agent is rolled out 5 at a time and all 20 come back on it. Then a deliberately broken
// build (it answers --version, then dies at every start) is rolled out: the first stage's agents
// swap it in, fail, put the previous agent back on their own (the supervisor's marker check), and come
// back on it; the rollout stops there and the other 15 are never touched.
import { execFile } from 'node:child_process';
import { chownSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRolloutView } from '../../main/contract/rollout-schemas.js';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { AdminServer } from '../../main/server/http.js';
import { apiFor, type TestApi } from '../helpers/api-client.js';
import { ADMIN_TOKEN } from '../helpers/in-process.js';
import { AGENT_BUNDLE, requireBuild, tempDir, waitFor } from '../helpers/processes.js';

const run = promisify(execFile);
const NOBODY = 65534;
const AGENTS = 20;
const asRoot = process.getuid?.() === 0;
const realVersion = /\bvar VERSION = "([^"]+)";/.exec(readFileSync(AGENT_BUNDLE, 'utf8'))?.[1] as string;

describe.runIf(asRoot)('in-band agent rollout', () => {
  let master: Master;
  let server: AdminServer;
  let api: TestApi;
  const files = tempDir('fleetdeck-agent-files-');
  const bundle = join(files, 'fleetdeck-agent.cjs');
  const homes: string[] = [];
  const events: AgentRolloutView[] = [];

  /** Serves this bundle text as the master's agent. */
  const serve = (text: string) => writeFileSync(bundle, text, { mode: 0o644 });

  beforeAll(async () => {
    requireBuild();
    // The fleet starts on an "older" build: the real agent, naming another version.
    serve(readFileSync(AGENT_BUNDLE, 'utf8').replace(`var VERSION = "${realVersion}";`, 'var VERSION = "0.0.9-old";'));
    master = await Master.start({
      dataDir: tempDir('fleetdeck-rollout-master-'),
      agentListen: { host: '127.0.0.1', port: 0 },
      agentTls: true,
      adminToken: ADMIN_TOKEN,
      agentBundlePath: bundle,
      log: silentLogger,
    });
    master.bus.subscribe((m) => {
      if (m.event === 'agentRollout') events.push(m.data);
    });
    server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
    const { port } = await server.start();
    api = apiFor({ adminUrl: `http://127.0.0.1:${port}/`, adminToken: ADMIN_TOKEN });
  }, 60_000);

  afterAll(async () => {
    for (const home of homes) {
      try {
        const pid = Number(readFileSync(join(home, '.local/state/fleetdeck-agent/supervisor.pid'), 'utf8'));
        process.kill(-pid, 'SIGKILL');
      } catch {}
    }
    await server?.stop();
    await master?.stop();
  });

  const versions = async () => (await api.client.listNodes({})).filter((n) => n.kind !== 'local');
  const finished = (id: string) =>
    waitFor(
      async () => {
        const r = await api.client.getAgentRollout({ id });
        return r.state !== 'running' ? r : null;
      },
      'the rollout to end',
      150_000,
      500,
    );

  it('upgrades 20 agents 5 at a time, then stops a broken build after its first stage, which rolls back', async () => {
    const code = await api.client.createEnrollmentCode({ maxUses: AGENTS, labels: { fleet: 'rollout' } });
    for (let i = 0; i < AGENTS; i++) {
      const home = tempDir('fleetdeck-rollout-home-');
      mkdirSync(home, { recursive: true });
      chownSync(home, NOBODY, NOBODY);
      homes.push(home);
      await run(
        'setpriv',
        [
          `--reuid=${NOBODY}`,
          `--regid=${NOBODY}`,
          '--clear-groups',
          'env',
          `HOME=${home}`,
          'sh',
          '-c',
          code.install.curl,
        ],
        {
          cwd: home,
        },
      );
    }
    await waitFor(
      async () => {
        const nodes = await versions();
        return nodes.length === AGENTS && nodes.every((n) => n.status === 'online' && n.agentVersion === '0.0.9-old');
      },
      '20 agents online on the old build',
      60_000,
      500,
    );

    // The master's real agent, 5 at a time.
    copyFileSync(AGENT_BUNDLE, bundle);
    const good = await api.client.startAgentRollout({ batchSize: 5, maxFailures: 0, timeoutSec: 60 });
    expect(good).toMatchObject({ version: realVersion, total: AGENTS, state: 'running' });
    const goodEnd = await finished(good.id);
    expect(goodEnd.state, JSON.stringify(goodEnd.nodes.filter((n) => n.state !== 'upgraded'))).toBe('succeeded');
    expect(goodEnd).toMatchObject({ done: AGENTS, failed: 0 });
    const upgrading = events
      .filter((e) => e.id === good.id)
      .map((e) => e.nodes.filter((n) => n.state === 'upgrading').length);
    expect(Math.max(...upgrading)).toBe(5); // staged: never more than a stage at once
    const progress = events.filter((e) => e.id === good.id).map((e) => e.done);
    expect(progress).toEqual([...progress].sort((a, b) => a - b)); // n/N only grows
    expect((await versions()).every((n) => n.agentVersion === realVersion && n.status === 'online')).toBe(true);

    // A broken build: starts for --version, dies at every real start.
    serve(
      '#!/usr/bin/env node\nvar VERSION = "0.2.0-broken";\nif (process.argv.includes("--version")) { console.log(VERSION); process.exit(0); }\nprocess.exit(70);\n',
    );
    const broken = await api.client.startAgentRollout({ batchSize: 5, maxFailures: 0, timeoutSec: 15 });
    const brokenEnd = await finished(broken.id);
    expect(brokenEnd.state).toBe('stopped');
    expect(brokenEnd.failed).toBe(5);
    expect(brokenEnd.nodes.filter((n) => n.state === 'failed')).toHaveLength(5);
    expect(brokenEnd.nodes.filter((n) => n.state === 'not-started')).toHaveLength(15);
    for (const node of brokenEnd.nodes.filter((n) => n.state === 'failed')) expect(node.error).toContain('rolled back');
    // Every agent is back on the good build, connected.
    await waitFor(
      async () => (await versions()).every((n) => n.status === 'online' && n.agentVersion === realVersion),
      'every agent online on the good build',
      30_000,
      500,
    );
  }, 300_000);
});
