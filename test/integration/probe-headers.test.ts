// HTTP probe header values are secrets, sealed at rest: the real master process on its SQLite file, a
// real agent over the pinned TLS link, a loopback server that answers 200 only with the right header.
// A probe stored in clear before migration 29 is sealed at the first start; a probe created now never
// reaches the file in clear; every read (API, event stream, audit log) shows the mask; an update with the
// mask keeps the value; `fleetdeck cluster-key rotate` re-seals it and the probe runs on after a restart.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_VALUE_MASK, type ProbeView } from '../../main/contract/probe-schemas.js';
import { readKeyFile } from '../../main/core/secrets/key-file.js';
import { keyIdOf } from '../../main/core/secrets/secret-box.js';
import { migrate } from '../../main/core/store/migrate.js';
import { migrations } from '../../main/core/store/migrations.js';
import { openSqlite } from '../../main/core/store/sqlite.js';
import {
  createNode,
  MASTER_ENTRY,
  type MasterHandle,
  openEventStream,
  type Proc,
  startAgent,
  startMaster,
  tempDir,
  waitForStatus,
} from '../helpers/processes.js';

const SECRET = `Bearer probe-secret-${randomBytes(12).toString('hex')}`;
const LEGACY_SECRET = `legacy-key-${randomBytes(12).toString('hex')}`;
const LEGACY_ID = 'prb_0123456789abcdef';

