// Counts failed agent authentications per address in a fixed window and blocks an address
// that fails too often. The table is bounded so a spray of addresses cannot exhaust memory.
export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; windowStart: number }>();

  constructor(
    private readonly maxFailures = 20,
    private readonly windowMs = 60_000,
    private readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  isBlocked(address: string): boolean {
    const entry = this.current(address);
    return entry !== undefined && entry.count >= this.maxFailures;
  }

  recordFailure(address: string): void {
    const entry = this.current(address);
    if (entry) {
      entry.count += 1;
      return;
    }
    if (this.failures.size >= this.maxAddresses) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(address, { count: 1, windowStart: this.now() });
  }

  private current(address: string) {
    const entry = this.failures.get(address);
    if (entry && this.now() - entry.windowStart >= this.windowMs) {
      this.failures.delete(address);
      return undefined;
    }
    return entry;
  }
}
