// Shared mode: commands enqueued on another instance for agents connected to this one. Every 100 ms,
// and at once when another instance wakes this one (wakeups.ts), the instance looks for pending,
// available commands of the nodes it holds (`nodes.instance_id`) and kicks them into its queue's
// claim. A node is connected to one instance at a time, so claims never race; the queue's guarded
// updates stay the safety net.
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';

export const DEFAULT_PENDING_POLL_MS = 100;

/** The queue side: a kicked node's ready commands are claimed (a node not connected here is skipped). */
export interface PendingCommandsTarget {
  kick(nodeId: string): void;
}

export class PendingCommandsPoll {
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  /** A wake-up arrived during a look: look again right after it (its commands may be newer). */
  private again = false;

  constructor(
    private readonly db: Db,
    private readonly instanceId: string,
    private readonly queue: PendingCommandsTarget,
    private readonly log: Logger,
    private readonly intervalMs = DEFAULT_PENDING_POLL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Another instance queued commands for nodes here: look now. */
  wake(): void {
    if (this.polling) this.again = true;
    else void this.poll();
  }

  /** One look; a look still running when the next is due makes that one a no-op. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.db
        .selectFrom('command_inflight')
        .innerJoin('nodes', 'nodes.id', 'command_inflight.node_id')
        .select('command_inflight.node_id')
        .distinct()
        .where('nodes.instance_id', '=', this.instanceId)
        .where('command_inflight.status', '=', 'pending')
        .where('command_inflight.available_at', '<=', this.now())
        .limit(1_000)
        .execute();
      for (const { node_id } of rows) this.queue.kick(node_id);
    } catch (err) {
      this.log.warn({ err }, 'could not look for commands queued on other instances');
    } finally {
      this.polling = false;
      if (this.again) {
        this.again = false;
        void this.poll();
      }
    }
  }
}
