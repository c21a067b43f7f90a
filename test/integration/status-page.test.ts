// The public status page: off by default (404), served once enabled, leaking nothing private (node
// tokens, the admin token, addresses, labels, commands, host names, node ids, internal names) in its
// HTML, JSON or badges; served from memory (1,000 requests cost one build's few statements, counted
// on the database connection); on SQLite and MariaDB; administrators only for its settings.
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminTokenCaller, type Caller } from '../../main/contract/caller.js';
import type { StatusPageConfig } from '../../main/contract/status-page-schemas.js';
import { silentLogger } from '../../main/core/log.js';
import { DayCalendar } from '../../main/core/metrics/calendar.js';
import { StatusPageService } from '../../main/core/status-page/service.js';
import type { Store } from '../../main/core/store/store.js';
import { StatusServer } from '../../main/server/status-routes.js';
import { storeTargets } from '../helpers/databases.js';
import { ADMIN_TOKEN, startInProcess } from '../helpers/in-process.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type InProcess = Awaited<ReturnType<typeof startInProcess>>;

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('status page on the admin server', () => {
  let m: InProcess;
  const secrets: string[] = [ADMIN_TOKEN];
  let apiId = '';
  let webId = '';
  let probeId = '';

  beforeAll(async () => {
    m = await startInProcess();
    const api = await m.client.createNode({ name: 'db-internal-7', labels: { env: 'prod', rack: 'r9-hidden' } });
    const web = await m.client.createNode({ name: 'Website', labels: { tier: 'public-site' } });
    const spare = await m.client.createNode({ name: 'spare-never-shown', labels: { env: 'prod' } });
    apiId = api.node.id;
    webId = web.node.id;
    secrets.push(api.token, web.token, spare.token, api.node.id, web.node.id, spare.node.id);
    secrets.push('db-internal-7', 'spare-never-shown', 'r9-hidden', 'rack', 'public-site', 'tier', 'env=prod');
    // Host facts and an address as an agent's hello would leave them, and a command with a secret in it.
    const db = m.master.store.db;
    const now = Date.now();
    await db
      .updateTable('nodes')
      .set({
        status: 'online',
        hostname: 'host-secret.corp.example',
        remote_addr: '10.11.12.13',
        kernel: '6.1.0-sekrit',
      })
      .where('id', '=', apiId)
      .execute();
    await db
      .updateTable('nodes')
      .set({ status: 'offline', remote_addr: '192.0.2.77' })
      .where('id', '=', webId)
      .execute();
    await db
      .insertInto('node_status_events')
      .values([
        { node_id: apiId, status: 'online', at: now - 10 * DAY, reason: 'connected from 10.11.12.13' },
        { node_id: webId, status: 'online', at: now - 10 * DAY, reason: 'connected' },
        { node_id: webId, status: 'offline', at: now - 2 * HOUR, reason: 'heartbeat timeout on host-secret' },
      ])
      .execute();
    await m.client.enqueueCommands({ nodeIds: [apiId], exec: { command: 'echo do-not-publish-me' } });
    secrets.push(
      'host-secret',
      'corp.example',
      '10.11.12.13',
      '192.0.2.77',
      '6.1.0-sekrit',
      'do-not-publish-me',
      'heartbeat',
    );
    // A probe run from a node that never connects (so only the verdicts written below count).
    const probe = await m.client.createProbe({
      name: 'checkout-internal-probe',
      target: { kind: 'http', url: 'http://10.99.88.77:8080/private-health', expectStatus: ['2xx'] },
      intervalSec: 30,
      timeoutMs: 2_000,
      vantage: { master: false, nodeIds: [spare.node.id] },
    });
    probeId = probe.id;
    await db
      .insertInto('probe_events')
      .values([
        { probe_id: probeId, state: 'up', at: now - 20 * DAY, reason: 'up from 1 of 1 vantage points' },
        {
          probe_id: probeId,
          state: 'down',
          at: now - 60 * 60_000,
          reason: 'down from 1 of 1: HTTP 500 at 10.99.88.77',
        },
        { probe_id: probeId, state: 'up', at: now - 30 * 60_000, reason: 'up again' },
      ])
      .execute();
    secrets.push(probeId, 'checkout-internal-probe', '10.99.88.77', 'private-health', 'HTTP 500');
    const local = (await m.client.listNodes({})).find((n) => n.kind === 'local');
    if (local) secrets.push(local.id, ...(local.hostname ? [local.hostname] : []));
  }, 60_000);
  afterAll(() => m?.stop());

  const config = (over: Partial<StatusPageConfig> = {}): StatusPageConfig => ({
    enabled: true,
    path: '/status',
    title: 'Acme service status',
    description: 'What our customers use',
    language: 'auto',
    showIds: false,
    groups: [
      {
        name: 'Core services',
        items: [
          { kind: 'node', id: apiId, displayName: 'Public API' },
          { kind: 'node', selector: 'tier=public-site' },
        ],
      },
      { name: 'Checks', items: [{ kind: 'probe', id: probeId, displayName: 'Checkout' }] },
    ],
    ...over,
  });

  it('is off by default: its path, JSON and badges answer 404 like any unknown page', async () => {
    for (const path of ['/status', '/status/', '/status/status.json', '/status/badge.svg', '/status/badge/x.svg']) {
      expect((await get(m.base + path)).status, path).toBe(404);
    }
    const view = await m.client.getStatusPage({});
    expect(view.config).toMatchObject({ enabled: false, path: '/status', groups: [] });
    expect(view.revision).toBe(0);
    // Its settings need the admin credential.
    expect((await m.request('GET', '/api/status-page', undefined, null)).status).toBe(401);
  });

  it('once enabled serves the page, JSON and badges without a credential, and nothing private', async () => {
    const saved = await m.client.updateStatusPage(config());
    expect(saved.revision).toBe(1);
    expect(saved.entries.map((e) => [e.name, e.key])).toEqual([
      ['Public API', 'public-api'],
      ['Website', 'website'],
      ['Checkout', 'checkout'],
    ]);
    const html = await get(`${m.base}/status`, { 'accept-language': 'en-GB,en;q=0.9' });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html.text).toContain('<html lang="en">');
    expect(html.text).toContain('Acme service status');
    expect(html.text).toContain('Public API');
    expect(html.text).toContain('Partial outage');
    expect(html.text).toMatch(/Operational/);
    const zh = await get(`${m.base}/status`, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' });
    expect(zh.text).toContain('<html lang="zh-CN">');
    expect(zh.text).toContain('部分服务中断');
    const json = await get(`${m.base}/status/status.json`);
    expect(json.status).toBe(200);
    const page = JSON.parse(json.text);
    expect(page.overall).toBe('partial');
    const [api, web] = page.groups[0].entries;
    expect(api).toMatchObject({ key: 'public-api', name: 'Public API', state: 'up', kind: 'node' });
    expect(api.id).toBeUndefined();
    expect(api.days).toHaveLength(90);
    expect(api.uptime.d90).toBe(1000);
    expect(web).toMatchObject({ name: 'Website', state: 'down' });
    expect(web.uptime.h24).toBeLessThan(1000);
    // The probe: up again after a 30 min outage an hour ago (its quorum verdicts).
    const [checkout] = page.groups[1].entries;
    expect(checkout).toMatchObject({ key: 'checkout', name: 'Checkout', kind: 'probe', state: 'up' });
    // 24 hourly bars: 23 whole hours and the current one so far are observed.
    expect(checkout.uptime.h24).toBeGreaterThanOrEqual(Math.floor((1 - 30 / (23 * 60)) * 1000));
    expect(checkout.uptime.h24).toBeLessThanOrEqual(Math.floor((1 - 30 / (24 * 60)) * 1000));
    expect(checkout.uptime.d90).toBeLessThan(1000);
    expect(checkout.days.filter((d: { permille: number | null }) => d.permille !== null)).toHaveLength(21);
    // The API answers the same probe's 24 h with its outage (the admin UI's read).
    const probe24 = await m.client.probeUptime({ ids: probeId, period: '24h' });
    expect(probe24.unit).toBe('hour');
    expect(probe24.probes[0]).toMatchObject({ probeId, downtimeMs: 30 * 60_000, outageCount: 1 });
    expect(probe24.probes[0]?.outages[0]?.reason).toContain('HTTP 500');
    const badges = [
      await get(`${m.base}/status/badge.svg`),
      await get(`${m.base}/status/badge/public-api.svg`),
      await get(`${m.base}/status/badge/website.svg`),
      await get(`${m.base}/status/badge/public-api.svg?type=uptime&period=30d`),
      await get(`${m.base}/status/badge.svg?type=uptime&period=24h`),
      await get(`${m.base}/status/badge/checkout.svg`),
    ];
    expect(badges.map((b) => b.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(badges[5]?.text).toContain('>up<');
    expect(badges[0]?.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(badges[1]?.text).toContain('>up<');
    expect(badges[2]?.text).toContain('>down<');
    expect(badges[3]?.text).toContain('100.0 %');
    // A node id is not a badge key unless the page publishes ids.
    expect((await get(`${m.base}/status/badge/${apiId}.svg`)).status).toBe(404);
    for (const body of [html.text, zh.text, json.text, ...badges.map((b) => b.text)]) {
      for (const secret of secrets) expect(body.includes(secret), `leaked ${secret}`).toBe(false);
    }
  });

  it('answers 304 to a matching ETag, refuses writes, and follows a changed path and language', async () => {
    const first = await get(`${m.base}/status/status.json`);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"/);
    expect((await get(`${m.base}/status/status.json`, { 'if-none-match': etag })).status).toBe(304);
    expect((await fetch(`${m.base}/status`, { method: 'POST' })).status).toBe(405);
    await m.client.updateStatusPage(config({ path: '/health-board', language: 'zh-CN', showIds: true }));
    // The old path is the admin UI's again (not built here: its 503 hint), not the status page.
    expect((await get(`${m.base}/status`)).status).toBe(503);
    const moved = await get(`${m.base}/health-board`, { 'accept-language': 'en' });
    expect(moved.status).toBe(200);
    expect(moved.text).toContain('<html lang="zh-CN">');
    const page = JSON.parse((await get(`${m.base}/health-board/status.json`)).text);
    expect(page.groups[0].entries[0].id).toBe(apiId);
    expect((await get(`${m.base}/health-board/badge/${apiId}.svg`)).status).toBe(200);
    // Reserved paths are refused.
    const refused = await m.failure('updateStatusPage', { ...config(), path: '/api/status' });
    expect(refused.status).toBe(400);
    await m.client.updateStatusPage(config({ enabled: false }));
    expect((await get(`${m.base}/status`)).status).toBe(404);
  });

  it('refuses its settings to a caller that is not an administrator', async () => {
    const viewer: Caller = {
      kind: 'user',
      userId: 'u1',
      name: 'viewer',
      tokenId: null,
      sessionId: null,
      grants: [{ role: 'viewer', selector: null }],
      address: null,
      userAgent: null,
    };
    const scoped: Caller = { ...viewer, grants: [{ role: 'administrator', selector: [['env', 'prod']] }] };
    const handlers = m.master.handlers();
    for (const caller of [viewer, scoped]) {
      await expect(handlers.getStatusPage({}, caller)).rejects.toMatchObject({ code: 'forbidden' });
      await expect(handlers.updateStatusPage(config(), caller)).rejects.toMatchObject({ code: 'forbidden' });
    }
  });
});

/** Counts every statement sent through the Kysely instance it is plugged into. */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.count += 1;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

const admin: Caller = adminTokenCaller(null, null);

describe.each(storeTargets())('status page cache and listener on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
  });
  afterEach(() => cleanup());

  it('serves 1,000 requests from memory on its own listener: one build, a handful of statements', async () => {
    const counter = new StatementCounter();
    const db = store.db.withPlugin(counter);
    const now = Date.now();
    await db
      .insertInto('nodes')
      .values(
        Array.from({ length: 20 }, (_, i) => ({
          id: `node-${i}`,
          name: `web-${i}`,
          labels: JSON.stringify({ role: 'web' }),
          kind: 'agent' as const,
          status: i === 3 ? ('offline' as const) : ('online' as const),
          created_at: now - 100 * DAY,
          updated_at: now,
        })),
      )
      .execute();
    await db
      .insertInto('node_status_events')
      .values(
        Array.from({ length: 20 }, (_, i) => ({
          node_id: `node-${i}`,
          status: 'online',
          at: now - 95 * DAY,
          reason: 'connected',
        })),
      )
      .execute();
    const service = new StatusPageService({
      db,
      calendar: new DayCalendar('UTC'),
      log: silentLogger,
      refreshMs: 3_600_000,
    });
    await service.update(
      {
        enabled: true,
        path: '/status',
        title: 'Fleet',
        description: '',
        language: 'auto',
        showIds: false,
        groups: [{ name: 'Web', items: [{ kind: 'node', selector: 'role=web' }] }],
      },
      admin,
    );
    const server = new StatusServer({ host: '127.0.0.1', port: 0, service, log: silentLogger });
    const { port } = await server.start();
    try {
      const base = `http://127.0.0.1:${port}`;
      const root = await fetch(`${base}/`, { redirect: 'manual' });
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/status');
      expect((await fetch(`${base}/api/nodes`)).status).toBe(404); // nothing but the page here
      const before = counter.count;
      const builds = service.builds;
      const paths = ['/status', '/status/status.json', '/status/badge.svg', '/status/badge/web-3.svg?type=uptime'];
      const statuses: number[] = [];
      for (let batch = 0; batch < 20; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            fetch(base + paths[i % paths.length]).then(async (r) => {
              await r.text();
              return r.status;
            }),
          ),
        );
        statuses.push(...replies);
      }
      expect(statuses).toHaveLength(1_000);
      expect(statuses.every((s) => s === 200)).toBe(true);
      // Served from the build made when the settings were saved: no statement at all for 1,000 requests.
      expect(service.builds - builds).toBe(0);
      expect(counter.count - before).toBe(0);
      // A rebuild costs a handful of statements (settings, nodes, the uptime windows' three reads).
      const beforeBuild = counter.count;
      await service.rebuild();
      expect(counter.count - beforeBuild).toBeLessThanOrEqual(5);
      const page = JSON.parse(await (await fetch(`${base}/status/status.json`)).text());
      expect(page.groups[0].entries).toHaveLength(20);
      expect(page.overall).toBe('partial');
    } finally {
      await server.stop();
      service.stop();
    }
  }, 60_000);

  it('serves a change another instance saved within the revision check, not after the rebuild period', async () => {
    const options = { db: store.db, calendar: new DayCalendar('UTC'), log: silentLogger, refreshMs: 3_600_000 };
    // Two instances of one cluster: A saves, B serves; B's periodic rebuild is an hour away.
    const a = new StatusPageService(options);
    const b = new StatusPageService({ ...options, revisionCheckMs: 200 });
    b.start();
    try {
      expect((await b.current()).enabled).toBe(false);
      const page = {
        enabled: true,
        path: '/status',
        title: 'Fleet',
        description: '',
        language: 'auto' as const,
        showIds: false,
        groups: [],
      };
      await a.update(page, admin);
      await expect.poll(async () => (await b.current()).enabled, { timeout: 10_000, interval: 100 }).toBe(true);
      // Switched off on A: B stops serving it as soon, so a page taken down is down everywhere.
      await a.update({ ...page, enabled: false }, admin);
      await expect.poll(async () => (await b.current()).enabled, { timeout: 10_000, interval: 100 }).toBe(false);
      expect((await b.current()).revision).toBe(2);
    } finally {
      b.stop();
    }
  }, 60_000);
});
