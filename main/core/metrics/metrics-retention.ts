// Deletes rollups past their tier's retention, a bounded slice per statement so a large fleet's
// expiry never holds the database (or, with SQLite, the event loop) for long.
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';
import { DAY_MS, type DayCalendar, HOUR_MS, MINUTE_MS } from './calendar.js';

export interface MetricsRetention {
  minutesMs: number;
  hoursMs: number;
  daysMs: number;
}

export const DEFAULT_METRICS_RETENTION: MetricsRetention = {
  minutesMs: 48 * HOUR_MS,
  hoursMs: 90 * DAY_MS,
  daysMs: 730 * DAY_MS,
};

async function deleteOlder(db: Db, table: 'metric_minutes' | 'metric_hours', horizon: number, sliceMs: number) {
  let deleted = 0;
  for (;;) {
    const oldest = await db.selectFrom(table).select('bucket').orderBy('bucket').limit(1).executeTakeFirst();
    if (!oldest || oldest.bucket >= horizon) return deleted;
    const result = await db
      .deleteFrom(table)
      .where('bucket', '<', Math.min(horizon, oldest.bucket + sliceMs))
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
  }
}

export class MetricsRetentionJob {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly keep: MetricsRetention,
    private readonly calendar: DayCalendar,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(intervalMs = 600_000): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((err) => this.log.warn({ err }, 'metrics retention cleanup failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async runOnce(): Promise<{ minutes: number; hours: number; days: number }> {
    const now = this.now();
    const minutes = await deleteOlder(this.db, 'metric_minutes', now - this.keep.minutesMs, MINUTE_MS);
    const hours = await deleteOlder(this.db, 'metric_hours', now - this.keep.hoursMs, HOUR_MS);
    const result = await this.db
      .deleteFrom('traffic_days')
      .where('day', '<', this.calendar.dayOf(now - this.keep.daysMs))
      .executeTakeFirst();
    // Spool replays happen within minutes of an outage; a day of idempotency keys is plenty.
    await this.db
      .deleteFrom('spool_applied')
      .where('applied_at', '<', now - DAY_MS)
      .execute();
    return { minutes, hours, days: Number(result.numDeletedRows) };
  }
}
