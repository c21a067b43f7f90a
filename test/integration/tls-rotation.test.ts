// `fleetdeck tls rotate` with real agents: 20 connected through the whole rotation and one offline
// during it. The connected ones store the next pin before the switch and only the new one after the
// retirement, and reconnect to the restarted master on the new certificate; the offline one, which
// only knows the old pin, comes back through the endorsement chain (each certificate signed by its
// predecessor's key). An agent whose pin the chain does not lead from stays out, before and after.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNode,
  MASTER_ENTRY,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';

const CONNECTED = 20;
const storedPins = (stateDir: string): string[] | null => {
  try {
    return (JSON.parse(readFileSync(join(stateDir, 'pins.json'), 'utf8')) as { pins: string[] }).pins;
  } catch {
    return null;
  }
};

/**
 * The client's idle keep-alive connection may be closed by the server while the CLI runs (its 5 s
 * keep-alive timeout): a request that meets that close is sent again once.
 */
const once = <T>(call: () => Promise<T>) => call().catch(() => call());

describe('gateway certificate rotation', () => {
  let master: MasterHandle;
  const agents: Array<{ proc: Proc; stateDir: string; nodeId: string }> = [];
  let offline: { token: string; stateDir: string; nodeId: string };
  let stranger: { proc: Proc; nodeId: string };
  let oldPin: string;

  beforeAll(async () => {
    master = await startMaster();
    oldPin = master.fingerprint as string;
    const start = async (name: string, extra: { fingerprint?: string } = {}) => {
      const created = await createNode(master, name);
      const stateDir = tempDir('fleetdeck-rot-agent-');
      const proc = startAgent({ master, token: created.token, args: ['--state-dir', stateDir], ...extra });
      return { proc, stateDir, nodeId: created.node.id, token: created.token };
    };
    for (let i = 0; i < CONNECTED; i += 1) agents.push(await start(`rot-${i}`));
    const away = await start('rot-offline');
    offline = away;
    stranger = await start('rot-stranger', { fingerprint: `sha256:${'0'.repeat(64)}` });
    for (const a of [...agents, away]) await waitForStatus(master, a.nodeId, 'online', 30_000);
    // The offline agent has been connected (it knows the old pin) and is away during the rotation.
    await away.proc.stop();
    await waitForStatus(master, away.nodeId, 'offline', 30_000);
  }, 120_000);

  afterAll(async () => {
    for (const a of agents) await a.proc.stop('SIGKILL');
    await stranger?.proc.stop('SIGKILL');
    await master?.proc.stop();
  });

  it('rotates with the CLI: announce, switch, retire; every agent ends up pinning only the new certificate', async () => {
    const run = spawnSync(
      process.execPath,
      [
        MASTER_ENTRY,
        'tls',
        'rotate',
        '--admin-url',
        master.adminUrl,
        '--data-dir',
        master.dataDir,
        '--grace-sec',
        '3',
        '--announce-timeout-sec',
        '30',
      ],
      { encoding: 'utf8', env: { ...process.env, FLEETDECK_ADMIN_TOKEN: '' } },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const served = /^served:\s+(sha256:[0-9a-f]{64})$/m.exec(run.stdout)?.[1] as string;
    expect(served).toMatch(/^sha256:/);
    expect(served).not.toBe(oldPin);
    expect((await once(() => master.client.masterInfo({}))).fingerprint).toBe(served);
    // The offline one has not confirmed: the previous certificate waits for the grace, then retires.
    const status = await once(() => master.client.tlsStatus({}));
    expect(status.unconfirmed).toEqual(['rot-offline']);
    expect(status.confirmed).toBe(CONNECTED);
    await waitFor(
      async () => (await once(() => master.client.tlsStatus({}))).certificates.every((c) => c.state === 'current'),
      'the previous certificate to retire after the grace',
      15_000,
    );
    await waitFor(
      () => agents.every((a) => JSON.stringify(storedPins(a.stateDir)) === JSON.stringify([served])),
      'every connected agent to keep only the new pin',
      15_000,
    );
    expect(storedPins(offline.stateDir)).toBeNull();

    // A restarted master serves only the new certificate: all 20 come back on it.
    await master.proc.stop();
    const adminPort = Number(new URL(master.adminUrl).port);
    master = await startMaster({ dataDir: master.dataDir, agentPort: master.agentPort, adminPort });
    expect(master.fingerprint).toBe(served);
    for (const a of agents) await waitForStatus(master, a.nodeId, 'online', 30_000);

    // The agent that missed it all knows only the old pin: the endorsement chain brings it in.
    const back = startAgent({
      master,
      token: offline.token,
      fingerprint: oldPin,
      args: ['--state-dir', offline.stateDir],
    });
    agents.push({ proc: back, stateDir: offline.stateDir, nodeId: offline.nodeId });
    await waitForStatus(master, offline.nodeId, 'online', 30_000);
    expect(storedPins(offline.stateDir)).toEqual([served]);
    expect(back.output()).toContain('rotated its certificate while this agent was away');

    // A pin the chain does not lead from gets nothing.
    expect((await master.client.getNode({ id: stranger.nodeId })).status).toBe('never-connected');
    expect(stranger.proc.output()).toContain('Refusing to connect');
  }, 180_000);
});
