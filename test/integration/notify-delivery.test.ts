// Notification delivery on real databases to real receivers on loopback: one HTTP server per test
// stands in for each service's endpoint (webhook, Slack, Discord, Teams, ntfy, Gotify), and for the
// Telegram Bot API — it stands in because the real api.telegram.org cannot be reached from here; the
// channel's configurable base URL points at it. Mail goes to a real SMTP server (smtp-server) on
// loopback with STARTTLS and authentication.
import { createHmac, randomBytes } from 'node:crypto';
import selfsigned from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../main/core/alerts/transition.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { ChannelStore } from '../../main/core/notify/channels.js';
import { DEFAULT_NOTIFY, NotifyService } from '../../main/core/notify/notify-service.js';
import { enqueueTransitions } from '../../main/core/notify/outbox.js';
import { NOTIFY_CHANNEL_CONTEXT } from '../../main/core/secrets/sealed-values.js';
import { KeyRing, keyIdOf, type SecretBox } from '../../main/core/secrets/secret-box.js';
import type { Store } from '../../main/core/store/store.js';
import { type StoreTarget, storeTargets } from '../helpers/databases.js';
import { waitFor } from '../helpers/processes.js';
import { Receiver } from '../helpers/receivers.js';

const LINK = 'https://fleet.example/#alerts';

/** Sealing as the master does it: a cluster key, with the channels' context. */
function clusterKeyBox(): SecretBox {
  const key = randomBytes(32);
  const ring = new KeyRing([key]);
  return {
    seal: (plain) => ring.seal(keyIdOf(key), plain, NOTIFY_CHANNEL_CONTEXT),
    open: (sealed) => ring.open(sealed, NOTIFY_CHANNEL_CONTEXT) as string,
  };
}

function transition(
  n: number,
  state: 'firing' | 'resolved',
  channelIds: string[],
  ruleId = 'offline',
): AlertTransition {
  return {
    id: `${ruleId}-${state}-${n}-${Math.random()}`,
    ruleId,
    ruleName: 'Node offline',
    severity: 'critical',
    alertKey: `${ruleId}/node-${n}`,
    nodeId: `node-${n}`,
    nodeName: `web-${n}`,
    labels: { env: 'prod' },
    state,
    value: null,
    threshold: null,
    unit: null,
    forSec: 30,
    summary: `web-${n} offline`,
    at: Date.now(),
    channelIds,
  };
}

