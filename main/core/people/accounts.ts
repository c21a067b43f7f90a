// Accounts: sign-in (password, second factor, throttle), the first-run setup link, two-factor
// enrollment, password changes. The parts: users.ts (accounts, grants), sessions.ts (browser
// sessions), passwords.ts (argon2id, strength), throttle.ts, totp.ts, sign-in-record.ts (the hook
// the audit log takes), oidc.ts (OpenID Connect sign-in).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FleetError } from '../../contract/errors.js';
import type { Logger } from '../log.js';
import { hashToken } from '../nodes/tokens.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Db } from '../store/schema.js';
import { OidcSignIn } from './oidc.js';
import { checkPasswordStrength, DEFAULT_HASH_COST, type HashCost, PasswordHasher } from './passwords.js';
import { DEFAULT_SESSION_TIMEOUTS, type NewSession, Sessions, type SessionTimeouts } from './sessions.js';
import { recordSignIn, type SignInAttempt, type SignInRecorder } from './sign-in-record.js';
import { SignInThrottle, type ThrottleOptions } from './throttle.js';
import { hashRecoveryCode, newRecoveryCodes, newTotpSecret, otpauthUrl, qrSvg, totpStep } from './totp.js';
import { type UserRow, Users } from './users.js';

/** The first-run link is valid this long (a new one is printed at each start while no account exists). */
export const SETUP_TOKEN_TTL_MS = 24 * 60 * 60_000;

/** A right password of an account with two factors, sent without a code: ask for it. */
export class SecondFactorRequired extends FleetError {
  constructor() {
    super('unauthorized', 'Enter the 6-digit code from your authenticator app (or a recovery code).');
  }
}

export interface AccountsOptions {
  db: Db;
  /** The store's dialect (the throttle's counting statement differs); default sqlite. */
  dialect?: 'sqlite' | 'mariadb';
  log: Logger;
  /** Seals TOTP secrets (the cluster key's box); null while this instance does not hold the key. */
  totpBox: () => SecretBox | null;
  /** Seals the OpenID Connect client secret, likewise. */
  oidcBox: () => SecretBox | null;
  hashCost?: HashCost;
  throttle?: Partial<ThrottleOptions>;
  sessions?: Partial<SessionTimeouts>;
  now?: () => number;
  /** How a wrong attempt's answer is held back (tests measure instead of waiting). */
  delay?: (ms: number) => Promise<void>;
}

export interface Client {
  address: string | null;
  userAgent: string | null;
}

export class Accounts {
  readonly users: Users;
  readonly sessions: Sessions;
  readonly throttle: SignInThrottle;
  readonly hasher: PasswordHasher;
  readonly oidc: OidcSignIn;
  private recorder: SignInRecorder;
  private readonly now: () => number;
  private readonly delay: (ms: number) => Promise<void>;

  constructor(private readonly options: AccountsOptions) {
    this.now = options.now ?? Date.now;
    this.hasher = new PasswordHasher(options.hashCost ?? DEFAULT_HASH_COST);
    this.users = new Users(options.db, this.hasher, this.now);
    this.sessions = new Sessions(
      options.db,
      this.users,
      { ...DEFAULT_SESSION_TIMEOUTS, ...options.sessions },
      this.now,
    );
    this.throttle = new SignInThrottle(options.db, options.dialect ?? 'sqlite', { now: this.now, ...options.throttle });
    this.oidc = new OidcSignIn(options.db, this.users, options.oidcBox, this.now);
    this.recorder = recordSignIn(options.log);
    this.delay = options.delay ?? ((ms) => (ms > 0 ? sleep(ms) : Promise.resolve()));
  }

  /** The audit log's recorder replaces the default (a log line). */
  setSignInRecorder(recorder: SignInRecorder): void {
    this.recorder = recorder;
  }

  /** Every sign-in attempt, success or failure, goes through here. */
  async recordSignIn(attempt: Omit<SignInAttempt, 'at'>): Promise<void> {
    try {
      await this.recorder({ ...attempt, at: this.now() });
    } catch (err) {
      this.options.log.error({ err }, 'could not record a sign-in attempt');
    }
  }

