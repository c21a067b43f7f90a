// A certificate rotation in a cluster: two real masters on one MariaDB (the same cluster key, so
// both open the gateway key sealed in the store), agents on each. A rotation asked of A is announced
// by B to its own agents too, both instances serve the new certificate (checked on the wire), and the
// previous one retires at once because every agent confirmed.
import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasMariadb } from '../helpers/databases.js';
import {
  createNode,
  type MasterHandle,
  type Proc,
  startAgent,
  tempDir,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';
import { twoMasters } from '../helpers/two-masters.js';

/** The certificate a gateway presents now, from a fresh TLS handshake. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerX509Certificate() as X509Certificate;
      socket.destroy();
      resolve(`sha256:${raw.fingerprint256.replaceAll(':', '').toLowerCase()}`);
    });
    socket.once('error', reject);
  });
}

const storedPins = (stateDir: string): string[] | null => {
  try {
    return (JSON.parse(readFileSync(join(stateDir, 'pins.json'), 'utf8')) as { pins: string[] }).pins;
  } catch {
    return null;
  }
};

describe.runIf(hasMariadb())('gateway certificate rotation on two masters', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let a: MasterHandle;
  let b: MasterHandle;
  const agents: Array<{ proc: Proc; stateDir: string; nodeId: string }> = [];

  beforeAll(async () => {
    const pair = await twoMasters({ share: ['cluster.key'] });
    cleanup.push(pair.close);
    ({ a, b } = pair);
    // B serves the certificate the store holds (A's), not the one it generated for itself.
    await waitFor(
      async () => (await servedFingerprint(b.agentPort)) === a.fingerprint,
      'B to serve the stored certificate',
    );
    for (const [i, master] of [a, a, a, b, b, b].entries()) {
      const created = await createNode(a, `rot-c-${i}`);
      const stateDir = tempDir('fleetdeck-rot-agent-');
      const proc = startAgent({
        master,
        token: created.token,
        fingerprint: a.fingerprint,
        args: ['--state-dir', stateDir],
      });
      cleanup.push(() => proc.stop());
      agents.push({ proc, stateDir, nodeId: created.node.id });
      await waitForStatus(a, created.node.id, 'online', 30_000);
    }
  }, 120_000);

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('rotates on A; B hands its agents the pins and serves the new certificate; the old one retires', async () => {
    const status = await a.client.rotateTls({ graceSec: 3_600, announceTimeoutSec: 30 });
    expect(status.served).not.toBe(a.fingerprint);
    expect(status.confirmed).toBe(6);
    expect(status.unconfirmed).toEqual([]);
    expect(status.certificates.map((c) => c.state)).toEqual(['current']);
    for (const master of [a, b]) {
      await waitFor(
        async () => (await servedFingerprint(master.agentPort)) === status.served,
        'both instances to serve the new certificate',
        5_000,
      );
    }
    expect((await b.client.tlsStatus({})).served).toBe(status.served);
    await waitFor(
      () => agents.every((x) => JSON.stringify(storedPins(x.stateDir)) === JSON.stringify([status.served])),
      'every agent, on A and on B, to keep only the new pin',
      10_000,
    );
  }, 60_000);
});
