// Decides when alerts fire and resolve. Two places evaluate, so no event is evaluated twice:
// - live per-node conditions (CPU, memory, swap, disk, load, network) on the instance that holds
//   the node: its samples arrive only there (`observe`, called for every accounted sample);
// - everything else (offline, agent version, traffic quota, command and task results) on the
//   leader only (`setLeader`), from the node index, the bus and the store.
// State changes are queued and committed in batches (every FLUSH_MS) with their history rows and
// their notifications (state-store.ts), then announced as `alertChanged` events. A firing's action (a
// saved task on the node) is queued after the commit under an idempotency key derived from the
// transition, and retried from the store if the instance died in between, so it runs once.
import { type AlertCondition, type AlertView, isProbeKind } from '../../contract/alert-schemas.js';
import type { LiveSnapshot } from '../../contract/metrics-schemas.js';
import type { ProbeView } from '../../contract/probe-schemas.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { DayCalendar } from '../metrics/calendar.js';
import { orderedId } from '../queue/ids.js';
import { retryWithBackoff } from '../retry.js';
import type { AlertHistoryTable, AlertStatesTable, Db } from '../store/schema.js';
import {
  breaches,
  isLive,
  type Phase,
  readingOf,
  recovers,
  type Step,
  step,
  type ThresholdCondition,
  unitOf,
} from './conditions.js';
import { InstanceKeys, keyOf } from './instance-keys.js';
import { type IndexedNode, inScope, type NodeIndex } from './node-index.js';
import { agentOutdated, trafficVerdicts } from './periodic-checks.js';
import type { AlertConfig, AlertRules, Rule } from './rules.js';
import { isQuiet } from './silences.js';
import { type AlertStateStore, alertIdOf, alertViewOf, type StateWrite } from './state-store.js';
import { summaryOf } from './summaries.js';
import type { AlertTransition } from './transition.js';

const FLUSH_MS = 200;
const CONFIG_POLL_MS = 2_000;
const OFFLINE_TICK_MS = 500;
const VERSION_TICK_MS = 5_000;
const TRAFFIC_TICK_MS = 60_000;
const ACTION_RETRY_MS = 30_000;
const RETENTION_MS = 30 * 86_400_000;
const PROBE_TICK_MS = 1_000;

export interface AlertEngineDeps {
  db: Db;
  bus: EventBus;
  log: Logger;
  rules: AlertRules;
  states: AlertStateStore;
  nodes: NodeIndex;
  masterVersion: string;
  /** The billing calendar traffic rules count cycles in. */
  billing: { calendar: DayCalendar; billingDay: number };
  /** Runs a saved task on one node; the key makes a retry answer the first run. Returns the run id. */
  runAction(taskId: string, nodeId: string, key: string, reason: string): Promise<string>;
  /** Shared mode: live conditions are evaluated only for nodes connected here (loaded on connect). */
  shared: boolean;
  /** The probes' live views (core/probes/), for the probe kinds; absent: none are evaluated. */
  probes?: () => readonly ProbeView[];
  now?: () => number;
}

interface Queued {
  write: StateWrite;
  view: AlertView;
  action: { taskId: string; nodeId: string; historyId: string; reason: string } | null;
}

/** What a change needs besides the rule: whose it is and what was seen. */
interface Observation {
  node: IndexedNode;
  subject: string | null;
  value: number | null;
  threshold: number | null;
  detail?: string;
  /** The key's last part (a mount, a task id) when it is not the subject itself. */
  keyPart?: string;
  /** The line people read, when not the kind's own (a rule turned off). */
  summary?: string;
}

function phaseOf(row: AlertStatesTable | undefined): Phase {
  if (!row) return { phase: 'ok' };
  if (row.state === 'pending') return { phase: 'pending', since: Number(row.since) };
  if (row.state === 'firing') return { phase: 'firing', since: Number(row.fired_at ?? row.since) };
  return { phase: 'ok' };
}

