// The alert configuration in the store: rules, silences and maintenance windows. Every change bumps
// `config_versions('alerts')` in its transaction, so every instance reloads what it evaluates with
// (engine.ts polls the version); `load` gives the engine one consistent snapshot.
import {
  AlertCondition,
  type AlertRulePatch,
  type AlertRuleSpec,
  type AlertRuleView,
  AlertScope,
  type MaintenanceView,
  recoveryOnTheRightSide,
  type SilenceView,
} from '../../contract/alert-schemas.js';
import { FleetError, notFound } from '../../contract/errors.js';
import { noteAuditFacts } from '../audit/context.js';
import { checkTimeZone } from '../metrics/calendar.js';
import { type NodeLister, targetNodes } from '../nodes/targets.js';
import { orderedId } from '../queue/ids.js';
import type { AlertMaintenanceTable, AlertRulesTable, AlertSilencesTable, Db } from '../store/schema.js';
import { nextStart, openUntil, type Quiet, silenceActive, type Window, windowOf } from './silences.js';

export interface Rule extends AlertRuleView {}

export interface AlertConfig {
  version: number;
  rules: Rule[];
  quiet: Quiet;
}

/** A rule as callers write it: without flap damping unless they ask for it. */
type RuleSpecIn = Omit<AlertRuleSpec, 'resolveAfterSec'> & { resolveAfterSec?: number };

type SilenceSpecIn = { ruleId: string | null; selector: Record<string, string> | null; comment: string };

