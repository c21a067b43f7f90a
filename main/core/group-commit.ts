// Group commit: writes that arrive while a commit is in flight wait and go together in the next
// transaction. At low load a write commits on the next tick; under load many writes share one
// fsync. Callers await their item; all items of a batch succeed or fail together. A batch holds
// several callers' writes, so it runs outside any one operation's write hook (store/write-hook.ts):
// a batch that records audit entries carries them in its items (the queue's enqueues).
import { withoutWriteHook } from './store/write-hook.js';

export class GroupCommit<T, R = undefined> {
  private pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly commit: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 2_000,
  ) {}

  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Commits everything pending (waiting for a commit in flight first). */
  async flush(): Promise<void> {
    while (this.inFlight || this.pending.length > 0) {
      if (this.inFlight) await this.inFlight;
      else await withoutWriteHook(() => this.run());
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() =>
      withoutWriteHook(() => {
        this.scheduled = false;
        void this.run();
      }),
    );
  }

  private async run(): Promise<void> {
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxBatch);
    this.inFlight = (async () => {
      try {
        const results = await this.commit(batch.map((b) => b.item));
        for (const [i, b] of batch.entries()) b.resolve(results[i] as R);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    })();
    await this.inFlight;
    this.inFlight = null;
    if (this.pending.length > 0) this.schedule();
  }
}