export class AlertEngine {
  private config: AlertConfig = { version: -1, rules: [], quiet: { silences: [], windows: [] } };
  private rulesById = new Map<string, Rule>();
  /** Live-kind instances of the nodes evaluated here, by node. */
  private readonly live = new Map<string, Map<string, AlertStatesTable>>();
  /** Shared mode: nodes whose live alerts are being read from the store (their samples wait). */
  private readonly loading = new Map<string, object>();
  /** Leader-kind instances (offline, version, traffic, command), while leading. */
  private readonly leaderStates = new Map<string, AlertStatesTable>();
  /** Probe latency rules: since when each instance has been over its threshold (for `forSec`). */
  private readonly probeOver = new Map<string, number>();
  /** Live rules per node and their instance keys, cached until rules or the node's labels change. */
  private readonly liveRulesOf = new Map<string, { rules: Rule[]; keys: string[] }>();
  /** Flap damping: firing instances whose condition has been recovered since then (by key). */
  private readonly recovering = new Map<string, number>();
  /**
   * Offline rules, while leading: by rule, the nodes whose alert may be firing (a superset, pruned
   * as they resolve). A tick visits these and the nodes not online, never the whole fleet: with
   * 10,000 nodes online, walking them all twice a second was the engine's largest periodic cost.
   */
  private readonly offlineFiring = new Map<string, Set<string>>();
  private readonly keys = new InstanceKeys();
  private queue: Queued[] = [];
  private flushing: Promise<void> | null = null;
  private leading = false;
  private timers: NodeJS.Timeout[] = [];
  private leaderTimers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | null = null;
  private readonly taskOfRun = new Map<string, { id: string; name: string } | null>();
  private readonly now: () => number;
  /** Transitions committed since start, for /metrics and the benchmark. */
  transitions = 0;
  evaluations = 0;

  constructor(private readonly deps: AlertEngineDeps) {
    this.now = deps.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.reloadConfig();
    if (!this.deps.shared) await this.loadLive({});
    const flush = setInterval(() => void this.flush(), FLUSH_MS);
    const poll = setInterval(() => void this.pollConfig(), CONFIG_POLL_MS);
    flush.unref();
    poll.unref();
    this.timers = [flush, poll];
    this.unsubscribe = this.deps.bus.subscribe((message) => {
      if (message.event === 'commandStatus' && this.leading) void this.onCommand(message.data);
      if (message.event === 'nodeDeleted') this.forgetNode(message.data.nodeId);
    });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.unsubscribe?.();
    await this.setLeader(false);
    await this.flush();
  }

  /** The node index says a node's labels or name changed: its rules are matched again. */
  nodesChanged(nodeIds: string[]): void {
    for (const id of nodeIds) this.liveRulesOf.delete(id);
  }

  // ---- configuration ---------------------------------------------------------------------------

  /** Called after a change made here, so this instance does not wait for the poll. */
  async reloadConfig(): Promise<void> {
    const config = await this.deps.rules.load();
    const previous = this.rulesById;
    this.config = config;
    this.rulesById = new Map(config.rules.map((r) => [r.id, r]));
    this.liveRulesOf.clear();
    this.keys.clear();
    this.retire(previous);
    if (this.leading) await this.loadLeaderStates();
  }

  /**
   * The alerts of a rule that was disabled or deleted, held here: a firing one resolves (a history
   * row and a resolved message through the rule's channels, so whoever was paged hears it is over),
   * a pending one is cleared. A deleted rule's instances go (the store's went with the rule); its
   * history stays. `previous`: the rules before this reload (a deleted rule is only there).
   */
  private retire(previous: ReadonlyMap<string, Rule>): void {
    const at = this.now();
    for (const states of [this.leaderStates, ...this.live.values()]) {
      for (const [key, row] of states) {
        const current = this.rulesById.get(row.rule_id);
        if (current?.enabled || row.state === 'resolved') continue;
        this.recovering.delete(key);
        const rule = current ?? previous.get(row.rule_id);
        const node =
          row.node_id === null ? undefined : (this.deps.nodes.get(row.node_id) ?? this.probeSubject(row.node_id));
        if (!rule || !node) {
          states.delete(key);
          continue;
        }
        const seen: Observation = {
          node,
          subject: row.subject,
          value: row.value === null ? null : Number(row.value),
          threshold: row.threshold === null ? null : Number(row.threshold),
          summary: `rule "${rule.name}" was ${current ? 'disabled' : 'deleted'}: alert closed on ${node.name}`,
        };
        this.change(states, rule, key, row.state === 'firing' ? 'resolved' : 'cleared', seen, at, !current);
      }
    }
  }

