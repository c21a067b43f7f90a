// Probes on the master: which vantage point runs what (sent to each agent on connect and on change),
// the results (memory-first live state, then rollups), the quorum verdict (evaluated once per cluster,
// on the leader) and its history. The master's own vantage point runs on the leader too.

import { z } from 'zod';
import { ProbeRunner } from '../../../agent/probes/runner.js';
import {
  HEADER_VALUE_MASK,
  MAX_PROBES_PER_AGENT,
  MAX_RESULTS_PER_FRAME,
  type ProbeAssignment,
  ProbeResult,
  type ProbeTarget,
} from '../../../agent/probes/spec.js';
import type { Capabilities, MasterMessage } from '../../../agent/protocol.js';
import { hasLabels } from '../../contract/labels.js';
import { MASTER_VANTAGE, type ProbeView, type VantageView } from '../../contract/probe-schemas.js';
import type { NodeView } from '../../contract/schemas.js';
import type { PeerChannel } from '../cluster/event-relay.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { DayCalendar } from '../metrics/calendar.js';
import { DEFAULT_METRICS_RETENTION } from '../metrics/metrics-retention.js';
import { type DayUptime, periodRanges, type UptimeFoldResult, type UptimePeriod } from '../nodes/uptime-days.js';
import type { Db } from '../store/schema.js';
import { type HeaderKey, type ProbeDefinition, ProbeDefinitions } from './definitions.js';
import { evaluateQuorum, isFresh, type Latest, type QuorumState } from './quorum.js';
import { ProbeRollups } from './rollups.js';
import { probeDays, readProbeUptime, readProbeUptimeWindows } from './uptime.js';

export interface ProbeOptions {
  flushMs: number;
  evaluateMs: number;
  configCheckMs: number;
  minutesRetentionMs: number;
  hoursRetentionMs: number;
}

export const DEFAULT_PROBE_OPTIONS: ProbeOptions = {
  flushMs: 10_000,
  evaluateMs: 1_000,
  configCheckMs: 2_000,
  minutesRetentionMs: DEFAULT_METRICS_RETENTION.minutesMs,
  hoursRetentionMs: DEFAULT_METRICS_RETENTION.hoursMs,
};

export interface ProbeServiceDeps {
  db: Db;
  dialect: 'sqlite' | 'mariadb';
  bus: EventBus;
  log: Logger;
  nodes: { list(): Promise<NodeView[]> };
  send: (nodeId: string, message: MasterMessage) => boolean;
  calendar: DayCalendar;
  /** Seals HTTP header values (the cluster key); without it, probes with headers cannot be saved or run. */
  key?: HeaderKey | null;
  /** A full instance seals header values stored before migration 29 at start. */
  sealStoredHeaders?: boolean;
  now?: () => number;
  options?: Partial<ProbeOptions>;
}

/** Results one instance took from a vantage point, told to the others (shared mode). */
const SharedResults = z.object({
  vantage: z.string().min(1).max(64),
  at: z.number().int().nonnegative(),
  results: z.array(ProbeResult).min(1).max(MAX_RESULTS_PER_FRAME),
});
const SHARED_RESULTS = 'probeResults';

const assignmentOf = (d: ProbeDefinition): ProbeAssignment => ({
  id: d.id,
  target: d.target,
  intervalSec: d.intervalSec,
  timeoutMs: d.timeoutMs,
});

/** What people see of a target: header values masked (they are secrets; only vantage points get them). */
export function maskedTarget(target: ProbeTarget): ProbeTarget {
  if (target.kind !== 'http' || target.headers.length === 0) return target;
  return { ...target, headers: target.headers.map((h) => ({ name: h.name, value: HEADER_VALUE_MASK })) };
}

