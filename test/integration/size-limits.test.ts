// Every documented size limit, stored and read back on both databases (issue 24, item 6). MariaDB's TEXT
// holds 64 KiB: a 70 KB output once stayed `running` forever ("Data too long for column 'stdout'"),
// stdin over 64 KiB answered 500, a baseline of many interfaces could not be written and one large
// relayed event jammed the relay for every event behind it. SQLite has no column sizes; it runs the same
// suite so the limits are the same on both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_OUTPUT_LIMIT, MAX_STDIN_CHARS, type MetricSample } from '../../agent/protocol.js';
import type { AnyEvent } from '../../main/contract/contract.js';
import { EventRelay, MAX_RELAYED_EVENT_BYTES } from '../../main/core/cluster/event-relay.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { MetricsService } from '../../main/core/metrics/metrics-service.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { freshMariadb, hasMariadb, storeTargets } from '../helpers/databases.js';
import { metricSample, netInterface } from '../helpers/metric-samples.js';
import {
  createNode,
  enqueue,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  waitFor,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';

interface Target {
  name: 'sqlite' | 'mariadb';
  args: () => Promise<{ args: string[]; drop: () => Promise<void> }>;
}

const masters: Target[] = [{ name: 'sqlite', args: async () => ({ args: [], drop: async () => undefined }) }];
if (hasMariadb()) {
  masters.push({
    name: 'mariadb',
    args: async () => {
      const db = await freshMariadb();
      return { args: ['--db', db.url], drop: db.drop };
    },
  });
}

describe.each(masters)('size limits on $name', (target) => {
  let master: MasterHandle;
  let agent: Proc;
  let nodeId: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await target.args();
    drop = db.drop;
    master = await startMaster({ args: db.args });
    const { node, token } = await createNode(master, `sizes-${target.name}`);
    nodeId = node.id;
    agent = startAgent({ master, token });
    await waitForStatus(master, nodeId, 'online');
  }, 30_000);
  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await master?.proc.stop();
    await drop?.();
  });

  const run = async (exec: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const [command] = await enqueue(master, { nodeIds: [nodeId], exec, ...extra });
    return waitForCommand(master, (command as { id: string }).id, 30_000);
  };

  it('stores a 70 KB output and reads it back whole', async () => {
    const done = await run({
      command: "head -c 70000 /dev/zero | tr '\\0' o; head -c 70000 /dev/zero | tr '\\0' e >&2",
    });
    expect(done.status).toBe('succeeded');
    expect(done.stdout).toBe('o'.repeat(70_000));
    expect(done.stderr).toBe('e'.repeat(70_000));
  });

  it('stores an output at the cap (1.5 MiB, multi-byte characters) with its truncation marker', async () => {
    // 'é' is 2 bytes: 1.5 MiB of them is what a 4-byte-per-character column budget must hold and more.
    const done = await run(
      { command: `yes é | tr -d '\\n' | head -c ${MAX_OUTPUT_LIMIT + 4096}` },
      { outputLimitBytes: MAX_OUTPUT_LIMIT },
    );
    expect(done.status).toBe('succeeded');
    expect(done.truncated).toBe(true);
    const stored = done.stdout as string;
    expect(Buffer.byteLength(stored.split('\n[fleetdeck')[0] as string)).toBeGreaterThanOrEqual(MAX_OUTPUT_LIMIT - 1);
    expect(stored).toMatch(/^é+\n\[fleetdeck: output truncated at 1572864 bytes\]\n$/);
  });

  it('accepts stdin at its limit and refuses one character more with 400 and the limit named', async () => {
    const stdin = 'x'.repeat(MAX_STDIN_CHARS);
    const done = await run({ command: 'wc -c', stdin });
    expect(done.status).toBe('succeeded');
    expect(done.stdout?.trim()).toBe(String(MAX_STDIN_CHARS));
    const refused = await master.failure('enqueueCommands', {
      nodeIds: [nodeId],
      exec: { command: 'wc -c', stdin: `${stdin}x` },
    });
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/exec\.stdin: stdin is limited to 512 KiB \(524288 characters\)/);
  });

  it('records the largest capabilities a hello may carry (64 roots of 4,096 characters)', async () => {
    const { node, token } = await createNode(master, `roots-${target.name}`);
    const roots = Array.from({ length: 64 }, (_, i) => `/${String(i).padStart(2, '0')}${'r'.repeat(4_093)}`);
    const ws = new WebSocket(master.agentUrl, {
      headers: { authorization: `Bearer ${token}` },
      rejectUnauthorized: false,
    });
    try {
      const welcomed = new Promise<string>((resolve) =>
        ws.on('message', (data) => resolve(JSON.parse(String(data)).type)),
      );
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocol: 1,
          agentVersion: 'sizes',
          facts: { hostname: 'h', os: 'o', platform: 'linux', arch: 'x64', kernel: 'k', bootId: 'b' },
          capabilities: { exec: false, files: true, filesWrite: false, roots },
        }),
      );
      const silence = new Promise<string>((resolve) => setTimeout(() => resolve('no answer in 10 s'), 10_000).unref());
      expect(await Promise.race([welcomed, silence])).toBe('welcome');
      const stored = await master.client.getNode({ id: node.id });
      expect(stored.capabilities?.roots).toEqual(roots);
    } finally {
      ws.terminate();
    }
  });

  it('saves a task whose command carries stdin at its limit', async () => {
    const stdin = 'y'.repeat(MAX_STDIN_CHARS);
    const created = await master.reply('createTask', {
      name: 'big stdin',
      exec: { command: 'wc -c', stdin },
      targets: { nodeIds: [nodeId] },
    });
    expect(created.status).toBe(201);
    const read = await master.client.getTask({ id: created.body.id });
    expect(read.exec.stdin).toBe(stdin);
  });
});

