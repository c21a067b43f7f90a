// The master's metrics: accounts each sample against the node's baseline, keeps the live state in
// memory (latest snapshot and a bounded ring), emits a coalesced ≈1 Hz event, and flushes rollups with
// their baselines in batched transactions.
import type { MetricSample, MetricsMessage } from '../../../agent/protocol.js';
import {
  type LiveMetrics,
  type LiveSnapshot,
  METRICS_EVENT_NODES,
  type NodeLive,
} from '../../contract/metrics-schemas.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import { retryWithBackoff } from '../retry.js';
import type { Db } from '../store/schema.js';
import { type AccountingLimits, account, type Baseline, DEFAULT_LIMITS } from './accounting.js';
import { Adoption } from './adoption.js';
import { DayCalendar } from './calendar.js';
import { LiveRing } from './live-ring.js';
import { RollupBuffer } from './rollup-buffer.js';
import { partCount, writeRollups } from './rollup-writer.js';
import { anchoredTimes } from './sample-time.js';
import { Serial } from './serial.js';
import { headlineOf, ringPointOf, snapshotOf } from './snapshot.js';
import { MetricsSpool } from './spool.js';

/** Rollups unwritten for longer than this many flush intervals (and `stuckAfterMs`) mark the master unhealthy. */
const STUCK_AFTER_FLUSHES = 6;

export interface MetricsWriteHealth {
  oldestUnwrittenAt: number | null;
  oldestAgeSec: number | null;
  stuck: boolean;
  rowsSetAside: number;
}

export interface MetricsOptions {
  flushIntervalMs: number;
  /** Shared mode: spool batches here before the database (see spool.ts), keyed by this instance. */
  spool: { file: string; instanceId: string } | null;
  billingDay: number;
  billingTimeZone: string;
  limits: AccountingLimits;
  /** Rollups unwritten for longer than this (and six flush intervals) make health answer 503. */
  stuckAfterMs: number;
}

export const DEFAULT_METRICS_OPTIONS: MetricsOptions = {
  flushIntervalMs: 10_000,
  spool: null,
  billingDay: 1,
  billingTimeZone: 'UTC',
  limits: DEFAULT_LIMITS,
  stuckAfterMs: 120_000,
};

interface NodeState {
  baseline: Baseline | null;
  cores: number[][] | null;
  ring: LiveRing | null;
  latest: LiveMetrics['latest'];
  headline: NodeLive | null;
  /** Bytes accounted since this master started, for Prometheus counters. */
  rxTotal: number;
  txTotal: number;
}

