// Fleet view frame times in Debian's Chromium: the overview with 1,000 and 10,000 simulated nodes
// updating live (a sample a second from every node, framed as agents frame them: see liveLoad) while the
// list scrolls continuously, in the table and then in the card grid. Frame times come from requestAnimationFrame deltas inside the page.
// Then a reconnect storm: the swarm is frozen past the heartbeat deadline (every node goes offline)
// and thawed (every node redials with the agent's backoff), while the page scrolls and the node-list
// requests it makes are counted — status events are patched into the cache, so the list is fetched
// at most once per second however many events arrive.
// FLEETDECK_BENCH_UI_NODES=500 (comma-separated) runs other sizes, FLEETDECK_BENCH_UI_SECONDS=3 shorter
// frame measurements, e.g. for a short smoke run.
// First, the first screen of a cold load: JavaScript bytes until the first node shows, and the time to
// it with 1,000 nodes (FLEETDECK_BENCH_UI_FIRST_NODES); FLEETDECK_BENCH_UI_BEFORE=<older out/renderer>
// measures an older build beside it; FLEETDECK_BENCH_UI_PHASES=first-screen (or frames) runs one phase.
// FLEETDECK_BENCH_UI_PROFILE=<dir> writes the page's CPU profile of each view's measurement there.
// On a 2-core machine the master and the 10,000-agent swarm take about 1.4 cores: BENCHMARKS.md gives
// the command that runs Chromium on a core of its own (taskset, FLEETDECK_CHROMIUM).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { samplesPerFrame } from '../../agent/metrics/reporter.js';
import { silentLogger } from '../../main/core/log.js';
import { AdminServer } from '../../main/server/http.js';
import { ROOT } from '../helpers/processes.js';
import { launchChromium } from '../helpers/services.js';
import { benchMaster, createNodes, externalSwarm, percentile, saveResult, sleep } from './harness.js';

/** Frame-time figures over `seconds` of continuous scrolling. */
async function measureFrames(page: Page, seconds: number) {
  // A string, not a function: the TypeScript loader would add helpers the page does not have.
  const measured = (await page.evaluate(`(async () => {
    const body = document.querySelector('[data-fleet-scroller]') ?? document.querySelector('tbody.grid-body');
    const out = [];
    // Long animation frames (over 50 ms), with what they spent: scripts (by who called them), and
    // style and layout.
    const long = [];
    const observer = typeof PerformanceObserver !== 'undefined' &&
      PerformanceObserver.supportedEntryTypes.includes('long-animation-frame')
      ? new PerformanceObserver((list) => { for (const e of list.getEntries()) long.push(e); })
      : null;
    observer?.observe({ type: 'long-animation-frame' });
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
    observer?.disconnect();
    const scripts = {};
    let scriptMs = 0;
    let layoutMs = 0;
    for (const e of long) {
      for (const s of e.scripts) {
        const who = (s.invoker || s.invokerType) + ' ' + (s.sourceFunctionName || '') + ' ' + (s.sourceURL || '').split('/').pop();
        scripts[who] = (scripts[who] || 0) + s.duration;
        scriptMs += s.duration;
      }
      layoutMs += e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0;
    }
    const top = Object.entries(scripts).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => k + ': ' + Math.round(v) + ' ms');
    return { deltas: out, longFrames: { count: long.length, ms: Math.round(long.reduce((a, e) => a + e.duration, 0)), scriptMs: Math.round(scriptMs), styleAndLayoutMs: Math.round(layoutMs), top } };
  })()`)) as { deltas: number[]; longFrames: unknown };
  const deltas = measured.deltas;
  const sorted = [...deltas].sort((a, b) => a - b);
  return {
    longFrames: measured.longFrames,
    frames: deltas.length,
    fps: Math.round(deltas.length / seconds),
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    over50MsShare: deltas.filter((d) => d > 50).length / deltas.length,
  };
}

/**
 * FLEETDECK_BENCH_UI_PROFILE=<dir>: the page's CPU profile over a measurement, written as
 * <dir>/ui-<view>.cpuprofile (open in Chromium's DevTools, Performance panel) to find what a long frame did.
 */
