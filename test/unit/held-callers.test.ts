// The callers of open streams, checked against the store (SQLite and MariaDB): a session that went
// idle or past its absolute time, a disabled account, other grants or a revoked or expired token cuts
// the connection; the same grants saved again (in another order) or a release does not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller, RoleGrant } from '../../main/contract/caller.js';
import { ApiTokens } from '../../main/core/access/api-tokens.js';
import { HeldCallers } from '../../main/core/access/held-callers.js';
import { silentLogger } from '../../main/core/log.js';
import { PasswordHasher } from '../../main/core/people/passwords.js';
import { Sessions } from '../../main/core/people/sessions.js';
import { Users, userCaller } from '../../main/core/people/users.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

const MINUTE = 60_000;
const PASSWORD = 'correct horse battery';

describe.each(storeTargets())('held callers ($name)', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let now = 1_700_000_000_000;
  let users: Users;
  let sessions: Sessions;
  let tokens: ApiTokens;
  let held: HeldCallers;
  let serial = 0;

  beforeAll(async () => {
    ({ store, cleanup } = await target.open());
    users = new Users(store.db, new PasswordHasher({ memoryCost: 1024, timeCost: 1 }), () => now);
    sessions = new Sessions(store.db, users, { idleMs: 60 * MINUTE, absoluteMs: 12 * 60 * MINUTE }, () => now);
    tokens = new ApiTokens(store.db, () => now);
    tokens.userGrants = async (userId) => {
      const user = await users.byId(userId);
      return user && user.disabled_at === null ? users.grants(userId) : null;
    };
    // A long period: the test nudges, so only what it asks for is checked.
    held = new HeldCallers(
      { liveSessions: (ids) => sessions.live(ids), liveTokens: (ids) => tokens.live(ids) },
      silentLogger,
      3_600_000,
    );
  });
  afterAll(async () => {
    held?.stop();
    await cleanup?.();
  });

  /** A new account signed in: its session's Caller. */
  async function signedIn(grants: RoleGrant[]): Promise<Caller> {
    serial += 1;
    const user = await users.create({ name: `person-${serial}`, password: PASSWORD, grants });
    const session = await sessions.create(user.id, 'password', null, null);
    const resolved = await sessions.resolve(session.token);
    if (!resolved) throw new Error('the new session does not resolve');
    return userCaller(resolved.user, resolved.grants, resolved.id, null, null);
  }

  /** Holds `caller`; `closed()` says whether the connection was cut. */
  function hold(caller: Caller) {
    let closed = false;
    const release = held.hold(caller, () => {
      closed = true;
    });
    return { release, closed: () => closed };
  }

  async function check(): Promise<void> {
    held.nudge();
    await held.settled();
  }

  const viewer: RoleGrant = { role: 'viewer', selector: null };
  const staging: RoleGrant = { role: 'operator', selector: [['env', 'staging']] };

  it('keeps a live session, and cuts it once idle; an open stream is not activity', async () => {
    const caller = await signedIn([viewer]);
    const stream = hold(caller);
    await check();
    expect(stream.closed()).toBe(false);
    now += 61 * MINUTE;
    await check();
    expect(stream.closed()).toBe(true);
    expect(held.size).toBe(0);
  });

  it('cuts a disabled account and changed grants, not the same grants saved again in another order', async () => {
    const a = await signedIn([viewer, staging]);
    const b = await signedIn([viewer]);
    const streamA = hold(a);
    const streamB = hold(b);
    await users.setGrants(a.userId as string, [staging, viewer]);
    await check();
    expect(streamA.closed()).toBe(false);
    await users.setGrants(a.userId as string, [staging]);
    await users.setDisabled(b.userId as string, true);
    await check();
    expect(streamA.closed()).toBe(true);
    expect(streamB.closed()).toBe(true);
  });

  it('cuts a revoked token and an expired one; a released connection is no longer held', async () => {
    const owner = await signedIn([viewer]);
    const revoked = await tokens.create({ name: 'ci', role: 'viewer', selector: null, expiresInDays: 1 }, owner);
    const expiring = await tokens.create({ name: 'cd', role: 'viewer', selector: null, expiresInDays: 1 }, owner);
    const resolve = async (token: string) => (await tokens.resolve(token, null, null)) as Caller;
    const first = hold(await resolve(revoked.token));
    const second = hold(await resolve(expiring.token));
    const released = hold(await resolve(expiring.token));
    released.release();
    await tokens.revoke(revoked.view.id, owner);
    await check();
    expect([first.closed(), second.closed()]).toEqual([true, false]);
    now += 25 * 60 * MINUTE;
    await check();
    expect(second.closed()).toBe(true);
    expect(released.closed()).toBe(false);
  });

  it('holds nothing for credentials that cannot end (the admin token, the desktop)', () => {
    const admin: Caller = {
      kind: 'admin-token',
      userId: null,
      name: 'admin token',
      tokenId: null,
      sessionId: null,
      grants: [{ role: 'administrator', selector: null }],
      address: null,
      userAgent: null,
    };
    hold(admin);
    expect(held.size).toBe(0);
  });
});
