// Deletes finished commands and task runs past retention, in small batches, once an hour; and
// idempotency keys past their 24 h.
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';
import { IDEMPOTENCY_WINDOW_MS } from './idempotency.js';

export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly keepMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(intervalMs = 3_600_000): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((err) => this.log.warn({ err }, 'retention cleanup failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Returns how many commands were deleted. */
  async runOnce(): Promise<number> {
    const horizon = this.now() - this.keepMs;
    let deleted = 0;
    for (;;) {
      const ids = (
        await this.db
          .selectFrom('commands')
          .select('id')
          .where('finished_at', '<', horizon)
          .where('id', 'not in', (eb) => eb.selectFrom('command_inflight').select('command_id'))
          .limit(1_000)
          .execute()
      ).map((r) => r.id);
      if (ids.length === 0) break;
      await this.db.deleteFrom('commands').where('id', 'in', ids).execute();
      deleted += ids.length;
    }
    await this.db
      .deleteFrom('task_runs')
      .where('finished_at', '<', horizon)
      .where('id', 'not in', (eb) =>
        eb.selectFrom('commands').select('task_run_id').where('task_run_id', 'is not', null),
      )
      .execute();
    await this.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<=', this.now() - IDEMPOTENCY_WINDOW_MS)
      .execute();
    return deleted;
  }
}