export class ProbeService {
  readonly definitions: ProbeDefinitions;
  readonly rollups: ProbeRollups;
  private readonly options: ProbeOptions;
  private readonly now: () => number;
  private probes: ProbeDefinition[] = [];
  private nodes = new Map<string, NodeView>();
  /** Nodes connected to this instance that run probes, and the set each was sent (its JSON). */
  private readonly connected = new Map<string, string | null>();
  /** probe id → vantage → last result. */
  private readonly latest = new Map<string, Map<string, Latest>>();
  /** What each node was told to run (results for anything else are dropped). */
  private readonly assigned = new Map<string, Set<string>>();
  private readonly states = new Map<string, QuorumState>();
  private readonly lastLive = new Map<string, string>();
  private readonly dirty = new Set<string>();
  /** Each probe's vantage points, until definitions, nodes or a node's capabilities change. */
  private readonly vantageCache = new Map<string, string[]>();
  private version = -1;
  private leader = false;
  private masterRunner: ProbeRunner | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private timers: NodeJS.Timeout[] = [];
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private evaluating = false;
  /** Probes whose header values did not open here, warned about once each. */
  private readonly unopened = new Set<string>();
  private peers: PeerChannel | null = null;

  constructor(private readonly deps: ProbeServiceDeps) {
    this.definitions = new ProbeDefinitions(deps.db, deps.now, deps.key ?? null);
    this.rollups = new ProbeRollups(deps.db, deps.dialect);
    this.options = { ...DEFAULT_PROBE_OPTIONS, ...deps.options };
    this.now = deps.now ?? Date.now;
    deps.bus.subscribe((message) => {
      if (message.event === 'nodeChanged' || message.event === 'nodeDeleted') void this.refresh(false);
    });
  }

