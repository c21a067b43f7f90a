// Reconnect storm and offline detection with a real master process: N simulated agents (with the real
// agent's backoff) connected; kill -9 the master and start it again on the same data dir and port; time
// until 99 % and 100 % are back, and the event-loop lag through it. Then silence every agent at once
// (SIGSTOP of the swarm) and time until the master has marked them all offline.
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { externalSwarm, saveResult, sleep } from './harness.js';

interface Health {
  agentsConnected: number;
  eventLoopLagMs: { p50: number; p99: number; max: number };
}

async function health(master: MasterHandle): Promise<Health> {
  return (await master.api<Health>('GET', '/api/health')).body;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await sleep(200);
  }
  return null;
}

export async function runStormBenchmarks(agents = 10_000) {
  const first = await startMaster({ args: ['--restart-grace-sec', '120'] });
  const tokens: string[] = [];
  for (let i = 0; i < agents; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, agents - i) }, (_v, k) =>
        first.api<{ token: string }>('POST', '/api/nodes', { name: `storm-${i + k}` }),
      ),
    );
    tokens.push(...batch.map((r) => r.body.token));
  }
  const swarm = await externalSwarm(first.agentUrl, tokens, 0, undefined, true);
  let master = first;
  try {
    await until(async () => (await health(master)).agentsConnected >= agents, 120_000);
    await master.proc.stop('SIGKILL');
    const killedAt = Date.now();
    master = await startMaster({
      dataDir: first.dataDir,
      agentPort: first.agentPort,
      args: ['--restart-grace-sec', '120'],
    });
    const readyMs = Date.now() - killedAt;
    const back99 = await until(async () => (await health(master)).agentsConnected >= agents * 0.99, 120_000);
    const back100 = await until(async () => (await health(master)).agentsConnected >= agents, 120_000);
    const afterStorm = await health(master);

    // Offline detection: every agent goes silent at once (heartbeat 3 s, deadline 9 s by default).
    process.kill(swarm.pid, 'SIGSTOP');
    const silentAt = Date.now();
    const allOffline = await until(async () => {
      const nodes = (await master.api<Array<{ status: string }>>('GET', '/api/nodes')).body;
      return nodes.filter((n) => n.status === 'online').length <= 1;
    }, 120_000);
    process.kill(swarm.pid, 'SIGCONT');
    const result = {
      agents,
      masterReadyMs: readyMs,
      back99Sec: back99 === null ? null : (readyMs + back99) / 1000,
      back100Sec: back100 === null || back99 === null ? null : (readyMs + back99 + back100) / 1000,
      lagAfterStormMs: afterStorm.eventLoopLagMs,
      offlineDetectedSec: allOffline === null ? null : allOffline / 1000,
      detectedAfterSilenceMs: Date.now() - silentAt,
    };
    console.table([
      { figure: 'master ready after kill -9 (s)', value: (readyMs / 1000).toFixed(1), target: '' },
      { figure: '99 % of agents back after the kill (s)', value: result.back99Sec, target: '≤ 30' },
      { figure: '100 % back (s)', value: result.back100Sec, target: '' },
      {
        figure: 'event-loop lag p99 / max over the storm (ms)',
        value: `${afterStorm.eventLoopLagMs.p99} / ${afterStorm.eventLoopLagMs.max}`,
        target: 'p99 ≤ 100',
      },
      { figure: 'all silent agents marked offline after (s)', value: result.offlineDetectedSec, target: '' },
    ]);
    saveResult('storm', result);
  } finally {
    await swarm.stop();
    await master.proc.stop();
  }
}
