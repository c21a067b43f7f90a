// One leader among the instances sharing a database: a lease row renewed every few seconds. Only the
// leader runs singleton jobs (schedules, expiry sweeps, retention). An instance that cannot renew
// demotes itself before its lease can have expired, so two leaders never act at once for long, and
// scheduled runs are unique per tick in the database as the last line of defence.
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';
import { databaseNow } from './db-clock.js';

export interface LeaseTimings {
  renewMs: number;
  ttlMs: number;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { renewMs: 5_000, ttlMs: 15_000 };
const LEASE = 'leader';

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
  ) {}

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
    if (this.leader) {
      this.setLeader(false);
      await this.db
        .deleteFrom('leases')
        .where('name', '=', LEASE)
        .where('holder', '=', this.instanceId)
        .execute()
        .catch(() => undefined);
    }
  }

  private async tick(): Promise<void> {
    const started = performance.now();
    try {
      const now = await databaseNow(this.db, this.dialect);
      const expires = now + this.timings.ttlMs;
      await this.db
        .updateTable('leases')
        .set({ holder: this.instanceId, expires_at: expires })
        .where('name', '=', LEASE)
        .where((eb) => eb.or([eb('holder', '=', this.instanceId), eb('expires_at', '<', now)]))
        .execute();
      const row = await this.db.selectFrom('leases').selectAll().where('name', '=', LEASE).executeTakeFirst();
      if (!row) {
        await this.db
          .insertInto('leases')
          .values({ name: LEASE, holder: this.instanceId, expires_at: expires })
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
      { instanceId: this.instanceId, leader },
      leader ? 'this instance is now the leader' : 'this instance is no longer the leader',
    );
    this.onChange(leader);
  }
}
