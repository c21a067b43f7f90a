// Grouping, as Alertmanager does it: a channel's queued transitions of one rule (the group) wait
// `groupWait` after the first of them while the group is quiet, or until `groupInterval` after the
// group's last message while it has firing alerts; then they become one message for the newly firing
// alerts ("12 nodes offline: …") and one for those that resolved. A group still firing is re-sent
// every `repeatInterval`. An alert that fired and resolved before any message said it fired is not
// sent at all (nobody was told; the alert history keeps it).
//
// Each step is one transaction: the transitions it takes are marked with their message id by a
// conditional update, so a second composer (a leader that has not noticed it lost the lease) fails
// and rolls back instead of sending them twice.
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { AlertTransition } from '../alerts/transition.js';
import type { Database, Db } from '../store/schema.js';
import type { Channel } from './channels.js';
import { composeNotification, type MessageKind, type Notification } from './notification.js';

/** Transitions one message takes at most; the rest go into the next. */
const MAX_PER_MESSAGE = 5_000;
/** Statement chunks (ids in an IN list). */
const CHUNK = 500;
/** Rows of notify_outbox that were not sent: they resolved before any message said they fired. */
export const NOT_SENT = '-';

export interface GroupingClock {
  now: number;
  link: string | null;
}

/** Someone else composed these transitions first: this transaction must not commit. */
class LostRace extends Error {}

interface OpenGroup {
  channelId: string;
  groupKey: string;
  first: number;
}

/** Composes every group that is due; returns how many messages it created. */
export async function composeDue(
  db: Db,
  channels: ReadonlyMap<string, Channel>,
  clock: GroupingClock,
): Promise<number> {
  let created = 0;
  for (const group of await openGroups(db)) {
    const channel = channels.get(group.channelId);
    if (!channel?.enabled) continue;
    if (!(await isDue(db, group, channel, clock.now))) continue;
    created += await guarded(() => db.transaction().execute((trx) => composeGroup(trx, group, channel, clock)));
  }
  created += await composeRepeats(db, channels, clock);
  return created;
}

async function guarded(step: () => Promise<number>): Promise<number> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof LostRace) return 0;
    throw error;
  }
}

async function openGroups(db: Db): Promise<OpenGroup[]> {
  const rows = await db
    .selectFrom('notify_outbox')
    .select(['channel_id', 'group_key', (eb) => eb.fn.min('created_at').as('first')])
    .where('message_id', 'is', null)
    .groupBy(['channel_id', 'group_key'])
    .execute();
  return rows.map((r) => ({ channelId: r.channel_id, groupKey: r.group_key, first: Number(r.first) }));
}

async function isDue(db: Db, group: OpenGroup, channel: Channel, now: number): Promise<boolean> {
  const state = await db
    .selectFrom('notify_groups')
    .select('last_sent_at')
    .where('channel_id', '=', group.channelId)
    .where('group_key', '=', group.groupKey)
    .executeTakeFirst();
  const active = await db
    .selectFrom('notify_group_alerts')
    .select('alert_key')
    .where('channel_id', '=', group.channelId)
    .where('group_key', '=', group.groupKey)
    .limit(1)
    .executeTakeFirst();
  if (!state || !active) return group.first + channel.groupWaitSec * 1000 <= now;
  return Math.max(group.first, Number(state.last_sent_at) + channel.groupIntervalSec * 1000) <= now;
}

interface QueuedRow {
  id: number;
  alertKey: string;
  transition: AlertTransition;
}