const parseJson = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function ruleViewOf(row: AlertRulesTable): Rule {
  const spec = JSON.parse(row.spec) as Pick<
    AlertRuleView,
    'condition' | 'scope' | 'channelIds' | 'action' | 'resolveAfterSec'
  >;
  return {
    id: row.id,
    name: row.name,
    enabled: Number(row.enabled) === 1,
    severity: row.severity,
    // Stored validated; parsed again so a spec written by an older version gets today's defaults.
    condition: AlertCondition.parse(spec.condition),
    scope: AlertScope.parse(spec.scope ?? {}),
    channelIds: spec.channelIds ?? [],
    action: spec.action ?? null,
    resolveAfterSec: spec.resolveAfterSec ?? 0,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function silenceViewOf(row: AlertSilencesTable, now: number): SilenceView {
  const view = {
    id: row.id,
    ruleId: row.rule_id,
    selector: parseJson<Record<string, string>>(row.selector),
    comment: row.comment,
    startsAt: Number(row.starts_at),
    endsAt: Number(row.ends_at),
    createdAt: Number(row.created_at),
  };
  return { ...view, active: silenceActive(view, now) };
}

function windowRowOf(row: AlertMaintenanceTable) {
  return windowOf({ cron: row.cron, timezone: row.timezone, durationSec: Number(row.duration_sec) });
}

function maintenanceViewOf(row: AlertMaintenanceTable, now: number, w: Window = windowRowOf(row)): MaintenanceView {
  return {
    id: row.id,
    name: row.name,
    cron: row.cron,
    durationSec: Number(row.duration_sec),
    timezone: row.timezone,
    enabled: Number(row.enabled) === 1,
    ruleId: row.rule_id,
    selector: parseJson<Record<string, string>>(row.selector),
    comment: row.comment,
    activeUntil: Number(row.enabled) === 1 ? openUntil(w, now) : null,
    nextStart: nextStart(w, now),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export class AlertRules {
  constructor(
    private readonly db: Db,
    private readonly nodes: NodeLister,
    private readonly now: () => number = Date.now,
  ) {}

  async version(): Promise<number> {
    const row = await this.db
      .selectFrom('config_versions')
      .select('version')
      .where('name', '=', 'alerts')
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  /** Everything the engine evaluates with, read at one version. */
  async load(): Promise<AlertConfig> {
    const version = await this.version();
    const [rules, silences, windows] = await Promise.all([
      this.db.selectFrom('alert_rules').selectAll().orderBy('id').execute(),
      this.db.selectFrom('alert_silences').selectAll().where('ends_at', '>', this.now()).execute(),
      this.db.selectFrom('alert_maintenance').selectAll().execute(),
    ]);
    return {
      version,
      rules: rules.map(ruleViewOf),
      quiet: {
        silences: silences.map((s) => silenceViewOf(s, this.now())),
        windows: windows.map((w) => ({
          ruleId: w.rule_id,
          selector: parseJson<Record<string, string>>(w.selector),
          enabled: Number(w.enabled) === 1,
          window: windowRowOf(w),
        })),
      },
    };
  }

  // ---- rules ----------------------------------------------------------------------------------

  async listRules(): Promise<Rule[]> {
    const rows = await this.db.selectFrom('alert_rules').selectAll().orderBy('name').execute();
    return rows.map(ruleViewOf);
  }

  async getRule(id: string): Promise<Rule> {
    const row = await this.db.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('alert rule', id);
    return ruleViewOf(row);
  }

  async createRule(spec: RuleSpecIn): Promise<Rule> {
    await this.check(spec);
    const at = this.now();
    const row: AlertRulesTable = { id: orderedId('rule', at), ...this.columns(spec), created_at: at, updated_at: at };
    noteAuditFacts({ 'result.id': row.id });
    await this.changing(async (trx) => {
      await trx.insertInto('alert_rules').values(row).execute();
    });
    return ruleViewOf(row);
  }

  async updateRule(id: string, patch: AlertRulePatch): Promise<Rule> {
    const current = await this.getRule(id);
    const spec: AlertRuleSpec = {
      name: patch.name ?? current.name,
      enabled: patch.enabled ?? current.enabled,
      severity: patch.severity ?? current.severity,
      condition: patch.condition ?? current.condition,
      scope: patch.scope ?? current.scope,
      channelIds: patch.channelIds ?? current.channelIds,
      action: patch.action === undefined ? current.action : patch.action,
      resolveAfterSec: patch.resolveAfterSec ?? current.resolveAfterSec,
    };
    await this.check(spec);
    const at = this.now();
    await this.changing(async (trx) => {
      await trx
        .updateTable('alert_rules')
        .set({ ...this.columns(spec), updated_at: at })
        .where('id', '=', id)
        .execute();
      // A rule whose condition changed starts over: its pending timers were for the old one, and
      // alerts of another kind are not this rule's any more.
      if (patch.condition) {
        const otherKind = patch.condition.kind !== current.condition.kind;
        let stale = trx.deleteFrom('alert_states').where('rule_id', '=', id);
        if (!otherKind) stale = stale.where('state', '=', 'pending');
        await stale.execute();
      }
    });
    return this.getRule(id);
  }

  async deleteRule(id: string): Promise<void> {
    await this.getRule(id);
    await this.changing(async (trx) => {
      await trx.deleteFrom('alert_rules').where('id', '=', id).execute();
      // Its alerts go with it; the history keeps what happened, under the rule's name as it was.
      await trx.deleteFrom('alert_states').where('rule_id', '=', id).execute();
    });
  }

  private columns(spec: RuleSpecIn) {
    return {
      name: spec.name,
      enabled: spec.enabled ? 1 : 0,
      severity: spec.severity,
      kind: spec.condition.kind,
      spec: JSON.stringify({
        condition: spec.condition,
        scope: spec.scope,
        channelIds: spec.channelIds,
        action: spec.action,
        resolveAfterSec: spec.resolveAfterSec ?? 0,
      }),
    };
  }

  /** What the schema cannot know: named nodes and the action's task exist (and a patch's merge). */
  private async check(spec: RuleSpecIn): Promise<void> {
    if (!recoveryOnTheRightSide(spec.condition)) {
      throw new FleetError(
        'bad_request',
        'The recovery value must be on the recovering side of the threshold: at or below it for "above", at or above it for "below".',
      );
    }
    if (spec.scope.nodeIds?.length) await targetNodes(this.nodes, { nodeIds: spec.scope.nodeIds });
    const taskIds = [spec.action?.taskId, spec.condition.kind === 'command' ? spec.condition.taskId : undefined];
    for (const taskId of taskIds) {
      if (taskId === undefined) continue;
      const task = await this.db.selectFrom('tasks').select('id').where('id', '=', taskId).executeTakeFirst();
      if (!task) {
        throw new FleetError('bad_request', `Task ${JSON.stringify(taskId)} does not exist: pick a saved task.`);
      }
    }
  }

  // ---- silences -------------------------------------------------------------------------------

  async listSilences(includeExpired = false): Promise<SilenceView[]> {
    let query = this.db.selectFrom('alert_silences').selectAll().orderBy('ends_at', 'desc');
    if (!includeExpired) query = query.where('ends_at', '>', this.now());
    return (await query.limit(1000).execute()).map((r) => silenceViewOf(r, this.now()));
  }

  async createSilence(spec: SilenceSpecIn & { startsAt?: number; endsAt: number }): Promise<SilenceView> {
    const at = this.now();
    await this.checkRule(spec.ruleId);
    if (spec.endsAt <= at) throw new FleetError('bad_request', 'The silence ends in the past: pick a later end.');
    const row: AlertSilencesTable = {
      id: orderedId('sil', at),
      rule_id: spec.ruleId,
      selector: spec.selector ? JSON.stringify(spec.selector) : null,
      comment: spec.comment,
      starts_at: spec.startsAt ?? at,
      ends_at: spec.endsAt,
      created_at: at,
    };
    await this.changing(async (trx) => {
      await trx.insertInto('alert_silences').values(row).execute();
    });
    return silenceViewOf(row, at);
  }

  async updateSilence(id: string, patch: Partial<SilenceSpecIn & { startsAt: number; endsAt: number }>) {
    const row = await this.silenceRow(id);
    if (patch.ruleId !== undefined) await this.checkRule(patch.ruleId);
    const next: AlertSilencesTable = {
      ...row,
      ...(patch.ruleId !== undefined ? { rule_id: patch.ruleId } : {}),
      ...(patch.selector !== undefined ? { selector: patch.selector ? JSON.stringify(patch.selector) : null } : {}),
      ...(patch.comment !== undefined ? { comment: patch.comment } : {}),
      ...(patch.startsAt !== undefined ? { starts_at: patch.startsAt } : {}),
      ...(patch.endsAt !== undefined ? { ends_at: patch.endsAt } : {}),
    };
    if (Number(next.starts_at) >= Number(next.ends_at)) {
      throw new FleetError('bad_request', 'A silence must end after it starts.');
    }
    await this.changing(async (trx) => {
      await trx.updateTable('alert_silences').set(next).where('id', '=', id).execute();
    });
    return silenceViewOf(next, this.now());
  }

  async deleteSilence(id: string): Promise<void> {
    await this.silenceRow(id);
    await this.changing(async (trx) => {
      await trx.deleteFrom('alert_silences').where('id', '=', id).execute();
    });
  }

  private async silenceRow(id: string): Promise<AlertSilencesTable> {
    const row = await this.db.selectFrom('alert_silences').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('silence', id);
    return row;
  }

  private async checkRule(ruleId: string | null): Promise<void> {
    if (ruleId !== null) await this.getRule(ruleId);
  }

  // ---- maintenance windows --------------------------------------------------------------------

  async listMaintenance(): Promise<MaintenanceView[]> {
    const rows = await this.db.selectFrom('alert_maintenance').selectAll().orderBy('name').execute();
    return rows.map((r) => maintenanceViewOf(r, this.now()));
  }

  async createMaintenance(spec: {
    name: string;
    cron: string;
    durationSec: number;
    timezone: string;
    enabled: boolean;
    ruleId: string | null;
    selector: Record<string, string> | null;
    comment: string;
  }): Promise<MaintenanceView> {
    const at = this.now();
    const row: AlertMaintenanceTable = {
      id: orderedId('mnt', at),
      name: spec.name,
      cron: spec.cron,
      duration_sec: spec.durationSec,
      timezone: spec.timezone,
      enabled: spec.enabled ? 1 : 0,
      rule_id: spec.ruleId,
      selector: spec.selector ? JSON.stringify(spec.selector) : null,
      comment: spec.comment,
      created_at: at,
      updated_at: at,
    };
    const w = this.checkWindow(row);
    await this.checkRule(spec.ruleId);
    await this.changing(async (trx) => {
      await trx.insertInto('alert_maintenance').values(row).execute();
    });
    return maintenanceViewOf(row, at, w);
  }

  async updateMaintenance(
    id: string,
    patch: Partial<{
      name: string;
      cron: string;
      durationSec: number;
      timezone: string;
      enabled: boolean;
      ruleId: string | null;
      selector: Record<string, string> | null;
      comment: string;
    }>,
  ): Promise<MaintenanceView> {
    const row = await this.db.selectFrom('alert_maintenance').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('maintenance window', id);
    const next: AlertMaintenanceTable = {
      ...row,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.cron !== undefined ? { cron: patch.cron } : {}),
      ...(patch.durationSec !== undefined ? { duration_sec: patch.durationSec } : {}),
      ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
      ...(patch.ruleId !== undefined ? { rule_id: patch.ruleId } : {}),
      ...(patch.selector !== undefined ? { selector: patch.selector ? JSON.stringify(patch.selector) : null } : {}),
      ...(patch.comment !== undefined ? { comment: patch.comment } : {}),
      updated_at: this.now(),
    };
    const w = this.checkWindow(next);
    if (patch.ruleId !== undefined) await this.checkRule(patch.ruleId);
    await this.changing(async (trx) => {
      await trx.updateTable('alert_maintenance').set(next).where('id', '=', id).execute();
    });
    return maintenanceViewOf(next, this.now(), w);
  }

  async deleteMaintenance(id: string): Promise<void> {
    const found = await this.db.deleteFrom('alert_maintenance').where('id', '=', id).executeTakeFirst();
    if (Number(found.numDeletedRows) === 0) throw notFound('maintenance window', id);
    await this.changing(async () => undefined);
  }

  private checkWindow(row: AlertMaintenanceTable): Window {
    try {
      checkTimeZone(row.timezone);
    } catch {
      throw new FleetError(
        'bad_request',
        `Unknown time zone ${JSON.stringify(row.timezone)}: use an IANA zone such as UTC or Europe/Berlin.`,
      );
    }
    return windowRowOf(row);
  }

  /** A configuration change and the version bump that makes every instance reload, together. */
  private async changing(change: (trx: Db) => Promise<void>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await change(trx);
      await trx
        .updateTable('config_versions')
        .set((eb) => ({ version: eb('version', '+', 1) }))
        .where('name', '=', 'alerts')
        .execute();
    });
  }
}