export class MetricsService {
  readonly options: MetricsOptions;
  readonly calendar: DayCalendar;
  readonly buffer = new RollupBuffer();
  readonly serial = new Serial();
  private readonly spool: MetricsSpool | null;
  private readonly nodes = new Map<string, NodeState>();
  private readonly changed = new Set<string>();
  /** Latest headlines of nodes served by other instances. */
  private readonly remote = new Map<string, NodeLive>();
  /** Shared mode: nodes whose baseline is being read; their samples wait (adoption.ts). */
  private readonly adoptions = new Map<string, Adoption>();
  /** Shared mode: each node's latest adopt or release; an older one finishing later must not undo it. */
  private readonly claims = new Map<string, object>();
  private stopping = false;
  private timers: NodeJS.Timeout[] = [];
  private queuedFlush: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Sees every accounted sample of the nodes reporting here (alert evaluation); must be quick. */
  onSnapshot: ((nodeId: string, snapshot: LiveSnapshot) => void) | null = null;
  /** Rollup flushes run since start (each a spool append and a database write when there is data). */
  flushes = 0;
  samplesIngested = 0;
  deltasRejected = 0;
  /** Rollup rows the database refused for their data, set aside (logged) so the rest were written. */
  rowsSetAside = 0;
  /** Without a spool: when the oldest rollups not yet in the database were taken from the buffer. */
  private unwrittenSince: number | null = null;

  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'mariadb',
    private readonly bus: EventBus,
    private readonly log: Logger,
    options: Partial<MetricsOptions> = {},
  ) {
    this.options = { ...DEFAULT_METRICS_OPTIONS, ...options };
    this.calendar = new DayCalendar(this.options.billingTimeZone);
    this.spool = this.options.spool ? new MetricsSpool(this.options.spool.file, log) : null;
  }

  /** Loads the persisted baselines so traffic moved while the master was down is counted. */
  async start(): Promise<void> {
    this.spool?.load();
    await this.loadBaselines(null);
    // Spooled batches not yet in the database carry newer baselines than the database has.
    for (const entry of this.spool?.pending() ?? []) {
      for (const { nodeId, baseline } of entry.batch.baselines) {
        const state = this.state(nodeId);
        // An entry already applied (the process died before trimming) is older than the database.
        if (!state.baseline || baseline.t > state.baseline.t) state.baseline = baseline;
      }
    }
    // Shared mode: headlines of nodes on other instances arrive as relayed events.
    if (this.spool) {
      this.unsubscribe = this.bus.subscribe((message) => {
        if (message.event !== 'metrics') return;
        for (const h of message.data.nodes) if (!this.nodes.get(h.nodeId)?.latest) this.remote.set(h.nodeId, h);
      });
    }
    const flush = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    const tick = setInterval(() => this.emitTick(), 1_000);
    flush.unref();
    tick.unref();
    this.timers = [flush, tick];
  }

  /** Graceful stop: everything accounted so far is written. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.unsubscribe?.();
    await this.flush();
  }

  private async loadBaselines(nodeId: string | null): Promise<void> {
    for (const [id, baseline] of await this.storedBaselines(nodeId)) this.state(id).baseline = baseline;
  }

  private async storedBaselines(nodeId: string | null): Promise<Map<string, Baseline>> {
    let query = this.db.selectFrom('metric_baselines').selectAll();
    if (nodeId !== null) query = query.where('node_id', '=', nodeId);
    const found = new Map<string, Baseline>();
    for (const row of await query.execute()) {
      const counters = JSON.parse(row.counters) as Pick<Baseline, 'net' | 'diskIo' | 'cpu' | 'at'>;
      found.set(row.node_id, {
        bootId: row.boot_id,
        uptimeSec: Number(row.uptime_sec),
        t: Number(row.sampled_at),
        net: counters.net,
        diskIo: counters.diskIo,
        cpu: counters.cpu,
        // The master's clock of the sample (bounds the next capacity check); absent before 2026-12.
        ...(typeof counters.at === 'number' ? { at: counters.at } : {}),
      });
    }
    return found;
  }

  /**
   * Shared mode: an agent connected here may have been on another instance a moment ago; its
   * baseline in the database (written by that instance when the agent left) is the one to count from.
   * Samples arriving before the read returns wait for it; a failed read (database outage) is retried
   * until it succeeds or the agent leaves. Never rejects.
   */
  async adopt(nodeId: string): Promise<void> {
    this.remote.delete(nodeId);
    const adoption = new Adoption();
    this.adoptions.set(nodeId, adoption);
    this.claims.set(nodeId, adoption);
    try {
      await retryWithBackoff(() => this.serial.run(() => this.settleAdoption(nodeId, adoption)), {
        maxDelayMs: 5_000,
        jitter: true,
        keepTrying: () => !this.stopping && this.adoptions.get(nodeId) === adoption,
        onRetry: (err, attempt) => {
          if (attempt % 20 === 1) {
            this.log.warn({ err, nodeId, attempt }, 'could not read the metrics baseline; holding samples, retrying');
          }
        },
      });
    } catch {
      // Released, adopted again or stopping meanwhile: that call decides the node's baseline.
    }
  }

  /** On the serial lane, so no flush moves the node's baseline between the read and the choice. */
  private async settleAdoption(nodeId: string, adoption: Adoption): Promise<void> {
    if (this.adoptions.get(nodeId) !== adoption) return;
    const stored = (await this.storedBaselines(nodeId)).get(nodeId) ?? null;
    if (this.adoptions.get(nodeId) !== adoption) return;
    this.adoptions.delete(nodeId);
    const state = this.state(nodeId);
    // This instance's own unwritten batches are newer than the database when the node comes back.
    state.baseline = newest([stored, this.buffer.baselineOf(nodeId), this.spooledBaseline(nodeId)]);
    for (const h of adoption.held) this.ingestOne(nodeId, state, h.sample, h.t, h.intervalMs);
    if (adoption.held.length > 0) this.changed.add(nodeId);
  }

  private spooledBaseline(nodeId: string): Baseline | null {
    const entries = this.spool?.pending() ?? [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const found = entries[i]?.batch.baselines.find((b) => b.nodeId === nodeId);
      if (found) return found.baseline;
    }
    return null;
  }

  /**
   * Shared mode: the agent left; write what it reported and stop counting it here. Agents that
   * leave together (a network blip, a restart elsewhere) share one flush, not one each.
   */
  async release(nodeId: string): Promise<void> {
    // Samples still held were never counted; the next adopter counts their bytes from the stored baseline.
    this.adoptions.delete(nodeId);
    const claim = {};
    this.claims.set(nodeId, claim);
    await this.sharedFlush();
    // The agent came back (here) meanwhile: its new connection owns the node's state now.
    if (this.claims.get(nodeId) !== claim) return;
    this.claims.delete(nodeId);
    if (this.buffer.hasNode(nodeId)) return;
    this.nodes.delete(nodeId);
    this.changed.delete(nodeId);
  }

  private state(nodeId: string): NodeState {
    let s = this.nodes.get(nodeId);
    if (!s) {
      s = { baseline: null, cores: null, ring: null, latest: null, headline: null, rxTotal: 0, txTotal: 0 };
      this.nodes.set(nodeId, s);
    }
    return s;
  }

  ingest(nodeId: string, message: MetricsMessage, receivedAt = Date.now()): void {
    const adoption = this.adoptions.get(nodeId);
    const state = adoption ? null : this.state(nodeId);
    // Anchored on the master's clock, keeping the agent's (bounded) spacing between samples.
    const times = anchoredTimes(message, receivedAt);
    for (const [i, sample] of message.samples.entries()) {
      const t = times[i] as number;
      if (state) this.ingestOne(nodeId, state, sample, t, message.intervalMs);
      else adoption?.hold({ sample, t, intervalMs: message.intervalMs });
    }
    if (state) this.changed.add(nodeId);
  }

  private ingestOne(nodeId: string, state: NodeState, sample: MetricSample, t: number, intervalMs: number): void {
    const accounted = account(state.baseline, sample, this.options.limits, state.cores, t);
    if (!accounted) return;
    this.samplesIngested += 1;
    for (const r of accounted.rejected) {
      this.deltasRejected += 1;
      this.log.warn(
        { nodeId, iface: r.iface, bytes: r.bytes, limitBytes: r.limitBytes },
        'rejected an impossible traffic delta',
      );
    }
    state.baseline = accounted.baseline;
    state.cores = sample.cpu?.cores ?? null;
    state.rxTotal += accounted.net.rxBytes;
    state.txTotal += accounted.net.txBytes;
    const snapshot = snapshotOf(sample, accounted, t);
    if (!state.ring || state.ring.intervalMs !== intervalMs) state.ring = new LiveRing(intervalMs);
    state.ring.push(t, ringPointOf(snapshot));
    state.latest = snapshot;
    state.headline = headlineOf(nodeId, snapshot);
    this.onSnapshot?.(nodeId, snapshot);
    this.buffer.add(nodeId, t, this.calendar.dayOf(t), accounted, {
      cpu: snapshot.cpu?.usage ?? null,
      memUsed: snapshot.memory?.used ?? null,
      memTotal: snapshot.memory?.total ?? null,
      load1: snapshot.load?.[0] ?? null,
    });
  }

  live(nodeId: string): LiveMetrics {
    const s = this.nodes.get(nodeId);
    return {
      nodeId,
      latest: s?.latest ?? null,
      recent: s?.ring ? s.ring.toSeries() : LiveRing.empty(2_000),
    };
  }

  hasLive(nodeId: string): boolean {
    return this.nodes.get(nodeId)?.latest != null;
  }

  headlines(): NodeLive[] {
    const out: NodeLive[] = [...this.remote.values()];
    for (const s of this.nodes.values()) if (s.headline) out.push(s.headline);
    return out;
  }

  /** The headline of a node whose samples this instance ingests (never a relayed one). */
  ownHeadline(nodeId: string): NodeLive | null {
    return this.nodes.get(nodeId)?.headline ?? null;
  }

  totals(nodeId: string): { rx: number; tx: number } {
    const s = this.nodes.get(nodeId);
    return { rx: s?.rxTotal ?? 0, tx: s?.txTotal ?? 0 };
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  forget(nodeId: string): void {
    this.adoptions.delete(nodeId);
    this.claims.delete(nodeId);
    this.nodes.delete(nodeId);
    this.remote.delete(nodeId);
    this.changed.delete(nodeId);
    this.buffer.forget(nodeId);
  }

  /** One tick per second with the nodes that reported since the last one, in events of METRICS_EVENT_NODES. */
  private emitTick(): void {
    if (this.changed.size === 0) return;
    const t = Date.now();
    let nodes: NodeLive[] = [];
    for (const id of this.changed) {
      const headline = this.nodes.get(id)?.headline;
      if (!headline) continue;
      nodes.push(headline);
      if (nodes.length === METRICS_EVENT_NODES) {
        this.bus.emit('metrics', { t, nodes });
        nodes = [];
      }
    }
    this.changed.clear();
    if (nodes.length > 0) this.bus.emit('metrics', { t, nodes });
  }

  /** Writes the buffered rollups and baselines; what cannot be written now is retried next time. */
  flush(): Promise<void> {
    return this.serial.run(() => this.flushBuffer());
  }

  /** A flush queued behind the running one; callers until it starts wait for that same flush. */
  private sharedFlush(): Promise<void> {
    if (!this.queuedFlush) {
      this.queuedFlush = this.serial.run(() => {
        this.queuedFlush = null;
        return this.flushBuffer();
      });
    }
    return this.queuedFlush;
  }

  private flushBuffer(): Promise<void> {
    return this.spool ? this.flushThroughSpool(this.spool) : this.flushDirect();
  }

  private async flushDirect(): Promise<void> {
    if (this.buffer.isEmpty) return;
    this.flushes += 1;
    const batch = this.buffer.take();
    const takenAt = Date.now();
    try {
      const { failed, setAside } = await writeRollups(this.db, this.dialect, batch, this.log);
      this.rowsSetAside += setAside;
      for (const part of failed) this.buffer.restore(part);
      this.unwrittenSince = failed.length > 0 ? (this.unwrittenSince ?? takenAt) : null;
    } catch (err) {
      this.buffer.restore(batch);
      this.unwrittenSince ??= takenAt;
      this.log.warn({ err }, 'could not write metric rollups; will retry');
    }
  }

  private async flushThroughSpool(spool: MetricsSpool): Promise<void> {
    if (!this.buffer.isEmpty) {
      this.flushes += 1;
      const batch = this.buffer.take();
      try {
        await spool.append(batch);
      } catch (err) {
        // The spool's disk refused it (full, read-only): keep the batch in memory and try again.
        this.buffer.restore(batch);
        this.log.error({ err }, 'could not append metric rollups to the spool; will retry');
        return;
      }
    }
    const instanceId = this.options.spool?.instanceId as string;
    for (const entry of spool.pending()) {
      try {
        const key = { instanceId, seq: entry.seq, applied: new Set(entry.applied) };
        const { failed, applied, setAside } = await writeRollups(this.db, this.dialect, entry.batch, this.log, key);
        this.rowsSetAside += setAside;
        entry.applied.push(...applied);
        if (failed.length > 0) break;
      } catch (err) {
        this.log.warn({ err, backlog: spool.backlog.batches }, 'could not write spooled metric rollups; will retry');
        break;
      }
    }
    await spool.compact((e) => e.applied.length >= partCount(e.batch));
  }

  /** Batches waiting in the spool (shared mode), for /api/health. */
  get spoolBacklog(): { batches: number; oldestAt: number | null } | null {
    return this.spool?.backlog ?? null;
  }

  /**
   * Whether rollups reach the database: the oldest not yet written (spooled or held in memory) and
   * whether it has waited past `stuckAfterMs` — writes failing for that long need a look.
   */
  writeHealth(now = Date.now()): MetricsWriteHealth {
    const oldest = this.spool ? this.spool.backlog.oldestAt : this.unwrittenSince;
    const stuckAfterMs = Math.max(this.options.stuckAfterMs, STUCK_AFTER_FLUSHES * this.options.flushIntervalMs);
    return {
      oldestUnwrittenAt: oldest,
      oldestAgeSec: oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
      stuck: oldest !== null && now - oldest > stuckAfterMs,
      rowsSetAside: this.rowsSetAside,
    };
  }
}

/** The latest of the baselines a node may have (by sample time), or null. */
function newest(candidates: Array<Baseline | null>): Baseline | null {
  let found: Baseline | null = null;
  for (const b of candidates) if (b && (!found || b.t > found.t)) found = b;
  return found;
}