async function composeGroup(
  trx: Transaction<Database>,
  group: OpenGroup,
  channel: Channel,
  clock: GroupingClock,
): Promise<number> {
  const rows: QueuedRow[] = (
    await trx
      .selectFrom('notify_outbox')
      .select(['id', 'alert_key', 'body'])
      .where('message_id', 'is', null)
      .where('channel_id', '=', group.channelId)
      .where('group_key', '=', group.groupKey)
      .orderBy('id')
      .limit(MAX_PER_MESSAGE)
      .execute()
  ).map((r) => ({ id: Number(r.id), alertKey: r.alert_key, transition: JSON.parse(r.body) as AlertTransition }));
  if (rows.length === 0) return 0;
  // The latest transition of each alert is what counts; earlier ones ride along with it.
  const latest = new Map<string, QueuedRow>();
  for (const row of rows) latest.set(row.alertKey, row);
  const notified = await firingSince(trx, group, [...latest.keys()]);
  const firing = [...latest.values()].filter((r) => r.transition.state === 'firing');
  const resolved = [...latest.values()].filter((r) => r.transition.state === 'resolved' && notified.has(r.alertKey));
  const messageOf = new Map<string, string>();
  let created = 0;
  const write = async (kind: MessageKind, chosen: QueuedRow[]) => {
    if (chosen.length === 0) return;
    const id = await insertMessage(trx, channel, group.groupKey, kind, chosen, notified, clock);
    for (const row of chosen) messageOf.set(row.alertKey, id);
    created++;
  };
  await write('firing', firing);
  await write('resolved', resolved);
  await markTaken(trx, rows, messageOf);
  await updateGroupAlerts(trx, group, firing, resolved, clock.now);
  if (created > 0) await touchGroup(trx, group, channel, clock.now);
  return created;
}

/** When each of these alerts started firing, for those a message said so (the group's firing set). */
async function firingSince(trx: Kysely<Database>, group: OpenGroup, alertKeys: string[]): Promise<Map<string, number>> {
  const since = new Map<string, number>();
  for (let i = 0; i < alertKeys.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('notify_group_alerts')
      .select(['alert_key', 'since'])
      .where('channel_id', '=', group.channelId)
      .where('group_key', '=', group.groupKey)
      .where('alert_key', 'in', alertKeys.slice(i, i + CHUNK))
      .execute();
    for (const row of rows) since.set(row.alert_key, Number(row.since));
  }
  return since;
}

async function insertMessage(
  trx: Kysely<Database>,
  channel: Channel,
  groupKey: string,
  kind: MessageKind,
  chosen: QueuedRow[],
  since: ReadonlyMap<string, number>,
  clock: GroupingClock,
): Promise<string> {
  const notification = composeNotification({
    kind,
    transitions: chosen.map((r) => r.transition),
    firingSince: since,
    link: clock.link,
    template: channel.template,
    now: clock.now,
  });
  return insertNotification(trx, channel.id, groupKey, notification, clock.now);
}

export async function insertNotification(
  trx: Kysely<Database>,
  channelId: string,
  groupKey: string,
  notification: Notification,
  now: number,
  sendNow = false,
): Promise<string> {
  const id = randomUUID();
  await trx
    .insertInto('notify_messages')
    .values({
      id,
      channel_id: channelId,
      group_key: groupKey,
      kind: notification.kind,
      alert_count: notification.alertCount,
      title: notification.title.slice(0, 512),
      body: JSON.stringify(notification),
      status: 'pending',
      attempts: 0,
      // A message sent at once (a test) is not the delivery loop's to take.
      next_attempt_at: sendNow ? Number.MAX_SAFE_INTEGER : now,
      last_error: null,
      created_at: now,
      delivered_at: null,
    })
    .execute();
  return id;
}

async function markTaken(trx: Kysely<Database>, rows: QueuedRow[], messageOf: Map<string, string>): Promise<void> {
  const byMessage = new Map<string, number[]>();
  for (const row of rows) {
    const id = messageOf.get(row.alertKey) ?? NOT_SENT;
    byMessage.set(id, [...(byMessage.get(id) ?? []), row.id]);
  }
  for (const [messageId, ids] of byMessage) {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      const result = await trx
        .updateTable('notify_outbox')
        .set({ message_id: messageId })
        .where('id', 'in', part)
        .where('message_id', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== part.length) throw new LostRace();
    }
  }
}

