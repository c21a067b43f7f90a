// Contract handlers for alert rules, alerts, silences and maintenance windows. A configuration change
// reloads this instance's engine at once; other instances follow through the config version.
import { isProbeKind } from '../../contract/alert-schemas.js';
import type { Handlers } from '../../contract/contract.js';
import type { AlertStatesTable } from '../store/schema.js';
import type { AlertEngine } from './engine.js';
import type { NodeIndex } from './node-index.js';
import { previewRule } from './preview.js';
import type { ProbeHistory } from './probe-preview.js';
import type { AlertRules } from './rules.js';
import { type AlertStateStore, alertViewOf, historyViewOf } from './state-store.js';

type AlertHandlerNames =
  | 'listAlertRules'
  | 'createAlertRule'
  | 'previewAlertRule'
  | 'getAlertRule'
  | 'updateAlertRule'
  | 'deleteAlertRule'
  | 'listAlerts'
  | 'alertHistory'
  | 'acknowledgeAlert'
  | 'listSilences'
  | 'createSilence'
  | 'updateSilence'
  | 'deleteSilence'
  | 'listMaintenanceWindows'
  | 'createMaintenanceWindow'
  | 'updateMaintenanceWindow'
  | 'deleteMaintenanceWindow';

export interface AlertParts {
  rules: AlertRules;
  states: AlertStateStore;
  engine: AlertEngine;
  nodes: NodeIndex;
  db: import('../store/schema.js').Db;
  bus: import('../events.js').EventBus;
  /** The probes and their rollups, for the probe kinds' names and previews; absent: none. */
  probes?: ProbeHistory;
  now?: () => number;
}

const ok = { ok: true as const };

export function alertHandlers(parts: AlertParts): Pick<Handlers, AlertHandlerNames> {
  const { rules, states, engine, nodes } = parts;
  const now = parts.now ?? Date.now;
  /** A change made here: evaluate with it now, not at the next poll. */
  const changed = async <T>(result: T): Promise<T> => {
    await engine.reloadConfig();
    return result;
  };
  /** Probe names by id, read once per request (a probe gone since keeps its id as its name). */
  const probeNames = () => new Map((parts.probes?.probes() ?? []).map((p) => [p.id, p.name]));
  const view = (row: AlertStatesTable, probes: () => Map<string, string>) => {
    const rule = engine.ruleOf(row.rule_id);
    const kind = rule?.condition.kind ?? 'unknown';
    const id = row.node_id;
    return alertViewOf(row, {
      ruleName: rule?.name ?? row.rule_id,
      severity: rule?.severity ?? 'warning',
      kind,
      nodeName: id === null ? null : isProbeKind(kind) ? (probes().get(id) ?? id) : (nodes.get(id)?.name ?? null),
    });
  };
  const once = <T>(make: () => T): (() => T) => {
    let value: T | undefined;
    return () => {
      value ??= make();
      return value;
    };
  };
  return {
    listAlertRules: () => rules.listRules(),
    createAlertRule: async (spec) => changed(await rules.createRule(spec)),
    previewAlertRule: (spec) => previewRule(parts.db, spec, [...nodes.all()], now(), parts.probes),
    getAlertRule: ({ id }) => rules.getRule(id),
    updateAlertRule: async ({ id, ...patch }) => changed(await rules.updateRule(id, patch)),
    deleteAlertRule: async ({ id }) => {
      await rules.deleteRule(id);
      return changed(ok);
    },
    listAlerts: async (filter) => {
      const probes = once(probeNames);
      return (await states.list({ ...filter, now: now() })).map((row) => view(row, probes));
    },
    alertHistory: async (query) =>
      (await states.history(query)).map((row) =>
        historyViewOf(row, isProbeKind(engine.ruleOf(row.rule_id)?.condition.kind ?? '')),
      ),
    acknowledgeAlert: async ({ id }) => {
      const alert = view(await states.acknowledge(id, now()), probeNames);
      parts.bus.emit('alertChanged', alert);
      return alert;
    },
    listSilences: ({ all }) => rules.listSilences(all === true),
    createSilence: async (spec) => changed(await rules.createSilence(spec)),
    updateSilence: async ({ id, ...patch }) => changed(await rules.updateSilence(id, patch)),
    deleteSilence: async ({ id }) => {
      await rules.deleteSilence(id);
      return changed(ok);
    },
    listMaintenanceWindows: () => rules.listMaintenance(),
    createMaintenanceWindow: async (spec) => changed(await rules.createMaintenance(spec)),
    updateMaintenanceWindow: async ({ id, ...patch }) => changed(await rules.updateMaintenance(id, patch)),
    deleteMaintenanceWindow: async ({ id }) => {
      await rules.deleteMaintenance(id);
      return changed(ok);
    },
  };
}
