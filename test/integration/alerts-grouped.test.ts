// 100 nodes go offline together on a real master process: 100 real agent connections (the raw
// protocol client, so the test stays light) are cut at once and a real HTTP receiver on loopback gets
// ONE grouped message for the offline rule, then, when they all reconnect, one resolved message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNode, type MasterHandle, startMaster, waitFor } from '../helpers/processes.js';
import { RawAgent } from '../helpers/raw-agent.js';
import { Receiver } from '../helpers/receivers.js';

const NODES = 100;

interface Body {
  kind: string;
  title: string;
  alertCount: number;
  alerts: Array<{ nodeName: string; state: string }>;
  transitionIds: string[];
}

describe('100 nodes offline at once', () => {
  let master: MasterHandle;
  let receiver: Receiver;
  let agents: RawAgent[] = [];

  beforeAll(async () => {
    master = await startMaster({ args: ['--heartbeat-sec', '2'] });
    receiver = await Receiver.start();
  }, 30_000);

  afterAll(async () => {
    for (const a of agents) a.ws.terminate();
    await receiver?.down();
    await master?.proc.stop();
  });

  const bodies = () => receiver.received.map((r) => JSON.parse(r.body) as Body);

  it('sends one grouped "100 nodes offline" message, then one resolved message', async () => {
    const created: Array<{ id: string; token: string }> = [];
    for (let i = 0; i < NODES; i++) {
      const { node, token } = await createNode(master, `edge-${String(i).padStart(3, '0')}`);
      created.push({ id: node.id, token });
    }
    const connectAll = () => Promise.all(created.map((c) => RawAgent.connect(master, c.token)));
    const online = async (status: string) =>
      (await master.client.listNodes({})).filter((n) => n.name.startsWith('edge-') && n.status === status).length;
    agents = await connectAll();
    await waitFor(async () => (await online('online')) >= NODES, 'every node online', 30_000);

    const channel = await master.client.createChannel({
      name: 'receiver',
      groupWaitSec: 3,
      groupIntervalSec: 2,
      repeatIntervalSec: 0,
      settings: { kind: 'webhook', url: `${receiver.url}/hook` },
    });
    await master.client.createAlertRule({
      name: 'Edge offline',
      severity: 'critical',
      condition: { kind: 'offline', graceSec: 2 },
      channelIds: [channel.id],
    });

    // All connections cut at the same moment (a switch or the uplink going down).
    for (const a of agents) a.ws.terminate();
    const [fired] = await waitFor(
      () => (bodies().length > 0 ? bodies() : null),
      'the grouped firing message',
      45_000,
      100,
    );
    expect(fired).toMatchObject({ kind: 'firing', alertCount: NODES });
    expect(fired?.title).toMatch(
      /^\[FIRING\] Edge offline: 100 nodes \(edge-\d{3}, edge-\d{3}, edge-\d{3} and 97 more\)$/,
    );
    expect(new Set(fired?.alerts.map((a) => a.nodeName)).size).toBe(NODES);
    expect(fired?.transitionIds).toHaveLength(NODES);

    agents = await connectAll();
    await waitFor(() => bodies().some((b) => b.kind === 'resolved'), 'the grouped resolved message', 45_000, 100);
    const kinds = bodies().map((b) => [b.kind, b.alertCount]);
    expect(kinds).toEqual([
      ['firing', NODES],
      ['resolved', NODES],
    ]);
    expect(bodies()[1]?.title).toMatch(/^\[RESOLVED\] Edge offline: 100 nodes/);
    const history = await master.client.alertHistory({ limit: 500 });
    expect(history.filter((h) => h.state === 'firing')).toHaveLength(NODES);
    expect(history.filter((h) => h.state === 'resolved')).toHaveLength(NODES);
  }, 120_000);
});