async function updateGroupAlerts(
  trx: Kysely<Database>,
  group: OpenGroup,
  firing: QueuedRow[],
  resolved: QueuedRow[],
  now: number,
): Promise<void> {
  const gone = [...firing, ...resolved].map((r) => r.alertKey);
  for (let i = 0; i < gone.length; i += CHUNK) {
    await trx
      .deleteFrom('notify_group_alerts')
      .where('channel_id', '=', group.channelId)
      .where('group_key', '=', group.groupKey)
      .where('alert_key', 'in', gone.slice(i, i + CHUNK))
      .execute();
  }
  for (let i = 0; i < firing.length; i += CHUNK) {
    await trx
      .insertInto('notify_group_alerts')
      .values(
        firing.slice(i, i + CHUNK).map((r) => ({
          channel_id: group.channelId,
          group_key: group.groupKey,
          alert_key: r.alertKey,
          body: JSON.stringify(r.transition),
          since: r.transition.at || now,
        })),
      )
      .execute();
  }
}

async function touchGroup(trx: Kysely<Database>, group: OpenGroup, channel: Channel, now: number): Promise<void> {
  const stillFiring = await trx
    .selectFrom('notify_group_alerts')
    .select('alert_key')
    .where('channel_id', '=', group.channelId)
    .where('group_key', '=', group.groupKey)
    .limit(1)
    .executeTakeFirst();
  const nextRepeat = stillFiring && channel.repeatIntervalSec > 0 ? now + channel.repeatIntervalSec * 1000 : null;
  const updated = await trx
    .updateTable('notify_groups')
    .set({ last_sent_at: now, next_repeat_at: nextRepeat })
    .where('channel_id', '=', group.channelId)
    .where('group_key', '=', group.groupKey)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return;
  await trx
    .insertInto('notify_groups')
    .values({ channel_id: group.channelId, group_key: group.groupKey, last_sent_at: now, next_repeat_at: nextRepeat })
    .execute();
}

/** Groups still firing past their repeat time get the whole firing set again. */
async function composeRepeats(db: Db, channels: ReadonlyMap<string, Channel>, clock: GroupingClock): Promise<number> {
  const due = await db
    .selectFrom('notify_groups')
    .select(['channel_id', 'group_key', 'next_repeat_at'])
    .where('next_repeat_at', 'is not', null)
    .where('next_repeat_at', '<=', clock.now)
    .limit(100)
    .execute();
  let created = 0;
  for (const group of due) {
    const channel = channels.get(group.channel_id);
    if (!channel?.enabled) continue;
    created += await guarded(() =>
      db.transaction().execute(async (trx) => {
        const next = channel.repeatIntervalSec > 0 ? clock.now + channel.repeatIntervalSec * 1000 : null;
        const claimed = await trx
          .updateTable('notify_groups')
          .set({ next_repeat_at: next, last_sent_at: clock.now })
          .where('channel_id', '=', group.channel_id)
          .where('group_key', '=', group.group_key)
          .where('next_repeat_at', '=', Number(group.next_repeat_at))
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) throw new LostRace();
        const alerts = await trx
          .selectFrom('notify_group_alerts')
          .select(['body', 'since'])
          .where('channel_id', '=', group.channel_id)
          .where('group_key', '=', group.group_key)
          .orderBy('since')
          .limit(MAX_PER_MESSAGE)
          .execute();
        if (alerts.length === 0) return 0;
        const notification = composeNotification({
          kind: 'repeat',
          transitions: alerts.map((a) => JSON.parse(a.body) as AlertTransition),
          link: clock.link,
          template: channel.template,
          now: clock.now,
        });
        await insertNotification(trx, channel.id, group.group_key, notification, clock.now);
        return 1;
      }),
    );
  }
  return created;
}
