// Probe alerts end to end on a real headless master: two probes (the master's own vantage point) of
// HTTP servers on the test's loopback, a probe-down rule for each with its own webhook channel on a
// loopback receiver. One rule is silenced by rule; the other only by a silence with a label selector,
// which applies to node alerts only. When both servers start failing, both alerts fire and name their
// probe; only the second one's notification is delivered. The preview replays the recorded verdicts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MasterHandle, startMaster } from '../helpers/processes.js';
import { Receiver } from '../helpers/receivers.js';

interface Target {
  server: http.Server;
  failing: boolean;
  url: string;
}

async function target(): Promise<Target> {
  const t: Target = { server: http.createServer(), failing: false, url: '' };
  t.server.on('request', (_req, res) => res.writeHead(t.failing ? 503 : 200).end('ok'));
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', () => r()));
  t.url = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}/`;
  return t;
}

describe('probe alerts on a real master', () => {
  let master: MasterHandle;
  let receiver: Receiver;
  let shop: Target;
  let api: Target;

  beforeAll(async () => {
    receiver = await Receiver.start();
    shop = await target();
    api = await target();
    master = await startMaster();
  }, 60_000);

  afterAll(async () => {
    await master?.proc.stop();
    await receiver?.down();
    shop?.server.close();
    api?.server.close();
  });

  it('a silence by rule quiets a probe rule; a selector silence does not touch it', async () => {
    const c = master.client;
    const probe = (name: string, t: Target) =>
      c.createProbe({
        name,
        target: { kind: 'http', url: t.url },
        intervalSec: 10,
        timeoutMs: 2_000,
        vantage: { master: true, nodeIds: [] },
      });
    const shopProbe = await probe('shop', shop);
    const apiProbe = await probe('api', api);
    const channel = (path: string) =>
      c.createChannel({
        name: path,
        groupWaitSec: 1,
        groupIntervalSec: 1,
        repeatIntervalSec: 0,
        settings: { kind: 'webhook', url: `${receiver.url}${path}` },
      });
    const shopChannel = await channel('/shop');
    const apiChannel = await channel('/api');
    const shopRule = await c.createAlertRule({
      name: 'Shop down',
      condition: { kind: 'probe-down', probeIds: [shopProbe.id] },
      channelIds: [shopChannel.id],
    });
    const apiRule = await c.createAlertRule({
      name: 'API down',
      condition: { kind: 'probe-down', probeIds: [apiProbe.id] },
      channelIds: [apiChannel.id],
    });
    const hour = Date.now() + 3_600_000;
    await c.createSilence({ ruleId: shopRule.id, endsAt: hour, comment: 'shop maintenance' });
    // Labels select nodes: with the API rule or without, these match no probe alert.
    await c.createSilence({ ruleId: apiRule.id, selector: { role: 'db' }, endsAt: hour });
    await c.createSilence({ selector: { role: 'db' }, endsAt: hour });

    const states = async () => Object.fromEntries((await c.listProbes({})).map((p) => [p.name, p.state]));
    await expect.poll(states, { timeout: 30_000, interval: 250 }).toEqual({ shop: 'up', api: 'up' });
    shop.failing = true;
    api.failing = true;
    await expect.poll(states, { timeout: 30_000, interval: 250 }).toEqual({ shop: 'down', api: 'down' });

    const firing = async () =>
      (await c.listAlerts({ state: 'firing' }))
        .map((a) => ({ rule: a.ruleName, target: a.nodeName, probeId: a.probeId, silenced: a.silenced }))
        .sort((a, b) => a.rule.localeCompare(b.rule));
    await expect.poll(firing, { timeout: 15_000, interval: 250 }).toEqual([
      { rule: 'API down', target: 'api', probeId: apiProbe.id, silenced: false },
      { rule: 'Shop down', target: 'shop', probeId: shopProbe.id, silenced: true },
    ]);
    // The unsilenced one is delivered; by then the silenced one, fired in the same second, would be too.
    await expect.poll(() => receiver.on('/api').length, { timeout: 15_000, interval: 250 }).toBe(1);
    const body = receiver.json<{ title: string }>(receiver.on('/api')[0] as never);
    expect(body.title).toContain('API down');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(receiver.on('/shop')).toEqual([]);
    const history = await c.alertHistory({ ruleId: shopRule.id });
    expect(history).toMatchObject([{ state: 'firing', silenced: true, nodeName: 'shop', probeId: shopProbe.id }]);

    // The preview replays the verdicts the probes recorded: one down each in the last 24 h.
    const preview = await c.previewAlertRule({ name: 'any probe down', condition: { kind: 'probe-down' } });
    expect(preview).toMatchObject({ supported: true, subjects: 'probes', nodes: 2, fires: 2 });
    expect(preview.byNode.map((p) => p.nodeName).sort()).toEqual(['api', 'shop']);
    const certificates = await c.previewAlertRule({ name: 'certs', condition: { kind: 'probe-certificate' } });
    expect(certificates).toMatchObject({ supported: false, subjects: 'probes', fires: 0 });
  }, 120_000);
});