  /**
   * Flap damping: whether a firing instance whose condition is `recovered` now resolves. With the
   * rule's `resolveAfterSec`, only once it has stayed recovered that long; a breach in between starts
   * the wait over. The wait is kept in memory: after a restart or a failover it starts again, which
   * delays a resolution and never loses one.
   */
  private resolvesNow(rule: Rule, key: string, recovered: boolean, at: number): boolean {
    if (!recovered) {
      if (this.recovering.size > 0) this.recovering.delete(key);
      return false;
    }
    if (rule.resolveAfterSec <= 0) return true;
    const since = this.recovering.get(key) ?? at;
    this.recovering.set(key, since);
    if (at - since < rule.resolveAfterSec * 1000) return false;
    this.recovering.delete(key);
    return true;
  }

  private async pollConfig(): Promise<void> {
    try {
      if ((await this.deps.rules.version()) !== this.config.version) await this.reloadConfig();
    } catch (err) {
      this.deps.log.warn({ err }, 'could not check for alert rule changes');
    }
  }

  private enabledRules(): Rule[] {
    return this.config.rules.filter((r) => r.enabled);
  }

  // ---- live conditions (the instance holding the node) -----------------------------------------

  /**
   * Shared mode: a node connected here; its live alerts continue from the store. Its samples are not
   * evaluated until they are loaded, or a firing alert of the previous instance would fire again.
   */
  async nodeConnected(nodeId: string): Promise<void> {
    if (!this.deps.shared) return;
    const marker = {};
    this.loading.set(nodeId, marker);
    this.live.delete(nodeId);
    try {
      await retryWithBackoff(() => this.loadLive({ nodeId }), {
        maxDelayMs: 5_000,
        jitter: true,
        keepTrying: () => this.loading.get(nodeId) === marker,
      });
    } finally {
      if (this.loading.get(nodeId) === marker) this.loading.delete(nodeId);
    }
  }

  /** Shared mode: the node left; whichever instance it reaches next continues its alerts. */
  nodeReleased(nodeId: string): void {
    if (!this.deps.shared) return;
    this.loading.delete(nodeId);
    this.live.delete(nodeId);
  }

  private async loadLive(filter: { nodeId?: string }): Promise<void> {
    const ids = this.config.rules.filter((r) => isLive(r.condition)).map((r) => r.id);
    for (const row of await this.deps.states.rows({ ...filter, ruleIds: ids })) {
      if (row.node_id !== null) this.liveOf(row.node_id).set(row.alert_key, row);
    }
    this.retire(this.rulesById);
  }

  private liveOf(nodeId: string): Map<string, AlertStatesTable> {
    let states = this.live.get(nodeId);
    if (!states) {
      states = new Map();
      this.live.set(nodeId, states);
    }
    return states;
  }

  private rulesFor(node: IndexedNode): { rules: Rule[]; keys: string[] } {
    let live = this.liveRulesOf.get(node.id);
    if (!live) {
      const rules = this.enabledRules().filter((r) => isLive(r.condition) && inScope(r.scope, node));
      live = { rules, keys: rules.map((r) => keyOf(r.id, node.id, null)) };
      this.liveRulesOf.set(node.id, live);
    }
    return live;
  }

