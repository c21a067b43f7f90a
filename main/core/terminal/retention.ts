// Deletes terminal sessions and their recordings past retention, once an hour (the leader runs it).
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';
import { pruneSessions } from './history.js';

export class TerminalRetention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly keepMs: number,
    private readonly log: Logger,
  ) {}

  start(intervalMs = 3_600_000): void {
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async runOnce(): Promise<number> {
    return pruneSessions(this.db, Date.now() - this.keepMs).catch((err) => {
      this.log.warn({ err }, 'terminal recording retention failed');
      return 0;
    });
  }
}
