// Audit retention, a maintenance service of the leader (hourly, like the other retention jobs):
// deletes the oldest entries past the retention, 1,000 a transaction, always a prefix of the chain,
// and moves the chain's anchor to the newest deleted entry's hash in the same transaction, so
// `audit verify` still verifies what is kept (from the anchor on).
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';
import type { Dialect } from './chain.js';

export class AuditRetention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly keepMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(intervalMs = 3_600_000): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((err) => this.log.warn({ err }, 'audit retention failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Returns how many entries were deleted. */
  async runOnce(): Promise<number> {
    const horizon = this.now() - this.keepMs;
    let deleted = 0;
    for (;;) {
      const n = await this.pruneBatch(horizon);
      deleted += n;
      if (n < 1_000) return deleted;
    }
  }

  private pruneBatch(horizon: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      // The head row's lock orders this with appends on every master.
      let head = trx.selectFrom('audit_chain').selectAll().where('id', '=', 1);
      if (this.dialect === 'mariadb') head = head.forUpdate();
      const chain = await head.executeTakeFirst();
      if (!chain) return 0;
      const oldest = await trx
        .selectFrom('audit_log')
        .select(['seq', 'at', 'hash'])
        .where('seq', '>', chain.anchor_seq)
        .orderBy('seq')
        .limit(1_000)
        .execute();
      // A prefix only: the first entry inside the retention ends it (clocks of masters may differ).
      const end = oldest.findIndex((row) => Number(row.at) >= horizon);
      const prune = end === -1 ? oldest : oldest.slice(0, end);
      const last = prune.at(-1);
      if (!last) return 0;
      await trx.deleteFrom('audit_log').where('seq', '<=', last.seq).execute();
      await trx
        .updateTable('audit_chain')
        .set({ anchor_seq: Number(last.seq), anchor_hash: last.hash })
        .where('id', '=', 1)
        .execute();
      return prune.length;
    });
  }
}