  async start(): Promise<void> {
    if (this.deps.sealStoredHeaders) {
      const sealed = await this.definitions.sealPlaintextHeaders(this.deps.dialect === 'sqlite');
      if (sealed > 0) this.deps.log.info({ probes: sealed }, 'sealed the header values of probes stored in clear');
    }
    await this.refresh(true);
    const every = (ms: number, f: () => Promise<unknown> | undefined) => {
      const t = setInterval(() => {
        void f()?.catch((err) => this.deps.log.warn({ err }, 'probe job failed'));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.options.configCheckMs, () => this.checkVersion());
    every(this.options.flushMs, () => this.rollups.flush());
    every(this.options.evaluateMs, () => this.evaluate());
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.setLeader(false);
    await this.rollups.flush().catch((err) => this.deps.log.warn({ err }, 'could not write probe rollups'));
  }

  /** The leader evaluates every probe's quorum and runs the master's own vantage point. */
  setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    if (leader) {
      this.masterRunner = new ProbeRunner((results) => this.ingest(MASTER_VANTAGE, results));
      this.masterRunner.set(this.masterSet());
      const expiry = setInterval(() => {
        void this.expire().catch((err) => this.deps.log.warn({ err }, 'could not expire probe rollups'));
      }, 10 * 60_000);
      expiry.unref();
      this.expiryTimer = expiry;
      void this.loadStates().catch((err) => this.deps.log.warn({ err }, 'could not read probe states'));
    } else {
      this.masterRunner?.stop();
      this.masterRunner = null;
      if (this.expiryTimer) clearInterval(this.expiryTimer);
      this.expiryTimer = null;
      this.states.clear();
    }
  }

  // ---- vantage points ---------------------------------------------------------------------------

  nodeConnected(nodeId: string, capabilities: Capabilities): void {
    const known = this.nodes.get(nodeId);
    // Its hello's capabilities count now (the cached row may be from before it first connected).
    if (known) this.nodes.set(nodeId, { ...known, capabilities });
    if (known?.capabilities?.probes !== capabilities.probes) this.vantageCache.clear();
    if (capabilities.probes !== true) return;
    this.connected.set(nodeId, null);
    if (!known) void this.refresh(false);
    else this.sendSet(nodeId);
  }

  nodeDisconnected(nodeId: string): void {
    this.connected.delete(nodeId);
    this.assigned.delete(nodeId);
  }

  /** The vantage points a probe runs from: the master if chosen, and chosen nodes that run probes. */
  vantagesOf(d: ProbeDefinition): string[] {
    const cached = this.vantageCache.get(d.id);
    if (cached) return cached;
    const out: string[] = d.vantage.master ? [MASTER_VANTAGE] : [];
    const ids = new Set(d.vantage.nodeIds);
    const selector = d.vantage.selector ? Object.entries(d.vantage.selector) : null;
    for (const node of this.nodes.values()) {
      if (node.revoked || node.capabilities?.probes !== true) continue;
      if (ids.has(node.id) || (selector && hasLabels(node.labels, selector))) out.push(node.id);
    }
    this.vantageCache.set(d.id, out);
    return out;
  }

  /** Enabled, and runnable here: a probe whose header values do not open would run without them. */
  private runnable(d: ProbeDefinition): boolean {
    return d.enabled && !d.headersUnavailable;
  }

  private setFor(nodeId: string): ProbeAssignment[] {
    const node = this.nodes.get(nodeId);
    if (!node || node.revoked) return [];
    const set: ProbeAssignment[] = [];
    for (const d of this.probes) {
      if (!this.runnable(d) || set.length >= MAX_PROBES_PER_AGENT) continue;
      const selector = d.vantage.selector ? Object.entries(d.vantage.selector) : null;
      if (d.vantage.nodeIds.includes(nodeId) || (selector && hasLabels(node.labels, selector)))
        set.push(assignmentOf(d));
    }
    return set;
  }

  private masterSet(): ProbeAssignment[] {
    return this.probes.filter((d) => this.runnable(d) && d.vantage.master).map(assignmentOf);
  }

  private sendSet(nodeId: string): void {
    const set = this.setFor(nodeId);
    const key = JSON.stringify(set);
    const sent = this.connected.get(nodeId);
    if (sent === key) return;
    // A freshly connected agent runs nothing: an empty set need not be sent (most fleets have no probes).
    if (sent === null && set.length === 0) {
      this.connected.set(nodeId, key);
      this.assigned.set(nodeId, new Set());
      return;
    }
    this.assigned.set(nodeId, new Set(set.map((p) => p.id)));
    if (this.deps.send(nodeId, { type: 'probe-set', probes: set })) this.connected.set(nodeId, key);
  }

  /** Reloads definitions and nodes, then sends every connected vantage point its set if it changed. */
  private refresh(_first: boolean): Promise<void> {
    // One after the other, and one waiting at most: a change during a load is loaded again after it,
    // never skipped, and a thousand agents connecting at once cost one more load, not a thousand.
    if (this.queued) return this.queued;
    const run = this.chain.then(() => {
      this.queued = null;
      return this.load();
    });
    this.queued = run;
    this.chain = run.catch((err) => this.deps.log.warn({ err }, 'could not load probes'));
    return run;
  }

  private async load(): Promise<void> {
    const version = await this.definitions.version();
    const [probes, nodes] = await Promise.all([this.definitions.list(), this.deps.nodes.list()]);
    this.version = version;
    this.probes = probes;
    this.warnUnopened(probes);
    this.nodes = new Map(nodes.map((n) => [n.id, n]));
    this.vantageCache.clear();
    const known = new Set(probes.map((p) => p.id));
    for (const id of [...this.latest.keys()]) {
      if (!known.has(id)) {
        this.latest.delete(id);
        this.states.delete(id);
        this.rollups.forget(id);
      }
    }
    for (const nodeId of this.connected.keys()) this.sendSet(nodeId);
    this.masterRunner?.set(this.masterSet());
  }

  private warnUnopened(probes: readonly ProbeDefinition[]): void {
    for (const d of probes) {
      if (!d.headersUnavailable) {
        this.unopened.delete(d.id);
      } else if (!this.unopened.has(d.id)) {
        this.unopened.add(d.id);
        this.deps.log.warn(
          { probeId: d.id },
          'this instance cannot open the probe’s header values (it does not hold the cluster key): its vantage points here do not run it',
        );
      }
    }
  }

  private async checkVersion(): Promise<void> {
    // Header values that did not open are tried again once the key is here (its file copied in).
    const retry = this.unopened.size > 0 && this.deps.key?.ready === true;
    if (retry || (await this.definitions.version()) !== this.version) await this.refresh(false);
  }

  /** A definition changed on this instance: the others see the version move within configCheckMs. */
  changed(): Promise<void> {
    return this.refresh(false);
  }

  // ---- results ----------------------------------------------------------------------------------

  /**
   * Shared mode: each vantage point is connected to one instance, but the leader decides every
   * probe's quorum and any instance may be asked for a probe's view. So results taken here are told
   * to the others, which add them to their live state; the rollups are written by the instance that
   * took them only, so nothing is counted twice.
   */
  shareResults(peers: PeerChannel): void {
    this.peers = peers;
    peers.on(SHARED_RESULTS, (data) => {
      const parsed = SharedResults.safeParse(data);
      if (!parsed.success) {
        this.deps.log.warn(
          { issues: parsed.error.issues.length },
          'ignored malformed probe results from another instance',
        );
        return;
      }
      const { vantage, at, results } = parsed.data;
      for (const result of results) this.keepLatest(vantage, result, at);
    });
  }

  /**
   * Results from one vantage point. A node speaks only for the probes it was given; times are the
   * master's (receipt), so an agent's clock cannot make a result fresh or stale.
   */
  ingest(vantage: string, results: readonly ProbeResult[]): void {
    const allowed = vantage === MASTER_VANTAGE ? null : this.assigned.get(vantage);
    if (vantage !== MASTER_VANTAGE && !allowed) return;
    const at = this.now();
    const taken: ProbeResult[] = [];
    for (const result of results) {
      if (allowed && !allowed.has(result.id)) continue;
      this.keepLatest(vantage, result, at);
      this.rollups.add(vantage, { ...result, at });
      taken.push(result);
    }
    if (this.peers && taken.length > 0) this.peers.send(SHARED_RESULTS, { vantage, at, results: taken });
  }

  /** The vantage point's newest result of a probe (one told late by another instance does not win). */
  private keepLatest(vantage: string, result: ProbeResult, at: number): void {
    let byVantage = this.latest.get(result.id);
    if (!byVantage) {
      byVantage = new Map();
      this.latest.set(result.id, byVantage);
    }
    const known = byVantage.get(vantage);
    if (known && known.at > at) return;
    const { id: _id, ...latest } = { ...result, at };
    byVantage.set(vantage, latest);
    this.dirty.add(result.id);
  }

  // ---- the verdict ------------------------------------------------------------------------------

  private async loadStates(): Promise<void> {
    const rows = await this.deps.db
      .selectFrom('probe_events as e')
      .select(['e.probe_id', 'e.state', 'e.at'])
      .where('e.id', 'in', (eb) =>
        eb
          .selectFrom('probe_events as l')
          .select((x) => x.fn.max('l.id').as('id'))
          .groupBy('l.probe_id'),
      )
      .execute();
    for (const row of rows) {
      if (!this.states.has(row.probe_id)) {
        this.states.set(row.probe_id, { recorded: row.state, since: Number(row.at), downSince: null });
      }
    }
  }

  private quorumOf(d: ProbeDefinition) {
    const prior = this.states.get(d.id) ?? { recorded: null, since: null, downSince: null };
    return evaluateQuorum(
      { ...d, vantages: this.vantagesOf(d), latest: this.latest.get(d.id) ?? new Map() },
      prior,
      this.now(),
    );
  }

  /** Once a second on the leader: every enabled probe's verdict; changes are recorded together. */
  private async evaluate(): Promise<void> {
    if (!this.leader || this.evaluating) return;
    this.evaluating = true;
    try {
      const changes: Array<{ probe_id: string; state: 'up' | 'down'; at: number; reason: string }> = [];
      const next = new Map<string, QuorumState>();
      for (const d of this.probes) {
        if (!d.enabled) continue;
        const outcome = this.quorumOf(d);
        next.set(d.id, outcome.state);
        if (outcome.change) {
          changes.push({ probe_id: d.id, state: outcome.change.state, at: this.now(), reason: outcome.change.reason });
        }
        const live = `${outcome.live}|${outcome.downCount}`;
        if (this.lastLive.get(d.id) !== live) {
          this.lastLive.set(d.id, live);
          this.dirty.add(d.id);
        }
      }
      if (changes.length > 0) await this.deps.db.insertInto('probe_events').values(changes).execute();
      // Only after the commit: a failed insert is decided again next tick.
      for (const [id, state] of next) this.states.set(id, state);
      for (const id of this.dirty) {
        const d = this.probes.find((p) => p.id === id);
        if (d) this.deps.bus.emit('probeState', this.view(d));
      }
      this.dirty.clear();
    } finally {
      this.evaluating = false;
    }
  }

  // ---- reads ------------------------------------------------------------------------------------

  view(d: ProbeDefinition): ProbeView {
    const outcome = this.quorumOf(d);
    const latest = this.latest.get(d.id);
    const now = this.now();
    const vantages: VantageView[] = this.vantagesOf(d).map((v) => {
      const l = latest?.get(v);
      return {
        vantage: v,
        name: v === MASTER_VANTAGE ? 'master' : (this.nodes.get(v)?.name ?? v),
        fresh: isFresh(l, d.intervalSec, d.timeoutMs, now),
        ok: l?.ok ?? null,
        at: l?.at ?? null,
        latencyMs: l?.latencyMs ?? null,
        error: l?.error ?? null,
        certDaysLeft: l?.certDaysLeft ?? null,
        certValid: l?.certValid ?? null,
      };
    });
    const recorded = this.states.get(d.id);
    return {
      id: d.id,
      name: d.name,
      enabled: d.enabled,
      target: maskedTarget(d.target),
      intervalSec: d.intervalSec,
      timeoutMs: d.timeoutMs,
      vantage: d.vantage,
      quorum: d.quorum,
      forSec: d.forSec,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
      state: d.enabled ? outcome.live : 'unknown',
      since: recorded?.since ?? null,
      downCount: outcome.downCount,
      needed: outcome.needed,
      vantages,
    };
  }

  async list(): Promise<ProbeView[]> {
    await this.chain;
    return this.probes.map((d) => this.view(d));
  }

  async get(id: string): Promise<ProbeView> {
    await this.chain;
    const d = this.probes.find((p) => p.id === id) ?? (await this.definitions.get(id));
    return this.view(d);
  }

  /** Every probe's view now, from memory (the alert engine's probe kinds read it every second). */
  views(): ProbeView[] {
    return this.probes.map((d) => this.view(d));
  }

  /** Live results per probe and vantage point (memory), for other parts (alerts, the status page). */
  liveState(probeId: string): ProbeView | null {
    const d = this.probes.find((p) => p.id === probeId);
    return d ? this.view(d) : null;
  }

  get timeZone(): string {
    return this.deps.calendar.timeZone;
  }

  /**
   * Uptime of probes (null: all) over a period (24 hourly bars, 30 or 90 local days) or the last `days`
   * days: the bars and the period's ratio, downtime and distinct outages.
   */
  async uptime(
    probeIds: string[] | null,
    period: UptimePeriod | undefined,
    days: number,
  ): Promise<{ unit: 'day' | 'hour'; probes: Map<string, UptimeFoldResult> }> {
    const now = this.now();
    const ranges = period ? periodRanges(period, now, this.deps.calendar) : probeDays(now, days, this.deps.calendar);
    const read = await readProbeUptimeWindows(this.deps.db, probeIds, [ranges], now);
    const probes = new Map<string, UptimeFoldResult>();
    for (const [id, [r]] of read) if (r) probes.set(id, r);
    return { unit: period === '24h' ? 'hour' : 'day', probes };
  }

  /** Daily uptime of probes (null: all) over the last `days` days of the billing calendar. */
  async uptimeDays(probeIds: string[] | null, days: number): Promise<Map<string, DayUptime[]>> {
    const now = this.now();
    return readProbeUptime(this.deps.db, probeIds, probeDays(now, days, this.deps.calendar), now);
  }

  /** Rollups past retention (the leader's job, with the node rollups' horizons). */
  expire(): Promise<number> {
    const now = this.now();
    return this.rollups.expire({
      minute: now - this.options.minutesRetentionMs,
      hour: now - this.options.hoursRetentionMs,
    });
  }
}