describe('probe header values: sealed at rest, masked for people, sent to vantage points', () => {
  const dataDir = tempDir('fleetdeck-probe-headers-');
  const dbFile = join(dataDir, 'fleetdeck.db');
  let master: MasterHandle;
  let agent: Proc;
  let nodeId = '';
  let probeId = '';
  let port = 0;
  /** Requests per path: with the right header, and without it. */
  const hits = { good: 0, bad: 0, legacyGood: 0, legacyBad: 0 };
  const target = http.createServer((req, res) => {
    if (req.url === '/legacy') {
      const ok = req.headers['x-api-key'] === LEGACY_SECRET;
      hits[ok ? 'legacyGood' : 'legacyBad']++;
      res.writeHead(ok ? 200 : 401).end(ok ? 'ok' : 'who are you');
      return;
    }
    const ok = req.headers.authorization === SECRET;
    hits[ok ? 'good' : 'bad']++;
    res.writeHead(ok ? 200 : 401).end(ok ? 'ok' : 'who are you');
  });

  /** Every byte of the database and its WAL. */
  const fileBytes = () => Buffer.concat([dbFile, `${dbFile}-wal`].filter(existsSync).map((file) => readFileSync(file)));
  const probeRow = (id: string) => {
    const raw = new Sqlite(dbFile, { readonly: true });
    try {
      return raw.prepare('select spec, headers_sealed from probes where id = ?').get(id) as {
        spec: string;
        headers_sealed: string | null;
      };
    } finally {
      raw.close();
    }
  };
  /** The probe once every vantage point reported ok after `since` (master clock: results are timed on receipt). */
  const upEverywhere = (id: string, vantages: number, since: number, timeout = 40_000) =>
    expect
      .poll(
        async () => {
          const view = await master.client.getProbe({ id });
          return view.vantages.filter((v) => v.ok === true && (v.at ?? 0) >= since).length;
        },
        { timeout, interval: 500 },
      )
      .toBe(vantages);

  beforeAll(async () => {
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    port = (target.address() as AddressInfo).port;
    // A database an older FleetDeck wrote (schema 28): a probe with its header value in the spec's JSON.
    const old = openSqlite(dbFile);
    await migrate(
      old.db,
      migrations.filter((m) => m.version <= 28),
    );
    const spec = {
      target: {
        kind: 'http',
        url: `http://127.0.0.1:${port}/legacy`,
        method: 'GET',
        headers: [{ name: 'X-Api-Key', value: LEGACY_SECRET }],
        expectStatus: [],
        invert: false,
        followRedirects: true,
        ignoreTlsErrors: false,
      },
      intervalSec: 10,
      timeoutMs: 2_000,
      vantage: { master: true, nodeIds: [] },
      quorum: 1,
      forSec: 0,
    };
    await old.db
      .insertInto('probes')
      .values({
        id: LEGACY_ID,
        name: 'from before',
        enabled: 1,
        spec: JSON.stringify(spec),
        created_at: 1,
        updated_at: 1,
      })
      .execute();
    await old.db.destroy();
    expect(readFileSync(dbFile).includes(LEGACY_SECRET)).toBe(true);
    master = await startMaster({ dataDir });
    const created = await createNode(master, 'prober');
    nodeId = created.node.id;
    agent = startAgent({ master, token: created.token });
    await waitForStatus(master, nodeId, 'online', 20_000);
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await master?.proc.stop();
    target.close();
  });

  it('a probe stored in clear before migration 29 is sealed at the first start, and runs with its header', async () => {
    const row = probeRow(LEGACY_ID);
    expect(row.headers_sealed).toMatch(/^fdk1\.[0-9a-f]{16}\./);
    expect(JSON.parse(row.spec).target.headers).toEqual([{ name: 'X-Api-Key' }]);
    expect(fileBytes().includes(LEGACY_SECRET)).toBe(false);
    await upEverywhere(LEGACY_ID, 1, 0);
    expect(hits.legacyGood).toBeGreaterThan(0);
    expect(hits.legacyBad).toBe(0);
    const view = await master.client.getProbe({ id: LEGACY_ID });
    expect(view.target).toMatchObject({ headers: [{ name: 'X-Api-Key', value: HEADER_VALUE_MASK }] });
  }, 60_000);

  it('a new probe’s header reaches the agent and the master’s vantage point, never the file or a read', async () => {
    const events = await openEventStream(master);
    let streamed = '';
    const reading = (async () => {
      for (;;) {
        const chunk = await events.read().catch(() => '');
        if (!chunk) return;
        streamed += chunk;
      }
    })();
    const since = Date.now();
    const created = await master.client.createProbe({
      name: 'private api',
      target: { kind: 'http', url: `http://127.0.0.1:${port}/a`, headers: [{ name: 'Authorization', value: SECRET }] },
      intervalSec: 10,
      timeoutMs: 2_000,
      vantage: { master: true, nodeIds: [nodeId] },
    });
    probeId = created.id;
    expect(created.target).toMatchObject({ headers: [{ name: 'Authorization', value: HEADER_VALUE_MASK }] });
    // Both vantage points answered 200: each sent the header the server checks.
    await upEverywhere(probeId, 2, since);
    expect(hits.good).toBeGreaterThanOrEqual(2);
    expect(hits.bad).toBe(0);
    await expect
      .poll(() => streamed.includes('event: probeState') && streamed.includes(probeId), { timeout: 15_000 })
      .toBe(true);
    events.close();
    await reading;
    const reads = JSON.stringify([
      await master.client.listProbes({}),
      await master.client.getProbe({ id: probeId }),
      streamed,
    ]);
    expect(reads).not.toContain(SECRET);
    expect(reads).not.toContain(LEGACY_SECRET);
    expect(reads).toContain(HEADER_VALUE_MASK);
    const audit = await master.client.listAuditEntries({ operation: 'createProbe', limit: 10 });
    // One entry, written in the create's transaction, with the probe's id (no attempt before it).
    expect(audit.map((e) => e.outcome)).toEqual(['ok']);
    expect(audit[0]?.detail['result.id']).toBe(probeId);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
    expect(JSON.stringify(audit)).toContain('Authorization');
    const row = probeRow(probeId);
    expect(JSON.parse(row.spec).target.headers).toEqual([{ name: 'Authorization' }]);
    expect(row.headers_sealed).toMatch(/^fdk1\.[0-9a-f]{16}\./);
    const bytes = fileBytes();
    expect(bytes.includes(SECRET)).toBe(false);
    expect(bytes.includes(SECRET.slice('Bearer '.length))).toBe(false);
  }, 90_000);

  it('an update that sends the mask back keeps the stored value; a mask for a header never stored is refused', async () => {
    const before = probeRow(probeId).headers_sealed;
    const updatedAt = Date.now();
    const current = await master.client.getProbe({ id: probeId });
    const updated = await master.client.updateProbe({
      id: probeId,
      name: 'private api (renamed)',
      target: current.target,
    });
    expect(updated.name).toBe('private api (renamed)');
    // Sealed anew (a fresh IV), the same value inside: the probe keeps answering 200.
    expect(probeRow(probeId).headers_sealed).not.toBe(before);
    await upEverywhere(probeId, 2, updatedAt);
    expect(hits.bad).toBe(0);
    const wrong = await master.failure('updateProbe', {
      id: probeId,
      target: {
        kind: 'http',
        url: `http://127.0.0.1:${port}/a`,
        headers: [{ name: 'X-Other', value: HEADER_VALUE_MASK }],
      },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.message).toContain('Enter the value of header X-Other');
    // Nothing changed: still the stored header.
    expect((await master.client.getProbe({ id: probeId })).target).toMatchObject({
      headers: [{ name: 'Authorization', value: HEADER_VALUE_MASK }],
    });
    const audit = await master.client.listAuditEntries({ operation: 'updateProbe', limit: 10 });
    expect(JSON.stringify(audit)).not.toContain(SECRET);
    expect(fileBytes().includes(SECRET)).toBe(false);
  }, 90_000);

  it('cluster-key rotate re-seals the header values; after a restart both probes still run', async () => {
    const before = keyIdOf(readKeyFile(join(dataDir, 'cluster.key'))[0] as Buffer);
    const rotate = spawnSync(process.execPath, [MASTER_ENTRY, 'cluster-key', 'rotate', '--data-dir', dataDir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(rotate.status, rotate.stderr).toBe(0);
    const after = keyIdOf(readKeyFile(join(dataDir, 'cluster.key'))[0] as Buffer);
    expect(after).not.toBe(before);
    for (const id of [probeId, LEGACY_ID]) expect(probeRow(id).headers_sealed).toMatch(`fdk1.${after}.`);
    const agentPort = master.agentPort;
    await master.proc.stop();
    const restarted = Date.now();
    master = await startMaster({ dataDir, agentPort });
    await waitForStatus(master, nodeId, 'online', 30_000);
    await upEverywhere(probeId, 2, restarted, 60_000);
    await upEverywhere(LEGACY_ID, 1, restarted, 60_000);
    expect(hits.bad).toBe(0);
    expect(hits.legacyBad).toBe(0);
    const view: ProbeView = await master.client.getProbe({ id: probeId });
    expect(JSON.stringify(view)).not.toContain(SECRET);
  }, 150_000);
});
