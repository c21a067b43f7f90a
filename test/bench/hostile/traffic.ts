// Traffic lost on reconnect in shared mode (issue 24, item 5): simulated agents whose interface counters
// move 50 MB/s each report to a master process on MariaDB (through a proxy the attack cuts) and
// reconnect the hostile way — their kept sample sent the moment they are welcomed, while the master is
// still reading the node's baseline. Three hand-overs: the agents stopped for 20 s, the master killed
// (-9) and restarted, the database away for 30 s while the agents redial. Each row is the bytes lost
// per node in that phase: what the counters moved between the first and last sample the master got,
// minus what /api/traffic reports. Needs MariaDB at 127.0.0.1:3306 and the build (out/); without
// MariaDB the rows report NaN.
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { MetricSample } from '../../../agent/protocol.js';
import { freshMariadb, MARIADB_URL } from '../../helpers/databases.js';
import { createNode, type MasterHandle, startMaster, waitFor } from '../../helpers/processes.js';
import { CuttableProxy } from '../../helpers/tcp-proxy.js';
import type { Attack, AttackRow } from './report.js';

const NODES = 4;
const BYTES_PER_SEC = 50_000_000;
const SAMPLE_MS = 1_000;
/** The figure: ~2.15 GB lost per node of a 4.3 GB window (across all three hand-overs). */
const BEFORE_PER_NODE = 2_150_000_000;

/** An agent whose one interface moves BYTES_PER_SEC; it redials 200 ms after any close while running. */
class CountingAgent {
  private ws: WebSocket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly bornAt = Date.now();
  firstSent: number | null = null;
  lastSent = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  start(): void {
    this.running = true;
    this.dial();
  }

  /** Stops reporting (the socket closes as a stopped agent's would); the counters keep moving. */
  pause(): void {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.ws?.close(1000, 'agent stopping');
  }

  /** Drops the connection and redials at once, as after a network blip. */
  redial(): void {
    this.ws?.terminate();
  }

  private counters(now: number): { bytes: number; uptimeSec: number } {
    return {
      bytes: Math.floor(((now - this.bornAt) / 1000) * BYTES_PER_SEC),
      uptimeSec: 1_000 + (now - this.bornAt) / 1000,
    };
  }

  private dial(): void {
    const ws = new WebSocket(this.url, {
      headers: { authorization: `Bearer ${this.token}` },
      rejectUnauthorized: false,
    });
    this.ws = ws;
    ws.on('error', () => undefined);
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocol: 1,
          agentVersion: 'hostile-traffic',
          facts: { hostname: 'sim', os: 'linux', platform: 'linux', arch: 'x64', kernel: '6', bootId: 'sim-boot' },
          capabilities: { exec: false, files: false, filesWrite: false, roots: [] },
          running: [],
        }),
      ),
    );
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type !== 'welcome') return;
      // The hostile part: the kept sample goes out the moment the master says welcome.
      this.report();
      this.timer ??= setInterval(() => this.report(), SAMPLE_MS);
    });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      if (this.running) setTimeout(() => this.running && this.ws === ws && this.dial(), 200);
    });
  }

  private report(): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    const { bytes, uptimeSec } = this.counters(now);
    const sample: MetricSample = {
      t: now,
      bootId: 'sim-boot',
      uptimeSec,
      cpu: null,
      load: null,
      memory: null,
      swap: null,
      disks: null,
      diskIo: null,
      net: [{ name: 'eth0', rxBytes: bytes, txBytes: 0, rxPackets: 0, txPackets: 0, speedMbps: 10_000 }],
      connections: null,
      processes: null,
    };
    this.ws.send(JSON.stringify({ type: 'metrics', intervalMs: SAMPLE_MS, samples: [sample] }));
    this.firstSent ??= bytes;
    this.lastSent = bytes;
  }

  /** Bytes the master was shown: from the first sample it got to the last. */
  get shown(): number {
    return this.firstSent === null ? 0 : this.lastSent - this.firstSent;
  }
}

