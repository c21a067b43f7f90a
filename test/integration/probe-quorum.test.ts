// Down by quorum with real agents: three agents probe one HTTP server on the test's loopback; one of
// them runs in a network namespace, where that loopback address is its own (nothing listens there), so
// it is cut off from the target and reports it down. Quorum 2 of 3: the probe stays up. When the
// server itself starts failing, the two others agree and the probe goes down. A fourth agent started
// with --no-probes is never a vantage point.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasNetns, VethPair } from '../helpers/netns.js';
import {
  AGENT_BUNDLE,
  createNode,
  type MasterHandle,
  Proc,
  startAgent,
  startMaster,
  tempDir,
  waitForStatus,
} from '../helpers/processes.js';

describe.skipIf(!hasNetns())('probe quorum across real agents', () => {
  let veth: VethPair;
  let master: MasterHandle;
  const agents: Proc[] = [];
  let failing = false;
  const target = http.createServer((_req, res) => res.writeHead(failing ? 503 : 200).end('ok'));
  let port = 0;
  const ids: string[] = [];
  const tokens: string[] = [];
  let refusing = '';

  beforeAll(async () => {
    veth = new VethPair();
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    port = (target.address() as AddressInfo).port;
    // The gateway on the veth's host end: the agents outside reach it as well as the one inside.
    master = await startMaster({ args: ['--agent-listen', `${veth.hostAddress}:0`] });
    for (const name of ['a', 'b', 'cut-off', 'refuses']) {
      const created = await createNode(master, name);
      ids.push(created.node.id);
      tokens.push(created.token);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await master?.proc.stop();
    target.close();
    veth?.destroy();
  });

  it('one cut-off vantage point of three does not take it down; two do', async () => {
    const tokenOf = (i: number) => tokens[i] as string;
    agents.push(startAgent({ master, token: tokenOf(0) }));
    agents.push(startAgent({ master, token: tokenOf(1) }));
    agents.push(startAgent({ master, token: tokenOf(3), args: ['--no-probes'] }));
    // The third inside the namespace (same bundle and flags as startAgent gives the others).
    const inside = [
      'netns',
      'exec',
      veth.ns,
      process.execPath,
      AGENT_BUNDLE,
      '--master',
      master.agentUrl,
      '--token',
      tokenOf(2),
      '--state-dir',
      tempDir('fleetdeck-agent-'),
      '--backoff-base-ms',
      '200',
      '--backoff-max-ms',
      '2000',
      ...(master.fingerprint ? ['--ca-fingerprint', master.fingerprint] : []),
    ];
    agents.push(new Proc(spawn('ip', inside, { stdio: ['ignore', 'pipe', 'pipe'] })));
    for (const id of ids) await waitForStatus(master, id, 'online', 30_000);
    refusing = ids[3] as string;

    const probe = await master.client.createProbe({
      name: 'shop',
      target: { kind: 'http', url: `http://127.0.0.1:${port}/` },
      intervalSec: 10,
      timeoutMs: 2_000,
      vantage: { master: false, nodeIds: ids },
      quorum: 2,
    });
    // Every vantage point reported: a and b up, the cut-off one down (refused inside its namespace).
    const view = async () => master.client.getProbe({ id: probe.id });
    await expect
      .poll(async () => (await view()).vantages.filter((v) => v.fresh).length, { timeout: 40_000, interval: 500 })
      .toBe(3);
    const seen = await view();
    expect(seen.vantages.map((v) => v.vantage).sort()).toEqual(ids.filter((id) => id !== refusing).sort());
    const byId = new Map(seen.vantages.map((v) => [v.vantage, v]));
    expect(byId.get(ids[0] as string)?.ok).toBe(true);
    expect(byId.get(ids[1] as string)?.ok).toBe(true);
    expect(byId.get(ids[2] as string)?.ok).toBe(false);
    expect(byId.get(ids[2] as string)?.error).toMatch(/ECONNREFUSED/);
    expect(seen.state).toBe('up');
    expect(seen.downCount).toBe(1);
    expect(seen.needed).toBe(2);

    // The target fails for everyone: 3 of 3 down, past the quorum.
    failing = true;
    await expect.poll(async () => (await view()).state, { timeout: 40_000, interval: 500 }).toBe('down');
    // The verdict is recorded by the leader's next evaluation (within a second).
    const today = async () => (await master.client.probeUptime({ ids: probe.id, days: 1 })).probes[0]?.days[0];
    await expect.poll(async () => (await today())?.outageCount, { timeout: 10_000 }).toBe(1);
    expect((await today())?.outages[0]?.reason).toMatch(/^down from [23] of 3 vantage points: HTTP 503/);
    // The up verdict before it was recorded too, and none of the cut-off vantage point's failures.
    const series = await master.client.probeSeries({
      id: probe.id,
      resolution: 'hour',
      from: Date.now() - 3_600_000,
      to: Date.now() + 3_600_000,
      vantage: ids[2] as string,
    });
    expect(series.points[0]?.oks).toBe(0);
    expect(series.points[0]?.runs).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