/** A sample with 256 interfaces of long names: the largest baseline a node can have. */
function wideSample(t: number, rx: number): MetricSample {
  return metricSample({
    t,
    bootId: 'boot-wide',
    uptimeSec: t / 1000,
    net: Array.from({ length: 256 }, (_, i) =>
      netInterface({
        name: `${String(i).padStart(3, '0')}-${'n'.repeat(252)}`,
        rx,
        tx: rx,
        rxPackets: rx,
        txPackets: rx,
      }),
    ),
  });
}

describe.each(storeTargets())('stored sizes on $name', (target) => {
  it('writes the baseline of a node with 256 long-named interfaces', async () => {
    const { store, cleanup } = await target.open();
    try {
      const { node } = await new NodeRegistry(store.db, new EventBus()).create({ name: 'wide' });
      const metrics = new MetricsService(store.db, store.dialect, new EventBus(), silentLogger, {
        flushIntervalMs: 3_600_000,
      });
      const t0 = Date.now() - 10_000;
      metrics.ingest(node.id, { type: 'metrics', intervalMs: 2_000, samples: [wideSample(t0, 1_000)] }, t0);
      metrics.ingest(
        node.id,
        { type: 'metrics', intervalMs: 2_000, samples: [wideSample(t0 + 2_000, 2_000)] },
        t0 + 2_000,
      );
      await metrics.flush();
      const row = await store.db
        .selectFrom('metric_baselines')
        .selectAll()
        .where('node_id', '=', node.id)
        .executeTakeFirst();
      expect(Buffer.byteLength(row?.counters ?? '')).toBeGreaterThan(64 * 1024);
      expect(Object.keys(JSON.parse(row?.counters ?? '{}').net)).toHaveLength(256);
      expect(metrics.writeHealth().oldestUnwrittenAt).toBeNull();
    } finally {
      await cleanup();
    }
  });

  it('relays an event at the largest relayed size, sets aside a larger one, and keeps relaying', async () => {
    const { store, cleanup } = await target.open();
    const busA = new EventBus();
    const busB = new EventBus();
    const a = new EventRelay(store.db, busA, 'instance-a', silentLogger, 20);
    const b = new EventRelay(store.db, busB, 'instance-b', silentLogger, 20);
    try {
      await a.start();
      await b.start();
      const seen: AnyEvent[] = [];
      busB.subscribe((m) => {
        if (m.event === 'commandOutput') seen.push(m);
      });
      const output = (id: string, data: string) => ({ id, nodeId: 'n1', stream: 'stdout' as const, data });
      // The event as the relay stores it, padded to exactly the limit with 3-byte characters and ASCII.
      const envelope = Buffer.byteLength(JSON.stringify({ event: 'commandOutput', data: output('max', '') }));
      const room = MAX_RELAYED_EVENT_BYTES - envelope;
      const euros = Math.floor(room / 6);
      const data = '€'.repeat(euros) + 'a'.repeat(room - euros * 3);
      const max = { event: 'commandOutput', data: output('max', data) };
      expect(Buffer.byteLength(JSON.stringify(max))).toBe(MAX_RELAYED_EVENT_BYTES);
      busA.emit('commandOutput', output('max', data));
      busA.emit('commandOutput', output('over', `${data}a`));
      busA.emit('commandOutput', output('after', 'small'));
      await waitFor(
        () => seen.some((m) => m.event === 'commandOutput' && m.data.id === 'after'),
        'the event after the oversized one',
        15_000,
      );
      const ids = seen.map((m) => (m.event === 'commandOutput' ? m.data.id : ''));
      expect(ids).toEqual(['max', 'after']);
      const relayed = seen[0];
      expect(relayed?.event === 'commandOutput' && relayed.data.data).toBe(data);
      expect(a.setAside).toBe(1);
    } finally {
      await a.stop();
      await b.stop();
      await cleanup();
    }
  }, 30_000);
});