  /**
   * Name + password (+ code): a session, or an error. Every attempt is checked, so the right
   * credentials always sign in; a wrong one is answered only after the throttle's delay.
   */
  async signIn(
    input: { name: string; password: string; code?: string },
    client: Client,
  ): Promise<{ session: NewSession; user: UserRow }> {
    const user = await this.users.byName(input.name);
    const passwordOk = await this.hasher.verify(user?.password_hash ?? null, input.password);
    const base = { method: 'password' as const, name: input.name, ...client };
    if (!user || !passwordOk) {
      await this.refuse({ ...base, userId: user?.id ?? null, reason: user ? 'wrong password' : 'unknown account' });
      throw new FleetError('unauthorized', 'Wrong account name or password.');
    }
    if (user.disabled_at !== null) {
      await this.recordSignIn({ ...base, outcome: 'failure', userId: user.id, reason: 'account disabled' });
      throw new FleetError('forbidden', 'This account is disabled: ask an administrator to enable it.');
    }
    if (user.totp_enabled_at !== null) {
      if (!input.code) throw new SecondFactorRequired();
      if (!(await this.checkSecondFactor(user, input.code))) {
        await this.refuse({ ...base, userId: user.id, reason: 'wrong second factor' });
        throw new FleetError('unauthorized', 'Wrong code: enter the current code from your app, or a recovery code.');
      }
    }
    await this.throttle.succeeded(input.name);
    const session = await this.sessions.create(user.id, 'password', client.address, client.userAgent);
    await this.recordSignIn({ ...base, outcome: 'success', userId: user.id, reason: 'password' });
    return { session, user };
  }

  private async refuse(attempt: Omit<SignInAttempt, 'at' | 'outcome'>): Promise<void> {
    const wait = await this.throttle.failed(attempt.name, attempt.address ?? 'unknown');
    await this.recordSignIn({ ...attempt, outcome: 'failure' });
    await this.delay(wait);
  }

