// Shared mode: a command queued on instance A for a node whose agent is connected to B should start
// at once, not at B's next poll for pending commands (every 100 ms, which gave 123–143 ms p99). So A,
// after its enqueue commits, bumps `instances.wakeups` of the instances holding those nodes (one
// statement), and every instance reads its own counter every 10 ms (a primary-key read of one row):
// when it moved, it runs the pending poll right away. Why a signal row and not a connection between
// instances: it needs no new listener, address, credential or TLS between masters, works through
// whatever already reaches the database, and costs ≈100 point reads a second per instance; the
// database is already in the path (the command is committed there before anyone may claim it).
// The 100 ms poll stays as the fallback for everything the wake-up does not cover (retries becoming
// due, held task commands released, a wake-up lost to a database error).
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';

export const DEFAULT_WAKEUP_WATCH_MS = 10;
/** Node ids per wake-up statement. */
const WAKE_CHUNK = 1_000;

/** Bumps the wake-up counter of the instances holding nodes; wake-ups asked for meanwhile share the next statement. */
export class WakeupSender {
  private readonly waiting = new Set<string>();
  private sending: Promise<void> | null = null;
  sent = 0;

  constructor(
    private readonly db: Db,
    private readonly selfId: string,
    private readonly log: Logger,
  ) {}

  /** Nodes that got commands another instance may hold (this one does not). */
  wake(nodeIds: Iterable<string>): void {
    for (const id of nodeIds) this.waiting.add(id);
    if (this.waiting.size > 0 && !this.sending) this.sending = this.drain();
  }

  /** Resolves once every wake-up asked for so far went out (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.size > 0) {
        const ids = [...this.waiting].slice(0, WAKE_CHUNK);
        for (const id of ids) this.waiting.delete(id);
        await this.send(ids);
      }
    } finally {
      this.sending = null;
    }
  }

  private async send(nodeIds: string[]): Promise<void> {
    try {
      await this.db
        .updateTable('instances')
        .set((eb) => ({ wakeups: eb('wakeups', '+', 1) }))
        .where('id', '<>', this.selfId)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('nodes')
            .select('nodes.instance_id')
            .where('nodes.id', 'in', nodeIds)
            .where('nodes.instance_id', 'is not', null),
        )
        .execute();
      this.sent += 1;
    } catch (err) {
      // The holder's 100 ms poll still finds the commands.
      this.log.warn({ err }, 'could not wake the instances holding nodes with new commands');
    }
  }
}

/** Watches this instance's wake-up counter; `onWake` runs when another instance bumped it. */
export class WakeupWatch {
  private timer: NodeJS.Timeout | null = null;
  private last: number | null = null;
  private reading = false;

  constructor(
    private readonly db: Db,
    private readonly selfId: string,
    private readonly onWake: () => void,
    private readonly log: Logger,
    private readonly intervalMs = DEFAULT_WAKEUP_WATCH_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.read(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async read(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const row = await this.db
        .selectFrom('instances')
        .select('wakeups')
        .where('id', '=', this.selfId)
        .executeTakeFirst();
      const now = row ? Number(row.wakeups) : null;
      if (now !== null && this.last !== null && now !== this.last) this.onWake();
      this.last = now;
    } catch (err) {
      this.log.debug({ err }, 'could not read the wake-up counter');
    } finally {
      this.reading = false;
    }
  }
}
