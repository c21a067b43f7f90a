// Alert instances and their history in the store. Writes come in batches from the engine: every
// state change of one flush, the history rows of its transitions and the notifications for them
// (notify's outbox, through `enqueueTransitions`) commit in ONE transaction, so a notification exists
// exactly when the state change that caused it does. Reads serve the alert list and history.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { type AlertHistoryEntry, type AlertView, isProbeKind } from '../../contract/alert-schemas.js';
import { notFound } from '../../contract/errors.js';
import type { AlertHistoryTable, AlertStatesTable, Db } from '../store/schema.js';
import type { AlertTransition } from './transition.js';

/** `alr_` + 24 hex of SHA-256(key): the same alert gets the same id on every instance, after every restart. */
export const alertIdOf = (alertKey: string) =>
  `alr_${createHash('sha256').update(alertKey).digest('hex').slice(0, 24)}`;

export type EnqueueTransitions = (trx: Db, transitions: AlertTransition[]) => Promise<void>;

export interface StateWrite {
  /** The row as it is now; `null`: the instance is gone (a pending condition cleared before it fired). */
  row: AlertStatesTable | null;
  id: string;
  history: AlertHistoryTable | null;
  /** Not silenced: notify delivers it. */
  transition: AlertTransition | null;
}

const ROWS_PER_STATEMENT = 200;

/** Resolved alerts shown under "recent" for this long; the table keeps them 30 days. */
export const RECENT_MS = 24 * 3_600_000;

export class AlertStateStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'mariadb',
    private readonly enqueueTransitions: EnqueueTransitions,
  ) {}

  /** One transaction for a flush's writes; the notifications go in it too. */
  async write(writes: StateWrite[]): Promise<void> {
    const upserts = writes.flatMap((w) => (w.row ? [w.row] : []));
    const deletes = writes.filter((w) => !w.row).map((w) => w.id);
    const history = writes.flatMap((w) => (w.history ? [w.history] : []));
    const transitions = writes.flatMap((w) => (w.transition ? [w.transition] : []));
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < deletes.length; i += 500) {
        await trx
          .deleteFrom('alert_states')
          .where('id', 'in', deletes.slice(i, i + 500))
          .execute();
      }
      for (let i = 0; i < upserts.length; i += ROWS_PER_STATEMENT) {
        await this.upsert(trx, upserts.slice(i, i + ROWS_PER_STATEMENT));
      }
      for (let i = 0; i < history.length; i += ROWS_PER_STATEMENT) {
        await trx
          .insertInto('alert_history')
          .values(history.slice(i, i + ROWS_PER_STATEMENT))
          .execute();
      }
      if (transitions.length > 0) await this.enqueueTransitions(trx, transitions);
    });
  }

  private async upsert(trx: Db, rows: AlertStatesTable[]): Promise<void> {
    // The acknowledgement is the API's (acknowledge): kept, except that a new firing clears it. It
    // comes first so MariaDB compares with the state before this statement changes it.
    const columns = [
      'state',
      'since',
      'fired_at',
      'resolved_at',
      'value',
      'threshold',
      'unit',
      'summary',
      'silenced',
      'updated_at',
      'subject',
    ] as const;
    const insert = trx.insertInto('alert_states').values(rows);
    if (this.dialect === 'sqlite') {
      await insert
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            acknowledged_at: sql`case when excluded.state = 'firing' and alert_states.state <> 'firing' then null else alert_states.acknowledged_at end`,
            ...Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)])),
          } as never),
        )
        .execute();
    } else {
      await insert
        .onDuplicateKeyUpdate({
          acknowledged_at: sql`if(values(state) = 'firing' and state <> 'firing', null, acknowledged_at)`,
          ...Object.fromEntries(columns.map((c) => [c, sql`values(${sql.ref(c)})`])),
        } as never)
        .execute();
    }
  }

  /** Rows of these rules (the engine's start) or of one node (a node adopted here). */
  async rows(filter: { ruleIds?: string[]; nodeId?: string }): Promise<AlertStatesTable[]> {
    let query = this.db.selectFrom('alert_states').selectAll().where('state', 'in', ['pending', 'firing']);
    if (filter.ruleIds) {
      if (filter.ruleIds.length === 0) return [];
      query = query.where('rule_id', 'in', filter.ruleIds);
    }
    if (filter.nodeId !== undefined) query = query.where('node_id', '=', filter.nodeId);
    return query.execute();
  }

  async row(id: string): Promise<AlertStatesTable> {
    const row = await this.db.selectFrom('alert_states').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('alert', id);
    return row;
  }

  async acknowledge(id: string, at: number): Promise<AlertStatesTable> {
    await this.row(id);
    await this.db.updateTable('alert_states').set({ acknowledged_at: at }).where('id', '=', id).execute();
    return this.row(id);
  }

  async list(filter: {
    state?: 'active' | 'firing' | 'pending' | 'resolved' | 'recent';
    ruleId?: string;
    nodeId?: string;
    limit?: number;
    now: number;
  }): Promise<AlertStatesTable[]> {
    let query = this.db.selectFrom('alert_states').selectAll();
    const state = filter.state ?? 'active';
    if (state === 'active') query = query.where('state', 'in', ['pending', 'firing']);
    else if (state === 'recent') {
      query = query.where((eb) =>
        eb.or([eb('state', 'in', ['pending', 'firing']), eb('updated_at', '>=', filter.now - RECENT_MS)]),
      );
    } else query = query.where('state', '=', state);
    if (filter.ruleId) query = query.where('rule_id', '=', filter.ruleId);
    if (filter.nodeId) query = query.where('node_id', '=', filter.nodeId);
    return query
      .orderBy('updated_at', 'desc')
      .limit(filter.limit ?? 500)
      .execute();
  }

  async history(q: {
    ruleId?: string;
    nodeId?: string;
    state?: 'firing' | 'resolved';
    severity?: string;
    from?: number;
    to?: number;
    cursor?: string;
    limit?: number;
  }): Promise<AlertHistoryTable[]> {
    let query = this.db.selectFrom('alert_history').selectAll();
    if (q.ruleId) query = query.where('rule_id', '=', q.ruleId);
    if (q.nodeId) query = query.where('node_id', '=', q.nodeId);
    if (q.state) query = query.where('state', '=', q.state);
    if (q.severity) query = query.where('severity', '=', q.severity as AlertHistoryTable['severity']);
    if (q.from !== undefined) query = query.where('at', '>=', q.from);
    if (q.to !== undefined) query = query.where('at', '<', q.to);
    if (q.cursor) query = query.where('id', '<', q.cursor);
    return query
      .orderBy('id', 'desc')
      .limit(q.limit ?? 100)
      .execute();
  }

  /** Firings whose action has not reached the queue yet (the instance died in between). */
  async pendingActions(olderThan: number): Promise<AlertHistoryTable[]> {
    return this.db
      .selectFrom('alert_history')
      .selectAll()
      .where('action_state', '=', 'pending')
      .where('at', '<', olderThan)
      .limit(100)
      .execute();
  }

  async actionDone(historyId: string, state: 'done' | 'failed', detail: string): Promise<void> {
    await this.db
      .updateTable('alert_history')
      .set({ action_state: state, action_detail: detail.slice(0, 1024) })
      .where('id', '=', historyId)
      .execute();
  }

  /** Retention: resolved alerts and history older than `before`. */
  async prune(before: number): Promise<void> {
    await this.db.deleteFrom('alert_history').where('at', '<', before).execute();
    await this.db.deleteFrom('alert_states').where('state', '=', 'resolved').where('updated_at', '<', before).execute();
  }

  async forgetNode(nodeId: string): Promise<void> {
    await this.db.deleteFrom('alert_states').where('node_id', '=', nodeId).execute();
  }
}