  /** A TOTP code (each time step once) or an unused recovery code (then used up). */
  private async checkSecondFactor(user: UserRow, code: string): Promise<boolean> {
    const compact = code.replace(/\s+/g, '');
    if (/^\d{6}$/.test(compact)) {
      if (!user.totp_sealed) return false;
      const step = totpStep(this.openTotp(user.totp_sealed, user.id), compact, this.now());
      if (step === null) return false;
      const result = await this.options.db
        .updateTable('users')
        .set({ totp_last_step: step })
        .where('id', '=', user.id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    }
    const result = await this.options.db
      .updateTable('user_recovery_codes')
      .set({ used_at: this.now() })
      .where('user_id', '=', user.id)
      .where('code_hash', '=', hashRecoveryCode(code))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  private box(): SecretBox {
    const box = this.options.totpBox();
    if (!box) {
      throw new FleetError(
        'unavailable',
        'This instance does not hold the cluster key, which seals two-factor secrets.',
      );
    }
    return box;
  }

  private openTotp(sealed: string, userId: string): string {
    // The record's context is part of the sealed text's authentication: a secret copied onto
    // another account does not open.
    const [owner, secret] = this.box().open(sealed).split(':', 2);
    if (owner !== userId || !secret)
      throw new FleetError('internal', 'A two-factor secret belongs to another account.');
    return secret;
  }

  /** Step 1 of enrollment: a new secret, stored but not yet in force, as a URL and a QR code. */
  async startTotp(userId: string): Promise<{ secret: string; otpauthUrl: string; qrSvg: string }> {
    const user = await this.users.require(userId);
    if (user.totp_enabled_at !== null) {
      throw new FleetError('conflict', 'Two-factor sign-in is on already: turn it off first to enroll a new app.');
    }
    const secret = newTotpSecret();
    const sealed = this.box().seal(`${userId}:${secret}`);
    await this.options.db.updateTable('users').set({ totp_sealed: sealed }).where('id', '=', userId).execute();
    const url = otpauthUrl(secret, user.name);
    return { secret, otpauthUrl: url, qrSvg: await qrSvg(url) };
  }

  /** Step 2: a code from the app proves it holds the secret; two factors are on, recovery codes shown once. */
  async confirmTotp(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
    const user = await this.users.require(userId);
    if (!user.totp_sealed || user.totp_enabled_at !== null) {
      throw new FleetError('conflict', 'Start the enrollment first (a new secret and QR code).');
    }
    const step = totpStep(this.openTotp(user.totp_sealed, userId), code.replace(/\s+/g, ''), this.now());
    if (step === null) throw new FleetError('bad_request', 'That code does not match: check the app and the clock.');
    const codes = newRecoveryCodes();
    await this.options.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ totp_enabled_at: this.now(), totp_last_step: step })
        .where('id', '=', userId)
        .execute();
      await trx.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
      await trx
        .insertInto('user_recovery_codes')
        .values(codes.map((c) => ({ user_id: userId, code_hash: hashRecoveryCode(c), used_at: null })))
        .execute();
    });
    return { recoveryCodes: codes };
  }

  /** Off again (with the password, or by an administrator for someone who lost the app). */
  async disableTotp(userId: string, password: string | null): Promise<void> {
    const user = await this.users.require(userId);
    if (password !== null && !(await this.hasher.verify(user.password_hash, password))) {
      throw new FleetError('forbidden', 'Wrong password: two-factor sign-in stays on.');
    }
    await this.options.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ totp_sealed: null, totp_enabled_at: null, totp_last_step: null })
        .where('id', '=', userId)
        .execute();
      await trx.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
    });
  }

  /** A new password with the current one; every other session of the account ends. */
  async changePassword(userId: string, current: string, next: string, keepSession: string | null): Promise<void> {
    const user = await this.users.require(userId);
    if (!(await this.hasher.verify(user.password_hash, current))) {
      throw new FleetError('forbidden', 'The current password is wrong.');
    }
    await this.users.setPassword(userId, next);
    await this.sessions.revokeAll(userId, keepSession ?? undefined);
  }

  /** The provider sent the browser back: a session for the account it names. */
  async finishOidc(callbackUrl: URL, client: Client): Promise<{ session: NewSession; user: UserRow }> {
    const base = { method: 'oidc' as const, ...client };
    let user: UserRow;
    try {
      user = await this.oidc.finish(callbackUrl);
    } catch (error) {
      await this.recordSignIn({
        ...base,
        outcome: 'failure',
        userId: null,
        name: '',
        reason: (error as Error).message,
      });
      throw error;
    }
    if (user.disabled_at !== null) {
      await this.recordSignIn({
        ...base,
        outcome: 'failure',
        userId: user.id,
        name: user.name,
        reason: 'account disabled',
      });
      throw new FleetError('forbidden', 'This account is disabled: ask an administrator to enable it.');
    }
    const session = await this.sessions.create(user.id, 'oidc', client.address, client.userAgent);
    await this.recordSignIn({
      ...base,
      outcome: 'success',
      userId: user.id,
      name: user.name,
      reason: 'openid connect',
    });
    return { session, user };
  }

  /** While no account exists: a one-time setup link's token (stored hashed), else null. */
  async issueSetupToken(): Promise<string | null> {
    if ((await this.users.count()) > 0) return null;
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    await this.options.db
      .insertInto('setup_tokens')
      .values({ token_hash: hashToken(token), created_at: now, expires_at: now + SETUP_TOKEN_TTL_MS, used_at: null })
      .execute();
    return token;
  }

  async setupRequired(): Promise<boolean> {
    return (await this.users.count()) === 0;
  }

  /** The setup page: the link's token creates the first administrator and signs them in. */
  async completeSetup(
    input: { token: string; name: string; password: string },
    client: Client,
  ): Promise<{ session: NewSession; user: UserRow }> {
    // Checked before the link is used up, so a weak password does not cost the link.
    checkPasswordStrength(input.password, input.name);
    const base = { method: 'setup' as const, name: input.name, userId: null, ...client };
    const used = await this.options.db
      .updateTable('setup_tokens')
      .set({ used_at: this.now() })
      .where('token_hash', '=', hashToken(input.token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', this.now())
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1 || !(await this.setupRequired())) {
      await this.refuse({ ...base, reason: 'invalid setup link' });
      throw new FleetError(
        'forbidden',
        'This setup link is used, expired or no longer needed: restart the master for a new one, or sign in.',
      );
    }
    const user = await this.users.create({
      name: input.name,
      password: input.password,
      grants: [{ role: 'administrator', selector: null }],
    });
    const session = await this.sessions.create(user.id, 'setup', client.address, client.userAgent);
    await this.recordSignIn({ ...base, userId: user.id, outcome: 'success', reason: 'first-run setup' });
    return { session, user };
  }
}
