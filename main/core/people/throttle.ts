// Sign-in throttling that never locks out the right password. Every attempt is checked; a right one
// signs in at once whatever came before. A wrong one is counted against its account and its address,
// and its answer is held back for a delay that doubles with those failures (the larger of the two
// counts): 0 for the first 3, then 0.5 s, 1 s, 2 s … up to 15 s. A guesser who waits for each answer
// is slowed to one guess per 15 s; the account's owner, or a colleague behind the same NAT, is never
// refused. Counts live in the store (migration 30), so every instance of a cluster counts the same
// guesser together and a restart forgives nothing; a count is forgotten 15 minutes after its last
// failure, and such rows are pruned (at most once a minute per instance), so a spray of names or
// addresses cannot grow the table without bound.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../store/schema.js';

export interface ThrottleOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  now: () => number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 3,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  forgetAfterMs: 15 * 60_000,
  now: Date.now,
};

const PRUNE_EVERY_MS = 60_000;

/** The row key: a hash, so any name typed (or any address) is one bounded key. */
const keyHash = (key: string) => createHash('sha256').update(key).digest('hex');
const accountKey = (account: string) => keyHash(`u:${account.toLowerCase()}`);
const addressKey = (address: string) => keyHash(`a:${address}`);

export class SignInThrottle {
  private readonly options: ThrottleOptions;
  private lastPrune = 0;

  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'mariadb',
    options: Partial<ThrottleOptions> = {},
  ) {
    this.options = { ...DEFAULT_THROTTLE, ...options };
  }

  /** A wrong attempt: counted; returns how long its answer is held back (ms). */
  async failed(account: string, address: string): Promise<number> {
    const now = this.options.now();
    await this.prune(now);
    const a = await this.bump(accountKey(account), now);
    const b = await this.bump(addressKey(address), now);
    return this.delayFor(Math.max(a, b));
  }

  /** A right one: the account's count starts again (the address's stays: it may be shared). */
  async succeeded(account: string): Promise<void> {
    await this.db.deleteFrom('sign_in_failures').where('key_hash', '=', accountKey(account)).execute();
  }

  async failuresOf(account: string, address: string): Promise<{ account: number; address: number }> {
    return { account: await this.count(accountKey(account)), address: await this.count(addressKey(address)) };
  }

  delayFor(failures: number): number {
    const over = failures - this.options.freeFailures;
    if (over <= 0) return 0;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 30));
  }

  private async count(key: string): Promise<number> {
    const row = await this.db
      .selectFrom('sign_in_failures')
      .select(['failures', 'last_at'])
      .where('key_hash', '=', key)
      .executeTakeFirst();
    if (!row || this.options.now() - Number(row.last_at) >= this.options.forgetAfterMs) return 0;
    return Number(row.failures);
  }

  /**
   * One more failure, counted by the database in one statement (two instances counting at once both
   * count); a count past the forget time starts again at 1. Returns the count after it.
   */
  private async bump(key: string, now: number): Promise<number> {
    const stale = now - this.options.forgetAfterMs;
    const insert = this.db.insertInto('sign_in_failures').values({ key_hash: key, failures: 1, last_at: now });
    if (this.dialect === 'sqlite') {
      await insert
        .onConflict((oc) =>
          oc.column('key_hash').doUpdateSet({
            failures: sql`case when sign_in_failures.last_at <= ${stale} then 1 else sign_in_failures.failures + 1 end`,
            last_at: now,
          }),
        )
        .execute();
    } else {
      // MariaDB assigns left to right: `failures` is decided on the row's last_at before it moves.
      await insert
        .onDuplicateKeyUpdate({
          failures: sql`if(last_at <= ${stale}, 1, failures + 1)`,
          last_at: now,
        })
        .execute();
    }
    return this.count(key);
  }

  private async prune(now: number): Promise<void> {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await this.db
      .deleteFrom('sign_in_failures')
      .where('last_at', '<=', now - this.options.forgetAfterMs)
      .execute();
  }
}