async function profiled<T>(page: Page, view: string, measure: () => Promise<T>): Promise<T> {
  const dir = process.env.FLEETDECK_BENCH_UI_PROFILE;
  if (!dir) return measure();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  try {
    return await measure();
  } finally {
    const { profile } = await cdp.send('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `ui-${view}.cpuprofile`), JSON.stringify(profile));
    await cdp.detach();
  }
}

/** The bytes the page's event streams (`/api/events`) received, and how many it opened, so far. */
async function eventStreamBytes(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  const streams = new Set<string>();
  let bytes = 0;
  cdp.on('Network.requestWillBeSent', (e) => {
    if (new URL(e.request.url).pathname === '/api/events') streams.add(e.requestId);
  });
  cdp.on('Network.dataReceived', (e) => {
    if (streams.has(e.requestId)) bytes += e.dataLength;
  });
  await cdp.send('Network.enable');
  return { read: () => ({ bytes, opened: streams.size }) };
}

/** The most requests that fell in any one-second window. */
function maxPerSecond(times: number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= 1_000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/**
 * Freezes the swarm past the heartbeat deadline, thaws it, and counts node-list requests meanwhile.
 * Request times come from the page's own resource timing: the benchmark process also runs the master,
 * whose busy loop during the storm would delay (and bunch up) the browser's request notifications.
 */
async function reconnectStorm(page: Page, swarmPid: number, seconds: number) {
  const from = await page.evaluate(() => {
    performance.setResourceTimingBufferSize(100_000);
    return performance.now();
  });
  process.kill(swarmPid, 'SIGSTOP');
  // The master gives up on silent agents after 9 s; measure from just before until they are back.
  await sleep(8_000);
  const thaw = setTimeout(() => process.kill(swarmPid, 'SIGCONT'), 4_000);
  try {
    const frames = await measureFrames(page, seconds);
    const lists = await page.evaluate(
      (since) =>
        performance
          .getEntriesByType('resource')
          .filter((e) => new URL(e.name).pathname === '/api/nodes' && e.startTime >= since)
          .map((e) => e.startTime),
      from,
    );
    return { ...frames, nodeListRequests: lists.length, nodeListMaxPerSecond: maxPerSecond(lists) };
  } finally {
    clearTimeout(thaw);
    process.kill(swarmPid, 'SIGCONT');
  }
}

/**
 * How the simulated nodes report: a sample every second (the shortest interval an agent allows), framed
 * as a real agent frames them (samplesPerFrame: 4 a frame, so each node's figures move every 4 s and
 * 10,000 nodes send 2,500 frames a second). FLEETDECK_BENCH_UI_PER_FRAME=1 sends each sample alone, so
 * every node moves every second: no agent does that, and at 10,000 nodes its 10,000 frames a second
 * take a whole core of the master on these 2-core machines (BENCHMARKS.md).
 */
function liveLoad() {
  const intervalMs = 1_000;
  const perFrame = Number(process.env.FLEETDECK_BENCH_UI_PER_FRAME ?? samplesPerFrame(intervalMs));
  return { intervalMs, perFrame };
}

async function frameTimes(nodes: number, seconds = 10) {
  // Plain WebSocket for the swarm: this measures the renderer, not 10,000 TLS handshakes (which take
  // minutes on a shared 2-core machine before the first frame is measured).
  const master = await benchMaster({ tls: false });
  const server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    master,
    log: silentLogger,
    // FLEETDECK_BENCH_UI_STATIC=<an older out/renderer> measures that build's frames instead.
    staticDir: process.env.FLEETDECK_BENCH_UI_STATIC ?? join(ROOT, 'out/renderer'),
  });
  const { port } = await server.start();
  const { tokens } = await createNodes(master, nodes, 'ui');
  const load = liveLoad();
  const swarm = await externalSwarm(master.agentUrl, tokens, 0, load, true);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // The ceiling on this machine right now: the same browser scrolling a page with nothing on it
    // (a busy machine lowers both; the ratio to it is what the fleet view costs).
    await page.setContent(
      '<div data-fleet-scroller style="height:800px;overflow:auto"><div style="height:400000px"></div></div>',
    );
    const ceiling = await measureFrames(page, seconds);
    console.error(`frames, ceiling: ${JSON.stringify(ceiling)}`);
    await page.addInitScript(() => sessionStorage.setItem('fleetdeck.adminToken', 'bench-admin-token-0123456789'));
    const stream = await eventStreamBytes(page);
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByText(`${nodes + 1} of ${nodes + 1} shown`).waitFor({ timeout: 60_000 });
    await sleep(3_000);
    // The live load the page had: node updates a second in the master's metrics ticks while measured
    // (a starved swarm reports less, which would flatter the page), and what reached the page (a page
    // that reads slowly skips ticks, which would flatter it too): its event stream's bytes, in nodes
    // at the ticks' bytes per node. And whether the page dropped the stream meanwhile.
    const updatesPerSecond = async <T>(measure: () => Promise<T>) => {
      let updates = 0;
      let bytesPerNode = 0;
      const off = master.bus.subscribe((m) => {
        if (m.event !== 'metrics') return;
        updates += m.data.nodes.length;
        if (bytesPerNode === 0 && m.data.nodes.length > 0) {
          bytesPerNode = JSON.stringify(m.data).length / m.data.nodes.length;
        }
      });
      const from = Date.now();
      const before = stream.read();
      const result = await measure();
      off();
      const after = stream.read();
      const perSecond = (n: number) => Math.round((n * 1000) / (Date.now() - from));
      return {
        ...result,
        liveUpdatesPerSecond: perSecond(updates),
        pageUpdatesPerSecond: bytesPerNode > 0 ? perSecond((after.bytes - before.bytes) / bytesPerNode) : 0,
        streamsOpened: after.opened - before.opened,
      };
    };
    const steady = await updatesPerSecond(() => profiled(page, 'table', () => measureFrames(page, seconds)));
    // Each view's figures as soon as they are known: a later step that fails must not lose them.
    console.error(`frames, table: ${JSON.stringify(steady)}`);
    // The same fleet as cards (the view is remembered in the browser), then back to the table. An
    // older build (FLEETDECK_BENCH_UI_STATIC) may have no cards.
    let cards: typeof steady | null = null;
    if ((await page.locator('label', { hasText: 'Cards' }).count()) > 0) {
      // A page busy with 10,000 live nodes answers slowly: give the switch time rather than fail.
      await page.locator('label', { hasText: 'Cards' }).click({ timeout: 120_000 });
      await page.locator('[data-fleet-scroller="cards"]').waitFor();
      await sleep(2_000);
      cards = await updatesPerSecond(() => profiled(page, 'cards', () => measureFrames(page, seconds)));
      console.error(`frames, cards: ${JSON.stringify(cards)}`);
      // A click by pointer can land on a card scrolled under the switch: the label's own click instead.
      await page.locator('label', { hasText: 'Table' }).evaluate((label) => (label as HTMLElement).click());
      await page.locator('[data-fleet-scroller="table"]').waitFor();
      await sleep(2_000);
    }
    // The storm's size: nodeStatus events (offline, then online again) while it lasts.
    let statusEvents = 0;
    const unsubscribe = master.bus.subscribe((m) => {
      if (m.event === 'nodeStatus' || m.event === 'nodeChanged') statusEvents += 1;
    });
    const storm = { ...(await reconnectStorm(page, swarm.pid, 20)), statusEvents };
    unsubscribe();
    return { nodes, perFrame: load.perFrame, ceiling, ...steady, cards, storm };
  } finally {
    await browser.close();
    await swarm.stop();
    await server.stop();
    await master.stop();
  }
}

