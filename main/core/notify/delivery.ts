// Delivery of composed messages, one channel's messages in the order they were composed (a resolved
// message never overtakes its firing one). Every attempt is recorded before the send and completed
// after it: the claim moves `next_attempt_at` to the end of a lease, so a master that dies mid-send
// leaves a message that becomes due again when the lease ends (at once after a restart of the same
// instance), and it is sent again with the same idempotency key — at most once more per crash.
// Failures back off exponentially with jitter up to `retryMaxMs`; after `maxAgeMs` a message expires.
import type { Kysely } from 'kysely';
import type { Logger } from '../log.js';
import type { Database, Db, NotifyMessagesTable } from '../store/schema.js';
import type { Channel } from './channels.js';
import type { Notification } from './notification.js';
import { DeliveryError, send } from './senders/send.js';

export interface DeliveryOptions {
  /** First retry delay; doubles per attempt (each spread over 50–150 %). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** A message not delivered within this long after it was composed expires. */
  maxAgeMs: number;
  /** How long an attempt may run before another instance may take the message over. */
  leaseMs: number;
  /** Channels sent to at once. */
  concurrency: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  retryBaseMs: 10_000,
  retryMaxMs: 5 * 60_000,
  maxAgeMs: 24 * 3_600_000,
  leaseMs: 30_000,
  concurrency: 8,
};

export interface AttemptOutcome {
  channelId: string;
  messageId: string;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export function retryDelay(attempts: number, options: Pick<DeliveryOptions, 'retryBaseMs' | 'retryMaxMs'>): number {
  const base = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.5 + Math.random()));
}

export class DeliveryWorker {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly instanceId: string,
    private readonly options: DeliveryOptions,
    private readonly log: Logger,
    private readonly onOutcome: (outcome: AttemptOutcome) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** After a restart: this instance's attempts that never finished were cut off; send them again now. */
  async recoverInterrupted(): Promise<void> {
    const open = await this.db
      .selectFrom('notify_attempts')
      .select('message_id')
      .where('instance_id', '=', this.instanceId)
      .where('outcome', 'is', null)
      .execute();
    if (open.length === 0) return;
    const ids = [...new Set(open.map((r) => r.message_id))];
    await this.db.transaction().execute(async (trx) => {
      await interruptOpenAttempts(trx, ids, this.now());
      await trx
        .updateTable('notify_messages')
        .set({ next_attempt_at: this.now() })
        .where('id', 'in', ids)
        .where('status', '=', 'pending')
        .where('kind', '!=', 'test')
        .execute();
    });
    this.log.warn({ messages: ids.length }, 'notifications cut off by a stop mid-send are sent again (same keys)');
  }

  /** Starts the due head message of every channel that has nothing in flight. */
  async tick(channels: ReadonlyMap<string, Channel>): Promise<void> {
    const heads = await this.heads();
    const now = this.now();
    for (const head of heads) {
      if (this.inFlight.size >= this.options.concurrency) break;
      if (this.inFlight.has(head.channel_id) || Number(head.next_attempt_at) > now) continue;
      const channel = channels.get(head.channel_id);
      if (!channel?.enabled) continue;
      const run = this.deliver(head, channel)
        .catch((err) => this.log.error({ err, channelId: head.channel_id }, 'a notification attempt failed to record'))
        .finally(() => this.inFlight.delete(head.channel_id));
      this.inFlight.set(head.channel_id, run);
    }
  }

