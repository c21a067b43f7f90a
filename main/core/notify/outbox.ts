// The durable outbox: alert evaluation hands its transitions to delivery here, inside the transaction of
// the alert state change that caused them, so a transition is queued exactly when its state change is
// committed — a crash right after the commit loses nothing, a rolled-back change queues nothing.
// Grouping (notify/grouping.ts) later assigns each row to one message in the transaction that creates
// the message, so a transition is put into one notification per channel, once.
import { createHash } from 'node:crypto';
import { type Kysely, SqliteAdapter, sql } from 'kysely';
import type { AlertTransition } from '../alerts/transition.js';
import type { Database } from '../store/schema.js';

/** Key columns are bounded; longer alert keys (a mount path, say) are stored as their hash. */
const MAX_KEY_CHARS = 300;
const MAX_GROUP_KEY_CHARS = 200;
/** Rows per insert statement (10 columns each: well under SQLite's 32,766 variables). */
const INSERT_CHUNK = 500;

/** The key grouping uses: transitions of one rule for one channel become one message. */
export function groupKeyOf(transition: Pick<AlertTransition, 'ruleId'>): string {
  return boundedKey(`rule:${transition.ruleId}`, MAX_GROUP_KEY_CHARS);
}

export function boundedKey(key: string, max = MAX_KEY_CHARS): string {
  if (key.length <= max) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * Queues the transitions for every channel their rule names that exists and is enabled. Call it with
 * the transaction of the alert state change. Queuing the same transition again is a no-op (a
 * transition id is unique), so an evaluation run again after a failed commit cannot notify twice.
 */
export async function enqueueTransitions(trx: Kysely<Database>, transitions: AlertTransition[]): Promise<void> {
  const wanted = [...new Set(transitions.flatMap((t) => t.channelIds))];
  if (wanted.length === 0) return;
  const enabled = new Set(
    (
      await trx.selectFrom('notify_channels').select('id').where('id', 'in', wanted).where('enabled', '=', 1).execute()
    ).map((row) => row.id),
  );
  const now = Date.now();
  const rows = transitions.flatMap((transition) =>
    [...new Set(transition.channelIds)]
      .filter((id) => enabled.has(id))
      .map((channelId) => ({
        transition_id: transition.id,
        channel_id: channelId,
        group_key: groupKeyOf(transition),
        alert_key: boundedKey(transition.alertKey),
        state: transition.state,
        at: transition.at,
        body: JSON.stringify(transition),
        message_id: null,
        created_at: now,
      })),
  );
  const sqlite = trx.getExecutor().adapter instanceof SqliteAdapter;
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const insert = trx.insertInto('notify_outbox').values(rows.slice(i, i + INSERT_CHUNK));
    await (sqlite
      ? insert.onConflict((oc) => oc.columns(['transition_id', 'channel_id']).doNothing())
      : // Not INSERT IGNORE: that would also turn real errors (a value too long) into warnings.
        insert.onDuplicateKeyUpdate({ transition_id: sql`transition_id` })
    ).execute();
  }
}
