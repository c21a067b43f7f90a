// Notification delivery as one part of the master: the leader's loop (compose due groups, send due
// messages, prune the log), "send test" (any instance, answered at once) and the delivery log. Runs
// once per cluster: the loop is a cluster singleton job, so only the leader composes and sends.

import type { z } from 'zod';
import type { DeliveryView, ListDeliveries, TestResult } from '../../contract/notify-schemas.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';
import type { Channel, ChannelStore } from './channels.js';
import {
  type AttemptOutcome,
  attemptSend,
  DEFAULT_DELIVERY,
  type DeliveryOptions,
  DeliveryWorker,
  recordAttempt,
  recordChannelHealth,
} from './delivery.js';
import { composeDue, insertNotification, NOT_SENT } from './grouping.js';
import { testNotification } from './notification.js';

export interface NotifyOptions extends DeliveryOptions {
  /** How often the leader looks for due groups and messages. */
  tickMs: number;
  /** Delivered and expired messages (with their attempts) are kept this long. */
  retentionMs: number;
}

export const DEFAULT_NOTIFY: NotifyOptions = {
  ...DEFAULT_DELIVERY,
  tickMs: 1_000,
  retentionMs: 30 * 86_400_000,
};

const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_CHUNK = 1_000;

/** Counters since this master started, for Prometheus. */
export interface NotifyCounters {
  delivered: Map<string, number>;
  failed: Map<string, number>;
}

export class NotifyService {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private lastPrune = 0;
  private readonly worker: DeliveryWorker;
  readonly counters: NotifyCounters = { delivered: new Map(), failed: new Map() };

  constructor(
    private readonly db: Db,
    readonly channels: ChannelStore,
    private readonly bus: EventBus,
    instanceId: string,
    /** The Alerts screen's URL for links in messages (null: not known). */
    private readonly link: () => string | null,
    private readonly log: Logger,
    private readonly options: NotifyOptions = DEFAULT_NOTIFY,
  ) {
    this.worker = new DeliveryWorker(db, instanceId, options, log, (outcome) => this.counted(outcome));
  }

  /** Leader: starts the loop. */
  async start(): Promise<void> {
    if (this.timer) return;
    await this.worker.recoverInterrupted();
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref();
    void this.tick();
  }

  /** No longer leader (or stopping): no new sends; those in flight finish and are recorded. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    await this.worker.drain();
  }

  /** One pass; a pass still running makes the next one skip. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.pass()
      .catch((err) => this.log.warn({ err }, 'notification delivery pass failed; retrying next tick'))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  /** One pass and the sends it started, finished and recorded (tests and the stop path). */
  async passAndWait(): Promise<void> {
    await this.tick();
    await this.worker.drain();
  }