  /** Waits for the sends in flight (a stopping leader records their outcome before it lets go). */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight.values());
  }

  /** The oldest pending message of each channel (composed order: created_at, then id). */
  private async heads(): Promise<NotifyMessagesTable[]> {
    const firsts = await this.db
      .selectFrom('notify_messages')
      .select(['channel_id', (eb) => eb.fn.min('created_at').as('first')])
      .where('status', '=', 'pending')
      .where('kind', '!=', 'test')
      .groupBy('channel_id')
      .execute();
    const heads: NotifyMessagesTable[] = [];
    for (const { channel_id, first } of firsts) {
      const head = await this.db
        .selectFrom('notify_messages')
        .selectAll()
        .where('channel_id', '=', channel_id)
        .where('status', '=', 'pending')
        .where('kind', '!=', 'test')
        .where('created_at', '=', Number(first))
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (head) heads.push(head);
    }
    return heads.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at));
  }

  private async deliver(message: NotifyMessagesTable, channel: Channel): Promise<void> {
    const now = this.now();
    if (now - Number(message.created_at) > this.options.maxAgeMs) {
      await this.expire(message);
      return;
    }
    const attempt = await this.claim(message, now);
    if (attempt === null) return;
    const outcome = await attemptSend(channel, message.id, JSON.parse(message.body) as Notification, this.now);
    await this.db.transaction().execute(async (trx) => {
      await recordAttempt(trx, message.id, attempt, outcome, this.now());
      const finished = this.now();
      await trx
        .updateTable('notify_messages')
        .set(
          outcome.ok
            ? { status: 'delivered', delivered_at: finished, last_error: null }
            : { next_attempt_at: finished + retryDelay(attempt, this.options), last_error: outcome.error },
        )
        .where('id', '=', message.id)
        .execute();
      await recordChannelHealth(trx, channel.id, outcome, finished);
    });
    if (!outcome.ok) {
      this.log.warn({ channel: channel.name, attempt, error: outcome.error }, 'notification not delivered; will retry');
    }
    this.onOutcome(outcome);
  }

  /** Takes the message for one attempt (null: another instance or tick did) and records its start. */
  private async claim(message: NotifyMessagesTable, now: number): Promise<number | null> {
    const attempt = message.attempts + 1;
    return this.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable('notify_messages')
        .set({ attempts: attempt, next_attempt_at: now + this.options.leaseMs })
        .where('id', '=', message.id)
        .where('status', '=', 'pending')
        .where('attempts', '=', message.attempts)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return null;
      await interruptOpenAttempts(trx, [message.id], now);
      await trx
        .insertInto('notify_attempts')
        .values({
          message_id: message.id,
          channel_id: message.channel_id,
          attempt,
          instance_id: this.instanceId,
          started_at: now,
          finished_at: null,
          outcome: null,
          status_code: null,
          error: null,
        })
        .execute();
      return attempt;
    });
  }

  private async expire(message: NotifyMessagesTable): Promise<void> {
    await this.db
      .updateTable('notify_messages')
      .set({
        status: 'expired',
        last_error: `gave up after ${message.attempts} attempts in ${Math.round(this.options.maxAgeMs / 3_600_000)} h: ${message.last_error ?? 'no answer'}`,
      })
      .where('id', '=', message.id)
      .where('status', '=', 'pending')
      .execute();
    this.log.error({ channelId: message.channel_id, messageId: message.id }, 'notification expired undelivered');
  }
}

/** One send, never throwing: the outcome says what happened, in words for the delivery log. */
export async function attemptSend(
  channel: Channel,
  messageId: string,
  notification: Notification,
  now: () => number = Date.now,
): Promise<AttemptOutcome> {
  const started = now();
  const base = { channelId: channel.id, messageId };
  try {
    const result = await send(channel.settings, { notification, idempotencyKey: messageId });
    return { ...base, ok: true, statusCode: result.statusCode, error: null, durationMs: now() - started };
  } catch (error) {
    const statusCode = error instanceof DeliveryError ? error.statusCode : null;
    const text = error instanceof Error ? error.message : String(error);
    return { ...base, ok: false, statusCode, error: text.slice(0, 1_000), durationMs: now() - started };
  }
}

/** Attempts a crash cut off before their outcome was written. */
async function interruptOpenAttempts(trx: Kysely<Database>, messageIds: string[], now: number): Promise<void> {
  await trx
    .updateTable('notify_attempts')
    .set({ outcome: 'interrupted', finished_at: now, error: 'the master stopped before the outcome was known' })
    .where('message_id', 'in', messageIds)
    .where('outcome', 'is', null)
    .execute();
}

export async function recordAttempt(
  trx: Kysely<Database>,
  messageId: string,
  attempt: number,
  outcome: AttemptOutcome,
  now: number,
): Promise<void> {
  await trx
    .updateTable('notify_attempts')
    .set({
      finished_at: now,
      outcome: outcome.ok ? 'delivered' : 'failed',
      status_code: outcome.statusCode,
      error: outcome.error,
    })
    .where('message_id', '=', messageId)
    .where('attempt', '=', attempt)
    .execute();
}

/** Consecutive failures make a channel "failing"; one delivery makes it healthy again. */
export async function recordChannelHealth(
  trx: Kysely<Database>,
  channelId: string,
  outcome: AttemptOutcome,
  now: number,
): Promise<void> {
  await trx
    .updateTable('notify_channels')
    .set((eb) =>
      outcome.ok
        ? { failures: 0, last_success_at: now, last_error: null }
        : { failures: eb('failures', '+', 1), last_failure_at: now, last_error: outcome.error },
    )
    .where('id', '=', channelId)
    .execute();
}