  /** Every accounted sample of a node connected here. */
  observe(nodeId: string, snapshot: LiveSnapshot): void {
    const node = this.deps.nodes.get(nodeId);
    if (!node || node.revoked || this.loading.has(nodeId)) return;
    const { rules, keys } = this.rulesFor(node);
    if (rules.length === 0) return;
    const states = this.liveOf(nodeId);
    for (let i = 0; i < rules.length; i += 1) {
      const rule = rules[i] as Rule;
      const condition = rule.condition as ThresholdCondition;
      if (condition.kind !== 'disk') {
        const value = readingOf(condition, snapshot);
        if (value !== null) this.evaluate(node, states, rule, keys[i] as string, null, value, snapshot.t);
        continue;
      }
      for (const d of snapshot.disks ?? []) {
        if (condition.mount !== undefined && d.mount !== condition.mount) continue;
        const value = readingOf(condition, snapshot, d);
        if (value !== null)
          this.evaluate(node, states, rule, keyOf(rule.id, nodeId, d.mount), d.mount, value, snapshot.t);
      }
    }
  }

  /** One live reading against one rule: most of a healthy fleet's change nothing and allocate nothing. */
  private evaluate(
    node: IndexedNode,
    states: Map<string, AlertStatesTable>,
    rule: Rule,
    key: string,
    subject: string | null,
    value: number,
    t: number,
  ): void {
    this.evaluations += 1;
    const condition = rule.condition as ThresholdCondition;
    const row = states.size === 0 ? undefined : states.get(key);
    const state = row?.state;
    // The two answers of nearly every sample, decided without building the state machine's objects:
    // not in trouble and not breaching, or firing and not recovered (which also ends a damped recovery).
    if (state !== 'pending' && state !== 'firing') {
      if (!breaches(condition, value)) return;
    } else if (state === 'firing' && !recovers(condition, value)) {
      this.resolvesNow(rule, key, false, t);
      return;
    }
    const result = step(condition, phaseOf(row), value, t);
    if (result.step === 'none') {
      if (state === 'firing') this.resolvesNow(rule, key, false, t);
      return;
    }
    if (result.step === 'resolved' && !this.resolvesNow(rule, key, true, t)) return;
    this.change(states, rule, key, result.step, { node, subject, value, threshold: condition.threshold }, t);
  }

  // ---- leader-only conditions ------------------------------------------------------------------

  async setLeader(leading: boolean): Promise<void> {
    if (leading === this.leading) return;
    this.leading = leading;
    for (const t of this.leaderTimers) clearInterval(t);
    this.leaderTimers = [];
    this.leaderStates.clear();
    this.offlineFiring.clear();
    if (!leading) return;
    await this.loadLeaderStates();
    const every = (ms: number, job: () => void | Promise<void>) => {
      const timer = setInterval(() => {
        Promise.resolve(job()).catch((err) => this.deps.log.warn({ err }, 'alert check failed'));
      }, ms);
      timer.unref();
      this.leaderTimers.push(timer);
    };
    every(OFFLINE_TICK_MS, () => this.checkOffline());
    every(VERSION_TICK_MS, () => this.checkVersions());
    every(TRAFFIC_TICK_MS, () => this.checkTraffic());
    every(PROBE_TICK_MS, () => this.checkProbes());
    every(ACTION_RETRY_MS, () => this.retryActions());
    every(3_600_000, () => this.deps.states.prune(this.now() - RETENTION_MS));
    void this.checkTraffic().catch((err) => this.deps.log.warn({ err }, 'traffic alert check failed'));
  }

  private async loadLeaderStates(): Promise<void> {
    const ids = this.config.rules.filter((r) => !isLive(r.condition)).map((r) => r.id);
    const rows = await this.deps.states.rows({ ruleIds: ids });
    if (!this.leading) return;
    for (const row of rows) {
      if (this.leaderStates.has(row.alert_key)) continue;
      this.leaderStates.set(row.alert_key, row);
      const kind = this.rulesById.get(row.rule_id)?.condition.kind;
      if (kind === 'offline' && row.state === 'firing' && row.node_id !== null) {
        this.offlineFiringOf(row.rule_id).add(row.node_id);
      }
    }
    this.retire(this.rulesById);
  }

  private leaderRules<K extends AlertCondition['kind']>(
    kind: K,
  ): Array<Rule & { condition: Extract<AlertCondition, { kind: K }> }> {
    return this.enabledRules().filter((r) => r.condition.kind === kind) as never;
  }