/**
 * The first screen of a cold load (fresh browser context, no cache): bytes of JavaScript fetched until
 * the first node is on screen (as sent, i.e. compressed when the server compresses, and as decoded), and
 * the time from navigation to that first render, with `nodes` nodes. Median of `loads` loads.
 */
async function firstScreen(label: string, staticDir: string, nodes: number, loads = 5) {
  const master = await benchMaster();
  const server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir });
  const { port } = await server.start();
  await createNodes(master, nodes, 'first');
  const browser = await launchChromium();
  const runs: Array<{ renderMs: number; jsSent: number; jsDecoded: number; jsFiles: number }> = [];
  try {
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
      const page = await context.newPage();
      // A string: the TypeScript loader would wrap a named function in helpers the page does not have.
      // The moment a node first appears (a row or card carries data-node-id), checked every frame.
      await page.addInitScript(`
        sessionStorage.setItem('fleetdeck.adminToken', 'bench-admin-token-0123456789');
        (function watch() {
          if (document.querySelector('[data-node-id]')) window.firstNodeAt = performance.now();
          else requestAnimationFrame(watch);
        })();
      `);
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => (window as { firstNodeAt?: number }).firstNodeAt !== undefined, null, {
        timeout: 60_000,
      });
      runs.push(
        await page.evaluate(() => {
          const at = (window as { firstNodeAt?: number }).firstNodeAt as number;
          const scripts = performance
            .getEntriesByType('resource')
            .filter(
              (e) => new URL(e.name).pathname.endsWith('.js') && e.startTime <= at,
            ) as PerformanceResourceTiming[];
          return {
            renderMs: at,
            jsSent: scripts.reduce((sum, e) => sum + e.encodedBodySize, 0),
            jsDecoded: scripts.reduce((sum, e) => sum + e.decodedBodySize, 0),
            jsFiles: scripts.length,
          };
        }),
      );
      await context.close();
    }
  } finally {
    await browser.close();
    await server.stop();
    await master.stop();
  }
  const median = (pick: (r: (typeof runs)[number]) => number) =>
    percentile(
      [...runs.map(pick)].sort((a, b) => a - b),
      50,
    );
  return {
    build: label,
    nodes,
    loads,
    renderMs: median((r) => r.renderMs),
    jsSentBytes: median((r) => r.jsSent),
    jsDecodedBytes: median((r) => r.jsDecoded),
    jsFiles: median((r) => r.jsFiles),
  };
}

