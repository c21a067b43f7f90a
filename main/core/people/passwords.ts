// Password hashing: argon2id through @node-rs/argon2 (prebuilt binaries, no compiler needed; its
// work runs on libuv's thread pool, not the event loop). Argon2id is memory-hard, so a stolen
// database costs an attacker memory per guess as well as time, which GPUs and ASICs do not shortcut.
// Parameters: OWASP's first recommendation (m = 19 MiB, t = 2, p = 1): ≈ 130 ms per hash here.
import { hash, verify } from '@node-rs/argon2';
import { FleetError } from '../../contract/errors.js';

export interface HashCost {
  memoryCost: number;
  timeCost: number;
}

export const DEFAULT_HASH_COST: HashCost = { memoryCost: 19_456, timeCost: 2 };

/** Long enough to resist guessing without a strength meter: a passphrase of a few words. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/** Refuses a weak password with a message that says what to do. */
export function checkPasswordStrength(password: string, name?: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new FleetError(
      'bad_request',
      `The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters (a few unrelated words work well).`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new FleetError('bad_request', `The password is too long: at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
  if (new Set(password).size < 4) {
    throw new FleetError('bad_request', 'The password repeats too few characters: use at least 4 different ones.');
  }
  if (name && password.toLowerCase().includes(name.toLowerCase())) {
    throw new FleetError('bad_request', 'The password must not contain the account name.');
  }
}

export class PasswordHasher {
  /** A hash of nothing anyone knows, verified when the account does not exist (same time either way). */
  private decoy: Promise<string> | null = null;

  constructor(private readonly cost: HashCost = DEFAULT_HASH_COST) {}

  hash(password: string): Promise<string> {
    return hash(password, { ...this.cost, parallelism: 1, algorithm: 2 });
  }

  async verify(stored: string | null, password: string): Promise<boolean> {
    if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return false;
    if (stored === null) {
      this.decoy ??= this.hash(`decoy-${process.pid}-${Math.random()}`);
      await verify(await this.decoy, password).catch(() => false);
      return false;
    }
    return verify(stored, password).catch(() => false);
  }
}