  /**
   * Fires or resolves a leader-kind instance whose condition is `holds` now. Command results are
   * events, not re-checked, so their alerts are not damped: a success resolves at once.
   */
  private settle(rule: Rule, key: string, holds: boolean, seen: Observation, at: number): void {
    const firing = this.leaderStates.get(key)?.state === 'firing';
    if (holds && !firing) this.change(this.leaderStates, rule, key, 'firing', seen, at);
    else if (!firing) return;
    else if (rule.condition.kind === 'command') {
      if (!holds) this.change(this.leaderStates, rule, key, 'resolved', seen, at);
    } else if (this.resolvesNow(rule, key, !holds, at)) {
      this.change(this.leaderStates, rule, key, 'resolved', seen, at);
    }
  }

  private offlineFiringOf(ruleId: string): Set<string> {
    let nodes = this.offlineFiring.get(ruleId);
    if (!nodes) {
      nodes = new Set();
      this.offlineFiring.set(ruleId, nodes);
    }
    return nodes;
  }

  private checkOffline(): void {
    const now = this.now();
    for (const rule of this.leaderRules('offline')) {
      const firing = this.offlineFiringOf(rule.id);
      for (const node of this.deps.nodes.notOnline()) this.checkOfflineNode(rule, node, firing, now);
      // Back online (or gone) since their alert fired: these resolve; the others were visited above.
      for (const id of firing) {
        const node = this.deps.nodes.get(id);
        if (!node) firing.delete(id);
        else if (node.status === 'online') this.checkOfflineNode(rule, node, firing, now);
      }
    }
  }

  private checkOfflineNode(
    rule: Rule & { condition: Extract<AlertCondition, { kind: 'offline' }> },
    node: IndexedNode,
    firing: Set<string>,
    now: number,
  ): void {
    if (node.revoked || !inScope(rule.scope, node)) return;
    const since = node.offlineSince;
    const holds = node.status === 'offline' && since !== null && now - since >= rule.condition.graceSec * 1000;
    const key = this.keys.of(rule.id, node.id);
    if (!holds && this.leaderStates.get(key)?.state !== 'firing') {
      firing.delete(node.id);
      if (node.status !== 'online' && this.recovering.size > 0) this.recovering.delete(key);
      return;
    }
    if (!holds && node.status !== 'online') {
      // Neither offline past the grace nor back online yet (or never connected): nothing to
      // decide, but a damped resolution waits for the node to be back again.
      if (this.recovering.size > 0) this.recovering.delete(key);
      return;
    }
    this.settle(rule, key, holds, { node, subject: null, value: null, threshold: null }, now);
    if (this.leaderStates.get(key)?.state === 'firing') firing.add(node.id);
    else firing.delete(node.id);
  }

  private checkVersions(): void {
    const now = this.now();
    for (const rule of this.leaderRules('agent-version')) {
      for (const node of this.deps.nodes.all()) {
        if (node.revoked || node.agentVersion === null || !inScope(rule.scope, node)) continue;
        const holds = agentOutdated(node.agentVersion, this.deps.masterVersion);
        const detail = holds ? `${node.agentVersion} < ${this.deps.masterVersion}` : node.agentVersion;
        const seen = { node, subject: null, value: null, threshold: null, detail };
        this.settle(rule, this.keys.of(rule.id, node.id), holds, seen, now);
      }
    }
  }

  /** A probe stands where the node would (its id in node_id, its name in the summary); it has no labels. */
  private probeSubject(probeId: string, view?: ProbeView): IndexedNode | undefined {
    const probe = view ?? this.deps.probes?.().find((p) => p.id === probeId);
    if (!probe) return undefined;
    return {
      id: probe.id,
      name: probe.name,
      labels: {},
      status: 'online',
      offlineSince: null,
      agentVersion: null,
      revoked: false,
    };
  }

