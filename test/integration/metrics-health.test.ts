// Health must show rollups that stopped reaching the database (issue 24, item 7: the spool stopped
// writing for every node while health said ok). A master in this process, a raw agent reporting, and a
// database that refuses the rollup writes (their table dropped): health turns not ok, with the age.

import { afterEach, describe, expect, it } from 'vitest';
import { desktopCaller } from '../../main/contract/caller.js';
import { invoke } from '../../main/contract/dispatch.js';
import { silentLogger } from '../../main/core/log.js';
import { Master } from '../../main/core/master.js';
import { rxSample } from '../helpers/metric-samples.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { RawAgent } from '../helpers/raw-agent.js';

interface HealthView {
  ok: boolean;
  database: { ok: boolean };
  metricsWrites: {
    oldestUnwrittenAt: number | null;
    oldestAgeSec: number | null;
    stuck: boolean;
    rowsSetAside: number;
  };
}

const sample = (t: number, rx: number) => rxSample(t, rx, { uptimeSec: t / 1000 });

describe('health and rollup writes', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  });

  it('answers not ok once rollups have waited past the bound, and ok while they are written', async () => {
    const master = await Master.start({
      dataDir: tempDir('fleetdeck-health-'),
      agentListen: { host: '127.0.0.1', port: 0 },
      agentTls: true,
      log: silentLogger,
      // Stuck after six flush intervals of a second (the bound's floor for this flush interval).
      metrics: { flushIntervalMs: 1_000, stuckAfterMs: 1 },
    });
    stops.push(() => master.stop());
    const health = () => invoke(master.handlers(), 'health', {}, desktopCaller) as Promise<HealthView>;
    const { token } = (await invoke(master.handlers(), 'createNode', { name: 'reporter' }, desktopCaller)) as {
      token: string;
    };
    const agent = await RawAgent.connect(master, token, (ws) => stops.push(async () => ws.terminate()));
    let rx = 0;
    const report = setInterval(() => {
      rx += 1_000;
      agent.send({ type: 'metrics', intervalMs: 1_000, samples: [sample(Date.now(), rx)] });
    }, 500);
    stops.push(async () => clearInterval(report));

    await waitFor(
      async () => (await master.store.db.selectFrom('metric_minutes').select('node_id').execute()).length > 0,
      'rollups written',
    );
    expect(await health()).toMatchObject({ ok: true, metricsWrites: { stuck: false, oldestUnwrittenAt: null } });

    await master.store.db.schema.dropTable('metric_hours').execute();
    const stuck = await waitFor(
      async () => {
        const h = await health();
        return h.ok ? null : h;
      },
      'health to report the stuck writes',
      20_000,
    );
    expect(stuck.database.ok).toBe(true);
    expect(stuck.metricsWrites.stuck).toBe(true);
    expect(stuck.metricsWrites.oldestAgeSec).toBeGreaterThanOrEqual(6);
  }, 40_000);
});