describe.each(storeTargets())('notification delivery on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let receiver: Receiver;
  let channels: ChannelStore;
  let service: NotifyService;

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
    receiver = await Receiver.start();
    channels = new ChannelStore(store.db, clusterKeyBox());
    service = new NotifyService(store.db, channels, new EventBus(), 'instance-a', () => LINK, silentLogger, {
      ...DEFAULT_NOTIFY,
      tickMs: 3_600_000,
      retryBaseMs: 20,
      retryMaxMs: 100,
    });
  });
  afterEach(async () => {
    await service.stop();
    await receiver.down();
    await cleanup();
  });

  const enqueue = (transitions: AlertTransition[]) =>
    store.db.transaction().execute((trx) => enqueueTransitions(trx, transitions));

  /** Runs delivery passes until `done` holds (real time: group waits and backoffs are short here). */
  const until = <T>(done: () => T | undefined | null | false, what: string, timeoutMs = 10_000) =>
    waitFor(
      async () => {
        await service.passAndWait();
        return done();
      },
      what,
      timeoutMs,
      20,
    );

  it('sends each kind once, in its format, with the idempotency key; secrets are sealed at rest', async () => {
    const common = { enabled: true, groupWaitSec: 0, groupIntervalSec: 60, repeatIntervalSec: 0 };
    const url = (path: string) => `${receiver.url}${path}`;
    const made = await Promise.all([
      channels.create({
        ...common,
        name: 'hook',
        settings: {
          kind: 'webhook',
          url: url('/hook?token=query-secret'),
          signingSecret: 'sign-me-0123456789',
          headers: { Authorization: 'Bearer header-secret' },
        },
      }),
      channels.create({
        ...common,
        name: 'slack',
        settings: { kind: 'slack', webhookUrl: url('/slack/T0/B0/slack-secret') },
      }),
      channels.create({
        ...common,
        name: 'discord',
        settings: { kind: 'discord', webhookUrl: url('/discord/1/discord-secret') },
      }),
      channels.create({
        ...common,
        name: 'teams',
        settings: { kind: 'teams', webhookUrl: url('/teams/teams-secret') },
      }),
      channels.create({
        ...common,
        name: 'ntfy',
        settings: { kind: 'ntfy', serverUrl: url('/ntfy'), topic: 'fleet', token: 'ntfy-secret' },
      }),
      channels.create({
        ...common,
        name: 'gotify',
        settings: { kind: 'gotify', serverUrl: url('/gotify'), appToken: 'gotify-secret' },
      }),
      channels.create({
        ...common,
        name: 'telegram',
        settings: {
          kind: 'telegram',
          apiBaseUrl: url('/tg'),
          botToken: '123456:telegram-secret-abcdefghijkl',
          chatId: '-100200300',
        },
      }),
    ]);
    await enqueue(
      [0, 1, 2].map((n) =>
        transition(
          n,
          'firing',
          made.map((c) => c.id),
        ),
      ),
    );
    await until(() => receiver.received.length >= 7, 'one message per channel');
    await service.passAndWait();
    expect(receiver.received).toHaveLength(7);

    const [hook] = receiver.on('/hook?token=query-secret');
    if (!hook) throw new Error('the webhook got nothing');
    const timestamp = String(hook.headers['x-fleetdeck-timestamp']);
    const expected = `sha256=${createHmac('sha256', 'sign-me-0123456789').update(`${timestamp}.${hook.body}`).digest('hex')}`;
    expect(hook.headers['x-fleetdeck-signature']).toBe(expected);
    expect(hook.headers.authorization).toBe('Bearer header-secret');
    const body = receiver.json<{ idempotencyKey: string; title: string; alerts: unknown[]; link: string }>(hook);
    expect(hook.headers['idempotency-key']).toBe(body.idempotencyKey);
    expect(body.title).toBe('[FIRING] Node offline: 3 nodes (web-0, web-1, web-2)');
    expect(body.alerts).toHaveLength(3);
    expect(body.link).toBe(LINK);

    const text = (path: string) => receiver.json<{ text: string }>(receiver.on(path)[0] as never).text;
    expect(text('/slack/T0/B0/slack-secret')).toContain('*[FIRING] Node offline: 3 nodes');
    expect(receiver.json<{ content: string }>(receiver.on('/discord/1/discord-secret')[0] as never).content).toContain(
      '3 nodes',
    );
    const teams = receiver.json<{ attachments: Array<{ contentType: string }> }>(
      receiver.on('/teams/teams-secret')[0] as never,
    );
    expect(teams.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const [ntfy] = receiver.on('/ntfy/');
    expect(ntfy?.headers.authorization).toBe('Bearer ntfy-secret');
    expect(receiver.json<{ topic: string; priority: number }>(ntfy as never)).toMatchObject({
      topic: 'fleet',
      priority: 5,
    });
    const [gotify] = receiver.on('/gotify/message');
    expect(gotify?.headers['x-gotify-key']).toBe('gotify-secret');
    const [telegram] = receiver.on('/tg/bot123456:telegram-secret-abcdefghijkl/sendMessage');
    expect(receiver.json<{ chat_id: string; text: string }>(telegram as never)).toMatchObject({
      chat_id: '-100200300',
    });

    // At rest nothing secret is readable; the API's views say only which secrets are set.
    const stored = JSON.stringify(await store.db.selectFrom('notify_channels').select(['config', 'secrets']).execute());
    const views = JSON.stringify(await channels.list());
    const secrets = [
      'query-secret',
      'sign-me',
      'header-secret',
      'slack-secret',
      'ntfy-secret',
      'gotify-secret',
      'telegram-secret',
    ];
    for (const secret of secrets) {
      expect(stored).not.toContain(secret);
      expect(views).not.toContain(secret);
    }
    const hookView = (await channels.list()).find((c) => c.name === 'hook');
    expect(hookView?.secretsSet.sort()).toEqual(['headers', 'signingSecret', 'url']);
    expect(hookView?.target).toBe(receiver.url);

    // The delivery log has each message delivered on its first attempt.
    const log = await service.deliveries({ limit: 50 });
    expect(log).toHaveLength(7);
    expect(log.every((d) => d.status === 'delivered' && d.attempts.length === 1)).toBe(true);
  });

  it('groups 100 nodes going offline into one message, and their recovery into one resolved message', async () => {
    const channel = await channels.create({
      name: 'ops',
      enabled: true,
      groupWaitSec: 1,
      groupIntervalSec: 1,
      repeatIntervalSec: 0,
      settings: { kind: 'webhook', url: `${receiver.url}/ops` },
    });
    const ids = [channel.id];
    // Arriving over half a second, as an evaluation pass over a large fleet would write them.
    for (let batch = 0; batch < 10; batch++) {
      await enqueue(Array.from({ length: 10 }, (_, i) => transition(batch * 10 + i, 'firing', ids)));
      await service.passAndWait();
      await new Promise((r) => setTimeout(r, 50));
    }
    await until(() => receiver.received.length >= 1, 'the grouped message');
    const [fired] = receiver.received;
    const firing = receiver.json<{ title: string; alertCount: number; kind: string }>(fired as never);
    expect(firing).toMatchObject({ kind: 'firing', alertCount: 100 });
    expect(firing.title).toBe('[FIRING] Node offline: 100 nodes (web-0, web-1, web-2 and 97 more)');

    await enqueue(Array.from({ length: 100 }, (_, n) => transition(n, 'resolved', ids)));
    await until(() => receiver.received.length >= 2, 'the resolved message');
    const resolved = receiver.json<{ title: string; alertCount: number; kind: string }>(receiver.received[1] as never);
    expect(resolved).toMatchObject({ kind: 'resolved', alertCount: 100 });
    expect(resolved.title).toMatch(/^\[RESOLVED\] Node offline: 100 nodes/);
    // Nothing more: no repeat (interval 0), no duplicates.
    await new Promise((r) => setTimeout(r, 1_200));
    await service.passAndWait();
    expect(receiver.received).toHaveLength(2);
  });

  it('sends nothing for an alert that fired and resolved within the group wait', async () => {
    const channel = await channels.create({
      name: 'quiet',
      enabled: true,
      groupWaitSec: 1,
      groupIntervalSec: 1,
      repeatIntervalSec: 0,
      settings: { kind: 'webhook', url: `${receiver.url}/quiet` },
    });
    await enqueue([transition(1, 'firing', [channel.id])]);
    await enqueue([transition(1, 'resolved', [channel.id])]);
    await new Promise((r) => setTimeout(r, 1_100));
    await service.passAndWait();
    await service.passAndWait();
    expect(receiver.received).toEqual([]);
    const left = await store.db.selectFrom('notify_outbox').select('message_id').execute();
    expect(left.map((r) => r.message_id)).toEqual(['-', '-']);
  });

  it('re-sends a group still firing every repeat interval', async () => {
    const channel = await channels.create({
      name: 'repeat',
      enabled: true,
      groupWaitSec: 0,
      groupIntervalSec: 1,
      repeatIntervalSec: 1,
      settings: { kind: 'webhook', url: `${receiver.url}/repeat` },
    });
    await enqueue([transition(1, 'firing', [channel.id]), transition(2, 'firing', [channel.id])]);
    await until(() => receiver.received.length >= 3, 'the first message and two repeats', 8_000);
    const kinds = receiver.received.map((r) => receiver.json<{ kind: string; alertCount: number }>(r));
    expect(kinds[0]).toMatchObject({ kind: 'firing', alertCount: 2 });
    expect(kinds[1]).toMatchObject({ kind: 'repeat', alertCount: 2 });
    // Composed a repeat interval apart (sending may lag behind on a busy database).
    const composed = (await service.deliveries({ channelId: channel.id, limit: 10 })).map((d) => d.createdAt).reverse();
    expect((composed[1] ?? 0) - (composed[0] ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect((composed[2] ?? 0) - (composed[1] ?? 0)).toBeGreaterThanOrEqual(1_000);
  });

  it('retries a failing receiver with backoff, shows the channel failing, and recovers', async () => {
    const channel = await channels.create({
      name: 'flaky',
      enabled: true,
      groupWaitSec: 0,
      groupIntervalSec: 1,
      repeatIntervalSec: 0,
      settings: { kind: 'webhook', url: `${receiver.url}/flaky` },
    });
    receiver.answer = { status: 503, body: 'maintenance' };
    await enqueue([transition(1, 'firing', [channel.id])]);
    await until(() => receiver.received.length >= 4, 'four attempts');
    const failing = await channels.view(channel.id);
    expect(failing.health).toMatchObject({ state: 'failing', pending: 1 });
    expect(failing.health.lastError).toContain('503');
    receiver.answer = { status: 200 };
    await until(async () => (await channels.view(channel.id)).health.state === 'ok' || undefined, 'recovery');
    const keys = new Set(receiver.received.map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    const [entry] = await service.deliveries({ channelId: channel.id, limit: 10 });
    expect(entry?.status).toBe('delivered');
    expect(entry?.attempts.map((a) => a.outcome)).toEqual([
      ...Array(entry ? entry.attempts.length - 1 : 0).fill('failed'),
      'delivered',
    ]);
    expect(entry?.attempts[0]?.statusCode).toBe(503);
  });

  it('sends a test on demand and says why it failed', async () => {
    const channel = await channels.create({
      name: 'test-me',
      enabled: true,
      groupWaitSec: 0,
      groupIntervalSec: 1,
      repeatIntervalSec: 0,
      settings: { kind: 'discord', webhookUrl: `${receiver.url}/d/1/tok` },
    });
    expect(await service.sendTest(channel.id)).toMatchObject({ ok: true, statusCode: 200, error: null });
    receiver.answer = { status: 404, body: '{"message": "Unknown Webhook"}' };
    const failed = await service.sendTest(channel.id);
    expect(failed.ok).toBe(false);
    expect(failed.error).toBe(`${receiver.url} answered 404 Not Found: {"message": "Unknown Webhook"}`);
    expect(failed.error).not.toContain('tok');
    const log = await service.deliveries({ channelId: channel.id, limit: 10 });
    expect(log.map((d) => [d.kind, d.status])).toEqual([
      ['test', 'failed'],
      ['test', 'delivered'],
    ]);
  });
});

describe('e-mail through a real SMTP server with STARTTLS and authentication', () => {
  it('delivers, and a wrong password fails with the server’s words', async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const mails: Array<{ from: string; to: string[]; text: string; secure: boolean; user: string }> = [];
    const smtp = new SMTPServer({
      secure: false,
      key: pems.private,
      cert: pems.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      // Auth only after STARTTLS, as a real submission server insists.
      allowInsecureAuth: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'alerts' && auth.password === 'mail-secret') return callback(null, { user: 'alerts' });
        return callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            text: Buffer.concat(chunks).toString('utf8'),
            secure: session.secure,
            user: String(session.user),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as { port: number }).port;
    const { store, cleanup } = await (storeTargets()[0] as StoreTarget).open();
    try {
      const channels = new ChannelStore(store.db, clusterKeyBox());
      const service = new NotifyService(store.db, channels, new EventBus(), 'i', () => LINK, silentLogger);
      const settings = {
        kind: 'email' as const,
        host: '127.0.0.1',
        port,
        security: 'starttls' as const,
        username: 'alerts',
        password: 'mail-secret',
        from: 'fleetdeck@example.com',
        to: ['ops@example.com', 'oncall@example.com'],
        caPem: pems.cert,
      };
      const channel = await channels.create({
        name: 'mail',
        enabled: true,
        groupWaitSec: 0,
        groupIntervalSec: 1,
        repeatIntervalSec: 0,
        settings,
      });
      await store.db.transaction().execute((trx) => enqueueTransitions(trx, [transition(7, 'firing', [channel.id])]));
      await waitFor(async () => {
        await service.passAndWait();
        return mails.length > 0;
      }, 'the mail');
      const [mail] = mails;
      expect(mail).toMatchObject({
        from: 'fleetdeck@example.com',
        to: ['ops@example.com', 'oncall@example.com'],
        secure: true,
        user: 'alerts',
      });
      expect(mail?.text).toContain('Subject: [FIRING] Node offline: 1 node (web-7)');
      expect(mail?.text).toContain(`Open in FleetDeck: ${LINK}`);
      const [delivery] = await service.deliveries({ channelId: channel.id, limit: 1 });
      expect(mail?.text).toContain(`Message-ID: <${delivery?.id}@fleetdeck>`);

      await channels.update({ id: channel.id, settings: { ...settings, password: 'wrong' } });
      const test = await service.sendTest(channel.id);
      expect(test.ok).toBe(false);
      expect(test.error).toMatch(/^SMTP 127\.0\.0\.1:\d+: .*Invalid username or password/);
      expect(test.statusCode).toBe(535);
    } finally {
      await cleanup();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});