  /** Probe kinds, from the probes' live views (the verdict itself is decided by core/probes/). */
  private checkProbes(): void {
    const rules = [
      ...this.leaderRules('probe-down'),
      ...this.leaderRules('probe-latency'),
      ...this.leaderRules('probe-certificate'),
    ];
    if (rules.length === 0 || !this.deps.probes) return;
    const now = this.now();
    for (const probe of this.deps.probes()) {
      if (!probe.enabled) continue;
      const node = this.probeSubject(probe.id, probe) as IndexedNode;
      const fresh = probe.vantages.filter((v) => v.fresh);
      for (const rule of rules) {
        const c = rule.condition;
        if (c.probeIds && c.probeIds.length > 0 && !c.probeIds.includes(probe.id)) continue;
        const key = keyOf(rule.id, probe.id, null);
        if (c.kind === 'probe-down') {
          if (probe.state === 'unknown') continue;
          const error = fresh.find((v) => v.ok === false)?.error ?? '';
          const detail = `${probe.downCount} of ${probe.vantages.length} vantage points${error ? `: ${error}` : ''}`;
          const seen = { node, subject: null, value: probe.downCount, threshold: probe.needed, detail };
          this.settle(rule, key, probe.state === 'down', seen, now);
        } else if (c.kind === 'probe-latency') {
          const latencies = fresh
            .flatMap((v) => (v.ok && v.latencyMs !== null ? [v.latencyMs] : []))
            .sort((a, b) => a - b);
          if (latencies.length === 0) continue;
          const median = latencies[Math.floor((latencies.length - 1) / 2)] as number;
          const firing = this.leaderStates.get(key)?.state === 'firing';
          const over = median > (firing ? (c.recovery ?? c.threshold) : c.threshold);
          let held = over;
          if (over && !firing) {
            const since = this.probeOver.get(key) ?? now;
            this.probeOver.set(key, since);
            held = now - since >= c.forSec * 1000;
          } else if (!over) this.probeOver.delete(key);
          this.settle(rule, key, held, { node, subject: null, value: median, threshold: c.threshold }, now);
        } else if (c.kind === 'probe-certificate') {
          const days = fresh.flatMap((v) => (v.certDaysLeft === null ? [] : [v.certDaysLeft]));
          if (days.length === 0) continue;
          const least = Math.min(...days);
          this.settle(rule, key, least <= c.days, { node, subject: null, value: least, threshold: c.days }, now);
        }
      }
    }
  }

  private async checkTraffic(): Promise<void> {
    const rules = this.leaderRules('traffic');
    if (rules.length === 0) return;
    const now = this.now();
    const verdicts = await trafficVerdicts(this.deps.db, this.deps.billing, rules, [...this.deps.nodes.all()], now);
    if (!this.leading) return;
    for (const v of verdicts) {
      const seen = { node: v.node, subject: null, value: v.used, threshold: v.quota, detail: v.forecast ?? undefined };
      this.settle(v.rule, keyOf(v.rule.id, v.node.id, null), v.holds, seen, now);
    }
  }

  private async onCommand(e: {
    nodeId: string;
    status: string;
    taskRunId: string | null;
    exitCode: number | null;
    at: number;
  }) {
    const failed = ['failed', 'timed_out', 'expired', 'lost'].includes(e.status);
    if (!failed && e.status !== 'succeeded') return;
    const rules = this.leaderRules('command');
    const node = this.deps.nodes.get(e.nodeId);
    if (rules.length === 0 || !node) return;
    const task = e.taskRunId ? await this.taskOf(e.taskRunId) : null;
    if (!this.leading) return;
    for (const rule of rules) {
      const c = rule.condition;
      if (!inScope(rule.scope, node)) continue;
      if ((c.source === 'task' && !task) || (c.source === 'adhoc' && task) || (c.taskId && c.taskId !== task?.id))
        continue;
      if (failed && !c.outcomes.includes(e.status as never)) continue;
      const key = keyOf(rule.id, node.id, task?.id ?? 'adhoc');
      const seen = { node, subject: task?.name ?? 'adhoc', value: e.exitCode, threshold: null, detail: e.status };
      this.settle(rule, key, failed, seen, e.at);
    }
  }

