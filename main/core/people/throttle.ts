// Sign-in throttling that never locks out the right password. Every attempt is checked; a right one
// signs in at once whatever came before. A wrong one is counted against its account and its address,
// and its answer is held back for a delay that doubles with those failures (the larger of the two
// counts): 0 for the first 3, then 0.5 s, 1 s, 2 s … up to 15 s. A guesser who waits for each answer
// is slowed to one guess per 15 s; the account's owner, or a colleague behind the same NAT, is never
// refused. Counts are per instance (in memory), forgotten 15 minutes after an account's or address's
// last failure, and the table is bounded so a spray of names or addresses cannot exhaust memory.

export interface ThrottleOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  maxKeys: number;
  now: () => number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 3,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  forgetAfterMs: 15 * 60_000,
  maxKeys: 20_000,
  now: Date.now,
};

interface Entry {
  failures: number;
  lastAt: number;
}

export class SignInThrottle {
  private readonly options: ThrottleOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(options: Partial<ThrottleOptions> = {}) {
    this.options = { ...DEFAULT_THROTTLE, ...options };
  }

  /** A wrong attempt: counted; returns how long its answer is held back (ms). */
  failed(account: string, address: string): number {
    const a = this.bump(`u:${account.toLowerCase()}`);
    const b = this.bump(`a:${address}`);
    return this.delayFor(Math.max(a, b));
  }

  /** A right one: the account's count starts again (the address's stays: it may be shared). */
  succeeded(account: string): void {
    this.entries.delete(`u:${account.toLowerCase()}`);
  }

  failuresOf(account: string, address: string): { account: number; address: number } {
    return { account: this.count(`u:${account.toLowerCase()}`), address: this.count(`a:${address}`) };
  }

  delayFor(failures: number): number {
    const over = failures - this.options.freeFailures;
    if (over <= 0) return 0;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 30));
  }

  private count(key: string): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    if (this.options.now() - entry.lastAt >= this.options.forgetAfterMs) {
      this.entries.delete(key);
      return 0;
    }
    return entry.failures;
  }

  private bump(key: string): number {
    const failures = this.count(key) + 1;
    this.entries.delete(key);
    if (this.entries.size >= this.options.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    // Re-inserted so the map's order is least recently failed first (the one evicted).
    this.entries.set(key, { failures, lastAt: this.options.now() });
    return failures;
  }
}
