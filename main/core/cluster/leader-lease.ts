// One leader among the instances sharing a database: a lease row renewed every few seconds. Only the
// leader runs singleton jobs (schedules, expiry sweeps, retention). An instance that cannot renew
// demotes itself before its lease can have expired, so two leaders never act at once for long, and
// scheduled runs are unique per tick in the database as the last line of defence. The same lease,
// under another name, decides which instance keeps the reverse tunnels open (`tunnels`).
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';
import { databaseNow } from './db-clock.js';

export interface LeaseTimings {
  renewMs: number;
  ttlMs: number;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { renewMs: 5_000, ttlMs: 15_000 };

export interface LeaseScope {
  /** The lease row's name (default `leader`). */
  name?: string;
  /** Whether this instance may hold it now; one that may not gives it up at its next renewal. */
  eligible?: () => boolean;
}

export class LeaderLease {
  private timer: NodeJS.Timeout | null = null;
  private leader = false;
  /** Local monotonic deadline after which we must stop acting, whatever the database says. */
  private actUntil = 0;

  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'mariadb',
    private readonly instanceId: string,
    private readonly onChange: (leader: boolean) => void,
    private readonly log: Logger,
    private readonly timings: LeaseTimings = DEFAULT_LEASE_TIMINGS,
    private readonly scope: LeaseScope = {},
  ) {}

  private get name(): string {
    return this.scope.name ?? 'leader';
  }

  get isLeader(): boolean {
    return this.leader && performance.now() < this.actUntil;
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.timings.renewMs);
    this.timer.unref();
  }

  /** Stops renewing and gives the lease up so another instance takes over at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.leader) await this.giveUp();
  }

  private async giveUp(): Promise<void> {
    this.setLeader(false);
    await this.db
      .deleteFrom('leases')
      .where('name', '=', this.name)
      .where('holder', '=', this.instanceId)
      .execute()
      .catch(() => undefined);
  }

  private async tick(): Promise<void> {
    const started = performance.now();
    if (this.scope.eligible && !this.scope.eligible()) {
      if (this.leader) await this.giveUp();
      return;
    }
    try {
      const now = await databaseNow(this.db, this.dialect);
      const expires = now + this.timings.ttlMs;
      await this.db
        .updateTable('leases')
        .set({ holder: this.instanceId, expires_at: expires })
        .where('name', '=', this.name)
        .where((eb) => eb.or([eb('holder', '=', this.instanceId), eb('expires_at', '<', now)]))
        .execute();
      const row = await this.db.selectFrom('leases').selectAll().where('name', '=', this.name).executeTakeFirst();
      if (!row) {
        await this.db
          .insertInto('leases')
          .values({ name: this.name, holder: this.instanceId, expires_at: expires })
          .execute()
          .catch(() => undefined);
        return this.tick();
      }
      const mine = row.holder === this.instanceId && Number(row.expires_at) > now;
      // Act only until a safety margin before the lease could expire, counted from before the renewal.
      if (mine) this.actUntil = started + this.timings.ttlMs - this.timings.renewMs;
      this.setLeader(mine);
    } catch (err) {
      this.log.warn({ err }, 'could not renew the leader lease');
      if (this.leader && performance.now() >= this.actUntil) this.setLeader(false);
    }
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.log.info(
      { instanceId: this.instanceId, lease: this.name, holder: leader },
      this.name === 'leader'
        ? leader
          ? 'this instance is now the leader'
          : 'this instance is no longer the leader'
        : `this instance ${leader ? 'now holds' : 'no longer holds'} the ${this.name} lease`,
    );
    this.onChange(leader);
  }
}