  private async taskOf(runId: string): Promise<{ id: string; name: string } | null> {
    if (this.taskOfRun.has(runId)) return this.taskOfRun.get(runId) ?? null;
    const row = await this.deps.db
      .selectFrom('task_runs')
      .innerJoin('tasks', 'tasks.id', 'task_runs.task_id')
      .select(['tasks.id as id', 'tasks.name as name'])
      .where('task_runs.id', '=', runId)
      .executeTakeFirst();
    if (this.taskOfRun.size > 10_000) this.taskOfRun.clear();
    this.taskOfRun.set(runId, row ?? null);
    return row ?? null;
  }

  // ---- state changes ---------------------------------------------------------------------------

  /** Applies one step to the in-memory instance and queues its write, history and notification. */
  private change(
    states: Map<string, AlertStatesTable>,
    rule: Rule,
    key: string,
    what: Exclude<Step, 'none'>,
    seen: Observation,
    at: number,
    /** The rule is gone: the instance is deleted rather than kept as resolved. */
    drop = false,
  ): void {
    const before = states.get(key);
    const id = alertIdOf(key);
    if (what === 'cleared' && !before?.fired_at) {
      // A condition that never fired leaves nothing behind.
      states.delete(key);
      this.enqueue({ row: null, id, history: null, transition: null }, rule, seen, before, what);
      return;
    }
    const transition = what === 'firing' || what === 'resolved';
    // A probe has no labels to select by: only silences without a selector reach its alerts.
    const labels = isProbeKind(rule.condition.kind) ? null : seen.node.labels;
    const quiet = transition && isQuiet(this.config.quiet, rule.id, labels, at);
    const silenced = what === 'resolved' ? quiet || Number(before?.silenced ?? 0) === 1 : quiet;
    const summary =
      what === 'pending' || what === 'cleared'
        ? (before?.summary ?? '')
        : (seen.summary ?? summaryOf({ condition: rule.condition, state: what, nodeName: seen.node.name, ...seen }));
    const row: AlertStatesTable = {
      id,
      alert_key: key,
      rule_id: rule.id,
      node_id: seen.node.id,
      subject: seen.subject,
      state: what === 'cleared' || what === 'resolved' ? 'resolved' : what,
      since: what === 'cleared' ? Number(before?.resolved_at ?? at) : at,
      fired_at: what === 'firing' ? at : (before?.fired_at ?? null),
      resolved_at: what === 'resolved' ? at : (before?.resolved_at ?? null),
      value: seen.value,
      threshold: seen.threshold,
      unit: unitOf(rule.condition),
      summary: summary.slice(0, 1024),
      silenced: what === 'firing' ? (silenced ? 1 : 0) : Number(before?.silenced ?? 0) || (silenced ? 1 : 0),
      acknowledged_at: what === 'firing' ? null : (before?.acknowledged_at ?? null),
      updated_at: at,
    };
    states.set(key, row);
    if (!transition) {
      this.enqueue({ row, id, history: null, transition: null }, rule, seen, row, what);
      return;
    }
    const history = this.historyOf(rule, row, what as 'firing' | 'resolved', silenced, at, seen);
    const notified = silenced ? null : this.transitionOf(rule, row, history, seen);
    if (drop) states.delete(key);
    this.enqueue({ row: drop ? null : row, id, history, transition: notified }, rule, seen, row, what);
  }

  private historyOf(
    rule: Rule,
    row: AlertStatesTable,
    state: 'firing' | 'resolved',
    silenced: boolean,
    at: number,
    seen: Observation,
  ): AlertHistoryTable {
    const acts = state === 'firing' && !silenced && rule.action !== null;
    return {
      id: orderedId('alh', at),
      alert_id: row.id,
      rule_id: rule.id,
      rule_name: rule.name,
      severity: rule.severity,
      node_id: seen.node.id,
      node_name: seen.node.name,
      state,
      at,
      value: row.value,
      threshold: row.threshold,
      summary: row.summary,
      silenced: silenced ? 1 : 0,
      action_state: acts ? 'pending' : null,
      action_detail: null,
    };
  }

