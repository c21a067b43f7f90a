// This instance's place among the masters sharing a database: its instance row, the leader lease,
// the event relay, the poll for commands other instances queued for its agents, and the singleton
// jobs that run only while it leads. On SQLite there is one instance, always the leader, and no relay
// or poll.
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { Db } from '../store/schema.js';
import { EventRelay, type PeerChannel } from './event-relay.js';
import { type InstanceInfo, InstanceRegistry } from './instances.js';
import { DEFAULT_LEASE_TIMINGS, LeaderLease, type LeaseTimings } from './leader-lease.js';
import { DEFAULT_PENDING_POLL_MS, PendingCommandsPoll, type PendingCommandsTarget } from './pending-poll.js';
import { DEFAULT_WAKEUP_WATCH_MS, WakeupSender, WakeupWatch } from './wakeups.js';

/** A job only the leader runs. */
export interface SingletonJob {
  name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/**
 * A job exactly one instance runs under a lease of its own (the reverse tunnels), among the full
 * instances that are `eligible` (hold what it needs); on SQLite the one instance runs it.
 */
export interface LeasedJob extends SingletonJob {
  eligible: () => boolean;
}

export interface ClusterOptions {
  shared: boolean;
  self: InstanceInfo;
  lease?: Partial<LeaseTimings>;
  /**
   * Shared mode: the queue that dispatches commands queued on other instances for agents here; how
   * often it looks (`pollMs`, 100 ms) and whether instances wake each other when they queue commands
   * for each other's nodes (`wakeups`, on; `wakeupWatchMs`, 10 ms).
   */
  pendingCommands?: { queue: PendingCommandsTarget; pollMs?: number; wakeups?: boolean; wakeupWatchMs?: number };
}

export class Cluster {
  readonly instances: InstanceRegistry;
  private readonly lease: LeaderLease | null;
  private readonly relay: EventRelay | null;
  private readonly pendingPoll: PendingCommandsPoll | null;
  private readonly wakeupWatch: WakeupWatch | null;
  /** Shared mode: wakes the instances holding nodes this one queued commands for. */
  readonly wakeups: WakeupSender | null;
  private readonly jobs: SingletonJob[] = [];
  private readonly leased: Array<{ job: LeasedJob; lease: LeaderLease | null; running: boolean }> = [];
  private readonly deadInstanceHandlers: Array<(ids: string[]) => Promise<unknown>> = [];
  private leading = false;
  private housekeeping: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'mariadb',
    bus: EventBus,
    private readonly registry: NodeRegistry,
    private readonly options: ClusterOptions,
    private readonly log: Logger,
  ) {
    this.instances = new InstanceRegistry(db, options.self, log);
    const canLead = options.shared && options.self.role === 'full';
    this.lease = canLead
      ? new LeaderLease(db, dialect, options.self.id, (leader) => void this.setLeading(leader), log, {
          ...DEFAULT_LEASE_TIMINGS,
          ...options.lease,
        })
      : null;
    this.relay = options.shared ? new EventRelay(db, bus, options.self.id, log) : null;
    const pending = options.pendingCommands;
    this.pendingPoll =
      options.shared && pending
        ? new PendingCommandsPoll(db, options.self.id, pending.queue, log, pending.pollMs ?? DEFAULT_PENDING_POLL_MS)
        : null;
    const poll = this.pendingPoll;
    const wakeups = poll !== null && pending?.wakeups !== false;
    this.wakeups = wakeups ? new WakeupSender(db, options.self.id, log) : null;
    this.wakeupWatch =
      wakeups && poll
        ? new WakeupWatch(
            db,
            options.self.id,
            () => poll.wake(),
            log,
            pending?.wakeupWatchMs ?? DEFAULT_WAKEUP_WATCH_MS,
          )
        : null;
  }

  /** Shared mode: messages between the instances' parts (event-relay.ts); null on SQLite. */
  get peers(): PeerChannel | null {
    return this.relay;
  }

  get isShared(): boolean {
    return this.options.shared;
  }

  get isLeader(): boolean {
    if (this.options.self.role === 'console') return false;
    return this.lease ? this.lease.isLeader : true;
  }

  addSingleton(job: SingletonJob): void {
    this.jobs.push(job);
  }

  /** Registered before `start`. */
  addLeased(job: LeasedJob): void {
    const entry = { job, lease: null as LeaderLease | null, running: false };
    const toggle = (run: boolean) => void this.runLeased(entry, run);
    if (this.options.shared && this.options.self.role === 'full') {
      entry.lease = new LeaderLease(
        this.db,
        this.dialect,
        this.options.self.id,
        toggle,
        this.log,
        { ...DEFAULT_LEASE_TIMINGS, ...this.options.lease },
        { name: job.name, eligible: job.eligible },
      );
    }
    this.leased.push(entry);
  }

  /** What the leader does about instances found dead (beside releasing their nodes). */
  onDeadInstances(handler: (ids: string[]) => Promise<unknown>): void {
    this.deadInstanceHandlers.push(handler);
  }

  private async runLeased(entry: { job: LeasedJob; running: boolean }, run: boolean): Promise<void> {
    if (entry.running === run) return;
    entry.running = run;
    try {
      await (run ? entry.job.start() : entry.job.stop());
    } catch (err) {
      this.log.error(
        { err, job: entry.job.name },
        run ? 'could not start a leased job' : 'could not stop a leased job',
      );
    }
  }

  async start(): Promise<void> {
    await this.instances.start();
    await this.relay?.start();
    this.pendingPoll?.start();
    this.wakeupWatch?.start();
    if (this.options.self.role === 'console') return;
    if (this.lease) await this.lease.start();
    else await this.setLeading(true);
    for (const entry of this.leased) {
      if (entry.lease) await entry.lease.start();
      else if (!this.options.shared) await this.runLeased(entry, true);
    }
  }

  async stop(): Promise<void> {
    for (const entry of this.leased) {
      await entry.lease?.stop();
      await this.runLeased(entry, false);
    }
    await this.setLeading(false);
    await this.lease?.stop();
    await this.relay?.stop();
    this.pendingPoll?.stop();
    this.wakeupWatch?.stop();
    await this.wakeups?.flush();
    await this.instances.stop();
  }

  async leaderId(): Promise<string | null> {
    if (!this.options.shared) return this.options.self.id;
    const row = await this.db.selectFrom('leases').selectAll().where('name', '=', 'leader').executeTakeFirst();
    return row && Number(row.expires_at) > Date.now() - 1_000 ? row.holder : null;
  }

  private async setLeading(leading: boolean): Promise<void> {
    if (leading === this.leading) return;
    this.leading = leading;
    for (const job of this.jobs) {
      try {
        await (leading ? job.start() : job.stop());
      } catch (err) {
        this.log.error(
          { err, job: job.name },
          leading ? 'could not start a leader job' : 'could not stop a leader job',
        );
      }
    }
    if (leading && this.options.shared) {
      this.housekeeping = setInterval(() => void this.houseKeep(), 5_000);
      this.housekeeping.unref();
    } else if (this.housekeeping) {
      clearInterval(this.housekeeping);
      this.housekeeping = null;
    }
  }

  /** Leader only: nodes of instances that died are offline; relayed events age out. */
  private async houseKeep(): Promise<void> {
    try {
      const dead = await this.instances.deadInstanceIds();
      if (dead.length > 0) {
        await this.registry.releaseNodesOf(dead, 'its master instance stopped');
        for (const handler of this.deadInstanceHandlers) await handler(dead);
      }
      await this.relay?.prune();
    } catch (err) {
      this.log.warn({ err }, 'cluster housekeeping failed');
    }
  }
}
