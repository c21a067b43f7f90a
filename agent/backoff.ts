// Exponential backoff with full jitter: a fleet that lost its master does not return in lockstep.
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt; each call widens the window up to the cap. */
  next(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.floor(this.random() * ceiling);
  }

  /** A long wait for failures that retrying soon cannot fix (bad token, wrong certificate). */
  penalty(): number {
    const { maxMs } = this.options;
    return Math.floor(maxMs / 2 + this.random() * (maxMs / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
