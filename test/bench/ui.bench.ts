// Fleet view frame times in Debian's Chromium: the overview with 1,000 and 10,000 simulated nodes
// updating live (every node reports each second, so each ≈1 Hz event carries all of them) while the
// list scrolls continuously. Frame times come from requestAnimationFrame deltas inside the page.
import { join } from 'node:path';
import { silentLogger } from '../../main/core/log.js';
import { AdminServer } from '../../main/server/http.js';
import { ROOT } from '../helpers/processes.js';
import { launchChromium } from '../helpers/services.js';
import { benchMaster, createNodes, externalSwarm, percentile, saveResult, sleep } from './harness.js';

async function frameTimes(nodes: number, seconds = 10) {
  const master = await benchMaster();
  const server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    master,
    log: silentLogger,
    staticDir: join(ROOT, 'out/renderer'),
  });
  const { port } = await server.start();
  const { tokens } = await createNodes(master, nodes, 'ui');
  const swarm = await externalSwarm(master.agentUrl, tokens, 0, { intervalMs: 1_000, perFrame: 1 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.addInitScript(() => sessionStorage.setItem('fleetdeck.adminToken', 'bench-admin-token-0123456789'));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByText(`${nodes + 1} of ${nodes + 1} shown`).waitFor({ timeout: 60_000 });
    await sleep(3_000);
    // A string, not a function: the TypeScript loader would add helpers the page does not have.
    const deltas = (await page.evaluate(`(async () => {
      const body = document.querySelector('tbody.grid-body');
      const out = [];
      let last = performance.now();
      const end = last + ${seconds * 1000};
      await new Promise((resolve) => {
        const frame = (now) => {
          out.push(now - last);
          last = now;
          body.scrollTop = (body.scrollTop + 40) % Math.max(1, body.scrollHeight - body.clientHeight);
          if (now < end) requestAnimationFrame(frame);
          else resolve();
        };
        requestAnimationFrame(frame);
      });
      return out;
    })()`)) as number[];
    const sorted = [...deltas].sort((a, b) => a - b);
    return {
      nodes,
      frames: deltas.length,
      fps: Math.round(deltas.length / seconds),
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      p99Ms: percentile(sorted, 99),
      over50MsShare: deltas.filter((d) => d > 50).length / deltas.length,
    };
  } finally {
    await browser.close();
    await swarm.stop();
    await server.stop();
    await master.stop();
  }
}

export async function runUiBenchmarks() {
  const results = [];
  for (const nodes of [1_000, 10_000]) results.push(await frameTimes(nodes));
  console.table(
    results.map((r) => ({
      nodes: r.nodes,
      fps: r.fps,
      'p50 ms': r.p50Ms.toFixed(1),
      'p95 ms': r.p95Ms.toFixed(1),
      'p99 ms': r.p99Ms.toFixed(1),
      'frames > 50 ms': `${(r.over50MsShare * 100).toFixed(1)} %`,
    })),
  );
  saveResult('ui', results);
}
