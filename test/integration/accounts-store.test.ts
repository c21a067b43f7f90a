// Accounts on both databases (core/people/): sign-in, wrong password, the throttle under a brute
// force (2,000 wrong passwords from one address, then the right one signs in at once), session idle
// and absolute expiry, sign out everywhere, TOTP with a generated code, recovery codes used once,
// the first-run setup token used once. Argon2id runs at a small cost here (the same code path); the
// throttle's delays are measured, not slept.
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/log.js';
import { Accounts } from '../../main/core/people/accounts.js';
import type { SignInAttempt } from '../../main/core/people/sign-in-record.js';
import { totpCode } from '../../main/core/people/totp.js';
import { ClusterKey } from '../../main/core/secrets/cluster-key.js';
import { TOTP_SECRET_CONTEXT } from '../../main/core/secrets/sealed-values.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';
import { tempDir } from '../helpers/processes.js';

const PASSWORD = 'correct horse battery';
const CLIENT = { address: '203.0.113.7', userAgent: 'vitest' };

describe.each(storeTargets())('accounts ($name)', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let key: ClusterKey;
  let now: number;
  let delays: number[];
  let attempts: SignInAttempt[];
  let accounts: Accounts;

  // One database per target (migrations on a fresh MariaDB database take seconds); emptied per test.
  beforeAll(async () => {
    ({ store, cleanup } = await target.open());
    key = await ClusterKey.load({
      db: store.db,
      dialect: store.dialect,
      file: join(tempDir(), 'cluster.key'),
      mayCreate: true,
      log: silentLogger,
    });
  });

  afterAll(async () => {
    key?.stop();
    await cleanup?.();
  });

  beforeEach(async () => {
    for (const table of [
      'user_recovery_codes',
      'user_sessions',
      'user_roles',
      'setup_tokens',
      'users',
      'sign_in_failures',
    ] as const) {
      await store.db.deleteFrom(table).execute();
    }
    now = Date.UTC(2026, 0, 1);
    delays = [];
    attempts = [];
    const box = key.secretBox(TOTP_SECRET_CONTEXT);
    accounts = new Accounts({
      db: store.db,
      dialect: store.dialect,
      log: silentLogger,
      totpBox: () => box,
      oidcBox: () => null,
      hashCost: { memoryCost: 1024, timeCost: 1 },
      now: () => now,
      delay: async (ms) => {
        delays.push(ms);
      },
    });
    accounts.setSignInRecorder((attempt) => {
      attempts.push(attempt);
    });
  });

  const addAlice = () =>
    accounts.users.create({
      name: 'alice',
      password: PASSWORD,
      grants: [{ role: 'operator', selector: [['env', 'staging']] }],
    });

  it('signs in with the right password, refuses a wrong one, and hands the grants to the session', async () => {
    await addAlice();
    await expect(accounts.signIn({ name: 'alice', password: 'wrong password!!' }, CLIENT)).rejects.toThrow(
      /Wrong account name or password/,
    );
    await expect(accounts.signIn({ name: 'nobody', password: PASSWORD }, CLIENT)).rejects.toThrow(/Wrong account/);
    const { session } = await accounts.signIn({ name: 'alice', password: PASSWORD }, CLIENT);
    const resolved = await accounts.sessions.resolve(session.token);
    expect(resolved?.user.name).toBe('alice');
    expect(resolved?.grants).toEqual([{ role: 'operator', selector: [['env', 'staging']] }]);
    expect(accounts.sessions.csrfMatches(resolved as NonNullable<typeof resolved>, session.csrf)).toBe(true);
    expect(accounts.sessions.csrfMatches(resolved as NonNullable<typeof resolved>, 'forged')).toBe(false);
    // Only hashes are stored.
    const row = await store.db.selectFrom('user_sessions').selectAll().executeTakeFirstOrThrow();
    expect(row.token_hash).not.toContain(session.token);
    expect(JSON.stringify(row)).not.toContain(session.token);
    const user = await store.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    expect(attempts.map((a) => [a.outcome, a.reason, a.address])).toEqual([
      ['failure', 'wrong password', CLIENT.address],
      ['failure', 'unknown account', CLIENT.address],
      ['success', 'password', CLIENT.address],
    ]);
  });

  it('refuses a weak password with a clear message', async () => {
    await expect(accounts.users.create({ name: 'bob', password: 'short', grants: [] })).rejects.toThrow(
      /at least 12 characters/,
    );
    await expect(accounts.users.create({ name: 'bob', password: 'aaaaaaaaaaaaaaa', grants: [] })).rejects.toThrow(
      /4 different/,
    );
  });

  it('never refuses the right password after 2,000 wrong ones from the same address', async () => {
    await addAlice();
    for (let i = 0; i < 2000; i++) {
      await expect(accounts.signIn({ name: 'alice', password: `guess number ${i}` }, CLIENT)).rejects.toThrow(
        /Wrong account/,
      );
    }
    // Wrong answers were held back, exponentially, up to the cap; the first three were not.
    expect(delays.slice(0, 3)).toEqual([0, 0, 0]);
    expect(delays.slice(3, 7)).toEqual([500, 1000, 2000, 4000]);
    expect(delays.at(-1)).toBe(15_000);
    const before = delays.length;
    const { session } = await accounts.signIn({ name: 'alice', password: PASSWORD }, CLIENT);
    expect(session.token).toBeTruthy();
    expect(delays.length).toBe(before); // the right password is never delayed
    expect(await accounts.throttle.failuresOf('alice', CLIENT.address)).toEqual({ account: 0, address: 2000 });
  }, 120_000);

  it('counts one guesser across the instances of a cluster and across a restart; forgets after 15 minutes', async () => {
    await addAlice();
    // A second instance on the same store (another master of the cluster), its delays measured apart.
    const otherDelays: number[] = [];
    const other = new Accounts({
      db: store.db,
      dialect: store.dialect,
      log: silentLogger,
      totpBox: () => null,
      oidcBox: () => null,
      hashCost: { memoryCost: 1024, timeCost: 1 },
      now: () => now,
      delay: async (ms) => {
        otherDelays.push(ms);
      },
    });
    const guess = (on: Accounts, i: number) =>
      expect(on.signIn({ name: 'alice', password: `guess number ${i}` }, CLIENT)).rejects.toThrow(/Wrong account/);
    for (let i = 0; i < 3; i++) await guess(accounts, i);
    // Three free failures were spent on the first instance: the other holds back its very first answer.
    for (let i = 0; i < 2; i++) await guess(other, i);
    expect(delays).toEqual([0, 0, 0]);
    expect(otherDelays).toEqual([500, 1000]);
    // Back on the first: it counted the other's too (a restarted master is one more instance on the
    // same store, so a restart forgives nothing either).
    await guess(accounts, 5);
    expect(delays.at(-1)).toBe(2000);
    expect(await other.throttle.failuresOf('alice', CLIENT.address)).toEqual({ account: 6, address: 6 });
    // The right password still signs in at once, on either instance.
    await other.signIn({ name: 'alice', password: PASSWORD }, CLIENT);
    expect(await accounts.throttle.failuresOf('ALICE', CLIENT.address)).toEqual({ account: 0, address: 6 });
    // 15 minutes after the last failure the address starts again.
    now += 15 * 60_000;
    expect(await accounts.throttle.failuresOf('alice', CLIENT.address)).toEqual({ account: 0, address: 0 });
    await guess(accounts, 9);
    expect(delays.at(-1)).toBe(0);
    expect(await accounts.throttle.failuresOf('alice', CLIENT.address)).toEqual({ account: 1, address: 1 });
    // The store keeps hashes of what was typed, not the names or addresses.
    const rows = await store.db.selectFrom('sign_in_failures').selectAll().execute();
    expect(JSON.stringify(rows)).not.toMatch(/alice|203\.0\.113\.7/);
  });

  it('ends a session after the idle timeout and after the absolute one, whichever comes first', async () => {
    await addAlice();
    const { idleMs, absoluteMs } = accounts.sessions.timeouts;
    const idle = await accounts.signIn({ name: 'alice', password: PASSWORD }, CLIENT);
    now += idleMs - 1000;
    expect(await accounts.sessions.resolve(idle.session.token)).not.toBeNull(); // activity: idle restarts
    now += idleMs - 1000;
    expect(await accounts.sessions.resolve(idle.session.token)).not.toBeNull();
    now += idleMs;
    expect(await accounts.sessions.resolve(idle.session.token)).toBeNull();
    const busy = await accounts.signIn({ name: 'alice', password: PASSWORD }, CLIENT);
    const started = now;
    while (now < started + absoluteMs - idleMs / 2) {
      now += idleMs / 2;
      expect(await accounts.sessions.resolve(busy.session.token)).not.toBeNull();
    }
    now = started + absoluteMs;
    expect(await accounts.sessions.resolve(busy.session.token)).toBeNull();
  });

  it('signs out everywhere, lists sessions with address and device, and ends them for a disabled account', async () => {
    const alice = await addAlice();
    const one = await accounts.signIn({ name: 'alice', password: PASSWORD }, CLIENT);
    const two = await accounts.signIn(
      { name: 'alice', password: PASSWORD },
      { address: '198.51.100.2', userAgent: 'phone' },
    );
    const listed = await accounts.sessions.list(alice.id, one.session.id);
    expect(listed.map((s) => [s.address, s.userAgent, s.current])).toEqual(
      expect.arrayContaining([
        [CLIENT.address, 'vitest', true],
        ['198.51.100.2', 'phone', false],
      ]),
    );
    expect(await accounts.sessions.revokeAll(alice.id)).toBe(2);
    expect(await accounts.sessions.resolve(one.session.token)).toBeNull();
    expect(await accounts.sessions.resolve(two.session.token)).toBeNull();
    const three = await accounts.signIn({ name: 'alice', password: PASSWORD }, CLIENT);
    await accounts.users.setDisabled(alice.id, true);
    expect(await accounts.sessions.resolve(three.session.token)).toBeNull();
    await expect(accounts.signIn({ name: 'alice', password: PASSWORD }, CLIENT)).rejects.toThrow(/disabled/);
  });

  it('asks for a TOTP code, accepts a generated one once, and takes each recovery code once', async () => {
    const alice = await addAlice();
    const enrollment = await accounts.startTotp(alice.id);
    expect(enrollment.otpauthUrl).toMatch(/^otpauth:\/\/totp\/FleetDeck:alice\?/);
    expect(enrollment.qrSvg).toContain('<svg');
    const stored = await store.db.selectFrom('users').select('totp_sealed').executeTakeFirstOrThrow();
    expect(stored.totp_sealed).not.toContain(enrollment.secret);
    await expect(accounts.confirmTotp(alice.id, '000000')).rejects.toThrow(/does not match/);
    const { recoveryCodes } = await accounts.confirmTotp(alice.id, totpCode(enrollment.secret, now));
    expect(recoveryCodes).toHaveLength(10);
    await expect(accounts.signIn({ name: 'alice', password: PASSWORD }, CLIENT)).rejects.toThrow(/6-digit code/);
    now += 30_000;
    const code = totpCode(enrollment.secret, now);
    await expect(accounts.signIn({ name: 'alice', password: PASSWORD, code }, CLIENT)).resolves.toBeTruthy();
    // The same code again (a replay) is refused.
    await expect(accounts.signIn({ name: 'alice', password: PASSWORD, code }, CLIENT)).rejects.toThrow(/Wrong code/);
    // A wrong password with a right code is still a wrong password.
    now += 30_000;
    await expect(
      accounts.signIn({ name: 'alice', password: 'not the password', code: totpCode(enrollment.secret, now) }, CLIENT),
    ).rejects.toThrow(/Wrong account name or password/);
    const recovery = recoveryCodes[0] as string;
    await expect(accounts.signIn({ name: 'alice', password: PASSWORD, code: recovery }, CLIENT)).resolves.toBeTruthy();
    await expect(accounts.signIn({ name: 'alice', password: PASSWORD, code: recovery }, CLIENT)).rejects.toThrow(
      /Wrong code/,
    );
    await expect(
      accounts.signIn({ name: 'alice', password: PASSWORD, code: (recoveryCodes[1] as string).toUpperCase() }, CLIENT),
    ).resolves.toBeTruthy();
    await expect(accounts.disableTotp(alice.id, 'not the password')).rejects.toThrow(/stays on/);
    await accounts.disableTotp(alice.id, PASSWORD);
    await expect(accounts.signIn({ name: 'alice', password: PASSWORD }, CLIENT)).resolves.toBeTruthy();
  });

  it('creates the first administrator once from the setup token', async () => {
    const token = (await accounts.issueSetupToken()) as string;
    expect(token).toBeTruthy();
    await expect(accounts.completeSetup({ token, name: 'root', password: 'short' }, CLIENT)).rejects.toThrow(
      /at least 12/,
    );
    const { user } = await accounts.completeSetup({ token, name: 'root', password: PASSWORD }, CLIENT);
    expect(await accounts.users.grants(user.id)).toEqual([{ role: 'administrator', selector: null }]);
    await expect(accounts.completeSetup({ token, name: 'again', password: PASSWORD }, CLIENT)).rejects.toThrow(
      /used, expired or no longer needed/,
    );
    expect(await accounts.issueSetupToken()).toBeNull();
    const stored = await store.db.selectFrom('setup_tokens').selectAll().executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toBe(token);
  });
});
