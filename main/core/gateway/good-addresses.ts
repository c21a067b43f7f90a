// Addresses from which an agent recently completed an authenticated hello. Under pressure (per-address
// and total caps on unauthenticated connections) these are preferred: an attacker who has never
// authenticated cannot crowd out the address a fleet connects from. Bounded like the failure limiter,
// so a spray of addresses cannot grow it without end.
export class GoodAddresses {
  /** address → last good hello; Map order is insertion order, refreshed on every hello. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs = 24 * 3_600_000,
    private readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  record(address: string): void {
    this.seen.delete(address);
    if (this.seen.size >= this.maxAddresses) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.set(address, this.now());
  }

  has(address: string): boolean {
    const at = this.seen.get(address);
    if (at === undefined) return false;
    if (this.now() - at < this.ttlMs) return true;
    this.seen.delete(address);
    return false;
  }
}