  private transitionOf(rule: Rule, row: AlertStatesTable, h: AlertHistoryTable, seen: Observation): AlertTransition {
    const c = rule.condition;
    return {
      id: h.id,
      ruleId: rule.id,
      ruleName: rule.name,
      severity: rule.severity,
      alertKey: row.alert_key,
      nodeId: seen.node.id,
      nodeName: seen.node.name,
      labels: seen.node.labels,
      state: h.state,
      value: row.value,
      threshold: row.threshold,
      unit: row.unit,
      forSec: c.kind === 'offline' ? c.graceSec : isLive(c) ? c.forSec : 0,
      summary: row.summary,
      at: h.at,
      channelIds: rule.channelIds,
    };
  }

  private enqueue(
    write: StateWrite,
    rule: Rule,
    seen: Observation,
    row: AlertStatesTable | undefined,
    what: Exclude<Step, 'none'>,
  ): void {
    const shown: AlertStatesTable = row ?? {
      id: write.id,
      alert_key: '',
      rule_id: rule.id,
      node_id: seen.node.id,
      subject: seen.subject,
      state: 'resolved',
      since: this.now(),
      fired_at: null,
      resolved_at: null,
      value: seen.value,
      threshold: seen.threshold,
      unit: unitOf(rule.condition),
      summary: '',
      silenced: 0,
      acknowledged_at: null,
      updated_at: this.now(),
    };
    const view = alertViewOf(shown, {
      ruleName: rule.name,
      severity: rule.severity,
      kind: rule.condition.kind,
      nodeName: seen.node.name,
    });
    const h = write.history;
    const action =
      h?.action_state === 'pending' && rule.action
        ? {
            taskId: rule.action.taskId,
            nodeId: seen.node.id,
            historyId: h.id,
            reason: `alert "${rule.name}": ${h.summary}`,
          }
        : null;
    if (what === 'cleared' && !row) view.state = 'resolved';
    this.queue.push({ write, view, action });
  }

  /** Commits what changed since the last flush; on failure it stays queued and is tried again. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.commit(batch).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async commit(batch: Queued[]): Promise<void> {
    try {
      await this.deps.states.write(batch.map((q) => q.write));
    } catch (err) {
      this.queue = [...batch, ...this.queue];
      this.deps.log.warn({ err, changes: batch.length }, 'could not record alert changes; will retry');
      return;
    }
    this.transitions += batch.filter((q) => q.write.history).length;
    for (const q of batch) this.deps.bus.emit('alertChanged', q.view);
    for (const q of batch) if (q.action) void this.act(q.action);
  }

  private async act(a: NonNullable<Queued['action']>): Promise<void> {
    try {
      const runId = await this.deps.runAction(a.taskId, a.nodeId, `alert-action:${a.historyId}`, a.reason);
      await this.deps.states.actionDone(a.historyId, 'done', runId);
    } catch (err) {
      const message = (err as Error).message;
      this.deps.log.warn({ err, historyId: a.historyId }, 'alert action could not start');
      // A task or node gone for good will not come back; anything else is retried with the same key.
      if (/does not exist|matches no nodes/.test(message)) {
        await this.deps.states.actionDone(a.historyId, 'failed', message).catch(() => undefined);
      }
    }
  }

  /** Firings whose action did not reach the queue (a crash between commit and enqueue). */
  private async retryActions(): Promise<void> {
    for (const h of await this.deps.states.pendingActions(this.now() - ACTION_RETRY_MS)) {
      const rule = this.rulesById.get(h.rule_id);
      if (!rule?.action || h.node_id === null) {
        await this.deps.states.actionDone(h.id, 'failed', 'the rule or its action was removed');
        continue;
      }
      await this.act({
        taskId: rule.action.taskId,
        nodeId: h.node_id,
        historyId: h.id,
        reason: `alert "${rule.name}": ${h.summary}`,
      });
    }
  }

  private forgetNode(nodeId: string): void {
    this.live.delete(nodeId);
    this.liveRulesOf.delete(nodeId);
    this.keys.forgetNode(nodeId);
    for (const [key, row] of this.leaderStates) if (row.node_id === nodeId) this.leaderStates.delete(key);
    if (this.leading) void this.deps.states.forgetNode(nodeId).catch(() => undefined);
  }

  ruleOf(id: string): Rule | undefined {
    return this.rulesById.get(id);
  }
}