  private async pass(): Promise<void> {
    const channels = await this.openChannels();
    const now = Date.now();
    const composed = await composeDue(this.db, channels, { now, link: this.link() });
    if (composed > 0) this.log.info({ messages: composed }, 'notifications composed');
    await this.worker.tick(channels);
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.prune(now - this.options.retentionMs);
    }
  }

  /** Every channel with its secrets opened; one that cannot be opened is skipped (and says why). */
  private async openChannels(): Promise<Map<string, Channel>> {
    const rows = await this.db.selectFrom('notify_channels').selectAll().execute();
    const open = new Map<string, Channel>();
    for (const row of rows) {
      try {
        open.set(row.id, this.channels.open(row));
      } catch (err) {
        this.log.error({ err, channel: row.name }, 'a channel cannot be used');
      }
    }
    return open;
  }

  /** Sends a test message now and answers how it went; it is in the delivery log like any other. */
  async sendTest(id: string): Promise<TestResult> {
    const channel = await this.channels.channel(id);
    const now = Date.now();
    const notification = testNotification(channel.name, this.link(), now);
    const messageId = await this.db
      .transaction()
      .execute((trx) => insertNotification(trx, channel.id, 'test', notification, now, true));
    await this.db
      .insertInto('notify_attempts')
      .values({
        message_id: messageId,
        channel_id: channel.id,
        attempt: 1,
        instance_id: 'test',
        started_at: now,
        finished_at: null,
        outcome: null,
        status_code: null,
        error: null,
      })
      .execute();
    const outcome = await attemptSend(channel, messageId, notification);
    await this.db.transaction().execute(async (trx) => {
      const finished = Date.now();
      await recordAttempt(trx, messageId, 1, outcome, finished);
      await trx
        .updateTable('notify_messages')
        .set({
          status: outcome.ok ? 'delivered' : 'failed',
          attempts: 1,
          delivered_at: outcome.ok ? finished : null,
          last_error: outcome.error,
        })
        .where('id', '=', messageId)
        .execute();
      await recordChannelHealth(trx, channel.id, outcome, finished);
    });
    this.counted(outcome);
    return { ok: outcome.ok, statusCode: outcome.statusCode, error: outcome.error, durationMs: outcome.durationMs };
  }

  async deliveries(query: z.output<typeof ListDeliveries>): Promise<DeliveryView[]> {
    let select = this.db
      .selectFrom('notify_messages as m')
      .innerJoin('notify_channels as c', 'c.id', 'm.channel_id')
      .select([
        'm.id',
        'm.channel_id',
        'c.name as channel_name',
        'm.kind',
        'm.title',
        'm.alert_count',
        'm.status',
        'm.next_attempt_at',
        'm.last_error',
        'm.created_at',
        'm.delivered_at',
      ])
      .orderBy('m.created_at', 'desc')
      .orderBy('m.id', 'desc')
      .limit(query.limit);
    if (query.channelId) select = select.where('m.channel_id', '=', query.channelId);
    if (query.status) select = select.where('m.status', '=', query.status);
    if (query.before !== undefined) select = select.where('m.created_at', '<', query.before);
    const rows = await select.execute();
    const attempts = rows.length
      ? await this.db
          .selectFrom('notify_attempts')
          .select(['message_id', 'attempt', 'started_at', 'finished_at', 'outcome', 'status_code', 'error'])
          .where(
            'message_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('attempt')
          .execute()
      : [];
    const byMessage = new Map<string, typeof attempts>();
    for (const a of attempts) byMessage.set(a.message_id, [...(byMessage.get(a.message_id) ?? []), a]);
    return rows.map((r) => ({
      id: r.id,
      channelId: r.channel_id,
      channelName: r.channel_name,
      kind: r.kind,
      title: r.title,
      alertCount: r.alert_count,
      status: r.status,
      attempts: (byMessage.get(r.id) ?? []).map((a) => ({
        attempt: a.attempt,
        startedAt: Number(a.started_at),
        finishedAt: a.finished_at === null ? null : Number(a.finished_at),
        outcome: a.outcome,
        statusCode: a.status_code,
        error: a.error,
      })),
      nextAttemptAt: r.status === 'pending' && r.kind !== 'test' ? Number(r.next_attempt_at) : null,
      lastError: r.last_error,
      createdAt: Number(r.created_at),
      deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
    }));
  }

  /** Undelivered messages and channels shown failing, for Prometheus. */
  async figures(): Promise<{
    pending: number;
    channels: Array<{ id: string; name: string; kind: string; failing: boolean }>;
  }> {
    const pending = await this.db
      .selectFrom('notify_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'pending')
      .where('kind', '!=', 'test')
      .executeTakeFirstOrThrow();
    const channels = await this.channels.list();
    return {
      pending: Number(pending.n),
      channels: channels.map((c) => ({ id: c.id, name: c.name, kind: c.kind, failing: c.health.state === 'failing' })),
    };
  }

  private counted(outcome: AttemptOutcome): void {
    const counter = outcome.ok ? this.counters.delivered : this.counters.failed;
    counter.set(outcome.channelId, (counter.get(outcome.channelId) ?? 0) + 1);
    this.bus.emit('notifyDelivery', {
      channelId: outcome.channelId,
      messageId: outcome.messageId,
      outcome: outcome.ok ? 'delivered' : 'failed',
    });
  }

  /** Finished messages past retention, and the queued transitions they carried. */
  private async prune(before: number): Promise<void> {
    for (;;) {
      const old = await this.db
        .selectFrom('notify_messages')
        .select('id')
        .where('status', '!=', 'pending')
        .where('created_at', '<', before)
        .limit(PRUNE_CHUNK)
        .execute();
      if (old.length === 0) break;
      const ids = old.map((r) => r.id);
      await this.db.deleteFrom('notify_outbox').where('message_id', 'in', ids).execute();
      await this.db.deleteFrom('notify_messages').where('id', 'in', ids).execute();
    }
    for (;;) {
      const skipped = await this.db
        .selectFrom('notify_outbox')
        .select('id')
        .where('message_id', '=', NOT_SENT)
        .where('created_at', '<', before)
        .limit(PRUNE_CHUNK)
        .execute();
      if (skipped.length === 0) break;
      await this.db
        .deleteFrom('notify_outbox')
        .where(
          'id',
          'in',
          skipped.map((r) => Number(r.id)),
        )
        .execute();
    }
  }
}