/** `probeKind`: the entry's rule is of a probe kind (its node_id then holds the probe's id). */
export function historyViewOf(row: AlertHistoryTable, probeKind = false): AlertHistoryEntry {
  return {
    id: row.id,
    alertId: row.alert_id,
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    severity: row.severity,
    nodeId: row.node_id,
    nodeName: row.node_name,
    probeId: probeKind ? row.node_id : null,
    state: row.state,
    at: Number(row.at),
    value: row.value === null ? null : Number(row.value),
    threshold: row.threshold === null ? null : Number(row.threshold),
    summary: row.summary,
    silenced: Number(row.silenced) === 1,
    action: row.action_state ? { state: row.action_state, detail: row.action_detail } : null,
  };
}

export function alertViewOf(
  row: AlertStatesTable,
  names: { ruleName: string; severity: AlertView['severity']; kind: string; nodeName: string | null },
): AlertView {
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: row.id,
    alertKey: row.alert_key,
    ruleId: row.rule_id,
    ruleName: names.ruleName,
    severity: names.severity,
    kind: names.kind,
    nodeId: row.node_id,
    nodeName: names.nodeName,
    probeId: isProbeKind(names.kind) ? row.node_id : null,
    subject: row.subject,
    state: row.state,
    since: Number(row.since),
    firedAt: num(row.fired_at),
    resolvedAt: num(row.resolved_at),
    value: num(row.value),
    threshold: num(row.threshold),
    unit: row.unit,
    summary: row.summary,
    silenced: Number(row.silenced) === 1,
    acknowledgedAt: num(row.acknowledged_at),
  };
}
