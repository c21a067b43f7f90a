// What a multi-step start has opened so far, so that a step failing later closes it all again
// (listeners, timers, the database) instead of leaving a half-started process holding its port.
import type { Logger } from './log.js';

export class Closers {
  private readonly opened: Array<{ what: string; close: () => unknown }> = [];

  constructor(private readonly log: Logger) {}

  /** Registered before the step that opens it, so a step that fails halfway is closed too. */
  add(what: string, close: () => unknown): void {
    this.opened.push({ what, close });
  }

  /** Closes in reverse order of opening; a close that fails is logged and the rest still run. */
  async closeAll(): Promise<void> {
    for (const { what, close } of this.opened.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        this.log.warn({ err }, `could not close ${what} after a failed start`);
      }
    }
  }
}