async function mariadbReachable(): Promise<boolean> {
  const { createConnection } = await import('mysql2/promise');
  try {
    await (await createConnection({ uri: MARIADB_URL, connectTimeout: 2_000 })).end();
    return true;
  } catch {
    return false;
  }
}

const row = (attack: string, value: number): AttackRow => ({
  attack,
  measure: 'lost bytes per node',
  value,
  before: attack.endsWith('per node)') ? BEFORE_PER_NODE : null,
  target: '0',
  ok: value === 0,
});

export const reconnectTrafficAttack: Attack = async () => {
  const phases = ['agent stopped 20 s', 'master kill -9', 'database away 30 s', 'all three (≈4 GB per node)'];
  if (!(await mariadbReachable())) return phases.map((p) => row(`reconnect traffic: ${p}`, Number.NaN));
  const stops: Array<() => Promise<void>> = [];
  try {
    const db = await freshMariadb();
    stops.push(db.drop);
    const proxy = new CuttableProxy('127.0.0.1', Number(new URL(db.url).port || 3306));
    const viaProxy = new URL(db.url);
    viaProxy.port = String(await proxy.start());
    stops.push(() => proxy.stop());
    const args = ['--db', viaProxy.href, '--metrics-flush-sec', '2', '--restart-grace-sec', '30'];
    let master: MasterHandle = await startMaster({ args });
    stops.push(() => master.proc.stop('SIGKILL'));
    const nodes: Array<{ id: string; agent: CountingAgent }> = [];
    for (let i = 0; i < NODES; i++) {
      const { node, token } = await createNode(master, `reconnecting-${i}`);
      nodes.push({ id: node.id, agent: new CountingAgent(master.agentUrl, token) });
    }
    stops.push(async () => {
      for (const n of nodes) n.agent.pause();
    });
    const from = Date.now() - 60_000;
    /**
     * Lost bytes per node so far (averaged) while the agents keep reporting: a sample in flight makes
     * one reading a sample off, so the reading closest to zero within a few tries counts.
     */
    const lostPerNode = async () => {
      let best = Number.NaN;
      for (const deadline = Date.now() + 8_000; Date.now() < deadline; await sleep(700)) {
        const shown = nodes.map((n) => n.agent.shown);
        const { body } = await master.api<{ nodes: Array<{ nodeId: string; rxBytes: number }> }>(
          'GET',
          `/api/traffic?groupBy=node&from=${from}&to=${Date.now() + 120_000}`,
        );
        const reported = new Map(body.nodes.map((n) => [n.nodeId, n.rxBytes]));
        const lost = nodes.reduce((sum, n, i) => sum + (shown[i] as number) - (reported.get(n.id) ?? 0), 0) / NODES;
        if (Number.isNaN(best) || Math.abs(lost) < Math.abs(best)) best = lost;
        if (lost === 0) break;
      }
      return best;
    };

    for (const n of nodes) n.agent.start();
    await sleep(5_000);
    const warm = await lostPerNode();

    for (const n of nodes) n.agent.pause();
    await sleep(20_000);
    for (const n of nodes) n.agent.start();
    await sleep(4_000);
    const afterStop = await lostPerNode();

    await sleep(2_000);
    await master.proc.stop('SIGKILL');
    await sleep(2_000);
    master = await startMaster({ dataDir: master.dataDir, agentPort: master.agentPort, args });
    await sleep(5_000);
    const afterKill = await lostPerNode();

    await proxy.cut();
    await sleep(10_000);
    for (const n of nodes) n.agent.redial();
    await sleep(20_000);
    await proxy.restore();
    const healthy = async () => (await master.api('GET', '/api/health')).status === 200;
    await waitFor(healthy, 'the database back', 30_000).catch(() => undefined);
    await sleep(3_000);
    const afterOutage = await lostPerNode();
    return [
      row('reconnect traffic: agent stopped 20 s', afterStop - warm),
      row('reconnect traffic: master kill -9', afterKill - afterStop),
      row('reconnect traffic: database away 30 s', afterOutage - afterKill),
      row('reconnect traffic: all three (≈4 GB per node)', afterOutage - warm),
    ];
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
};