async function runFirstScreen() {
  const nodes = Number(process.env.FLEETDECK_BENCH_UI_FIRST_NODES ?? 1_000);
  const builds: Array<[string, string]> = [['this build', join(ROOT, 'out/renderer')]];
  // FLEETDECK_BENCH_UI_BEFORE=<dir of an older out/renderer> measures it beside, in the same run.
  if (process.env.FLEETDECK_BENCH_UI_BEFORE) builds.unshift(['before', process.env.FLEETDECK_BENCH_UI_BEFORE]);
  const results = [];
  for (const [label, dir] of builds) results.push(await firstScreen(label, dir, nodes));
  console.table(
    results.map((r) => ({
      build: r.build,
      nodes: r.nodes,
      'first node on screen (ms)': Math.round(r.renderMs),
      'JS sent (KiB)': (r.jsSentBytes / 1024).toFixed(1),
      'JS decoded (KiB)': (r.jsDecodedBytes / 1024).toFixed(1),
      'JS files': r.jsFiles,
    })),
  );
  return results;
}

export async function runUiBenchmarks() {
  const phases = (process.env.FLEETDECK_BENCH_UI_PHASES ?? 'first-screen,frames').split(',');
  const first = phases.includes('first-screen') ? await runFirstScreen() : [];
  if (!phases.includes('frames')) {
    saveResult('ui', { firstScreen: first });
    return;
  }
  const results = [];
  const sizes = (process.env.FLEETDECK_BENCH_UI_NODES ?? '1000,10000').split(',').map(Number);
  const seconds = Number(process.env.FLEETDECK_BENCH_UI_SECONDS ?? 10);
  for (const nodes of sizes) results.push(await frameTimes(nodes, seconds));
  console.table(
    results.flatMap((r) => [
      { phase: 'ceiling (empty page)', nodes: r.nodes, ...frameRow(r.ceiling) },
      {
        phase: 'steady (table)',
        nodes: r.nodes,
        ...frameRow(r),
        'fps / ceiling': ratio(r, r.ceiling),
        'live updates/s': r.liveUpdatesPerSecond,
        'page updates/s': r.pageUpdatesPerSecond,
        'streams opened': r.streamsOpened,
      },
      ...(r.cards
        ? [
            {
              phase: 'steady (cards)',
              nodes: r.nodes,
              ...frameRow(r.cards),
              'fps / ceiling': ratio(r.cards, r.ceiling),
              'live updates/s': r.cards.liveUpdatesPerSecond,
              'page updates/s': r.cards.pageUpdatesPerSecond,
              'streams opened': r.cards.streamsOpened,
            },
          ]
        : []),
      {
        phase: 'reconnect storm',
        nodes: r.nodes,
        ...frameRow(r.storm),
        'node events': r.storm.statusEvents,
        'node lists': r.storm.nodeListRequests,
        'node lists / s (max)': r.storm.nodeListMaxPerSecond,
      },
    ]),
  );
  saveResult('ui', { firstScreen: first, frames: results });
}

const ratio = (a: { fps: number }, ceiling: { fps: number }) => (a.fps / Math.max(1, ceiling.fps)).toFixed(2);

function frameRow(r: { fps: number; p50Ms: number; p95Ms: number; p99Ms: number; over50MsShare: number }) {
  return {
    fps: r.fps,
    'p50 ms': r.p50Ms.toFixed(1),
    'p95 ms': r.p95Ms.toFixed(1),
    'p99 ms': r.p99Ms.toFixed(1),
    'frames > 50 ms': `${(r.over50MsShare * 100).toFixed(1)} %`,
  };
}
