// API tokens in the store (SQLite and MariaDB): hashed at rest, no wider than their maker, expiry,
// revocation, last use written at most once a minute, and bounded by the user's current grants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller, RoleGrant } from '../../main/contract/caller.js';
import { ApiTokens } from '../../main/core/access/api-tokens.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

const user = (grants: RoleGrant[]): Caller => ({
  kind: 'user',
  userId: 'u-1',
  name: 'alice',
  tokenId: null,
  sessionId: null,
  grants,
  address: null,
  userAgent: null,
});

describe.each(storeTargets())('API tokens ($name)', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let now = 1_700_000_000_000;
  let tokens: ApiTokens;

  beforeAll(async () => {
    ({ store, cleanup } = await target.open());
    tokens = new ApiTokens(store.db, () => now);
  });
  afterAll(async () => cleanup?.());

  it('keeps only a hash, and resolves the token to its grant until it expires', async () => {
    const alice = user([{ role: 'operator', selector: [['env', 'staging']] }]);
    const made = await tokens.create(
      { name: 'ci', role: 'viewer', selector: { env: 'staging' }, expiresInDays: 1 },
      alice,
    );
    const rows = await store.db.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(made.token);
    const caller = await tokens.resolve(made.token, '10.0.0.1', null);
    expect(caller).toMatchObject({
      kind: 'api-token',
      userId: 'u-1',
      name: 'token ci of alice',
      tokenId: made.view.id,
    });
    expect(caller?.grants).toEqual([{ role: 'viewer', selector: [['env', 'staging']] }]);
    now += 86_400_000;
    expect(await tokens.resolve(made.token, null, null)).toBeNull();
  });

  it('refuses a token wider than its maker', async () => {
    const alice = user([{ role: 'operator', selector: [['env', 'staging']] }]);
    await expect(
      tokens.create({ name: 'all', role: 'viewer', selector: null, expiresInDays: 1 }, alice),
    ).rejects.toThrow('You are an operator of env=staging: a token cannot be wider (viewer of every node).');
    await expect(
      tokens.create({ name: 'admin', role: 'administrator', selector: { env: 'staging' }, expiresInDays: 1 }, alice),
    ).rejects.toThrow(/cannot be wider/);
  });

  it('writes the last use at most once a minute, and honours revocation', async () => {
    const alice = user([{ role: 'viewer', selector: null }]);
    const made = await tokens.create({ name: 'use', role: 'viewer', selector: null, expiresInDays: 30 }, alice);
    await tokens.resolve(made.token, '10.0.0.2', null);
    const lastUse = async () =>
      (await store.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', made.view.id).executeTakeFirst())
        ?.last_used_at;
    await expect.poll(lastUse, { timeout: 5_000 }).toBe(now);
    const first = now;
    now += 10_000;
    await tokens.resolve(made.token, '10.0.0.2', null);
    await new Promise((r) => setTimeout(r, 200));
    expect(Number(await lastUse())).toBe(first);
    now += 60_000;
    await tokens.resolve(made.token, '10.0.0.2', null);
    await expect.poll(async () => Number(await lastUse()), { timeout: 5_000 }).toBe(now);
    await tokens.revoke(made.view.id, alice);
    expect(await tokens.resolve(made.token, null, null)).toBeNull();
  });

  it('stops a token whose user lost the role it was made under', async () => {
    const alice = user([{ role: 'operator', selector: null }]);
    const made = await tokens.create({ name: 'ops', role: 'operator', selector: null, expiresInDays: 30 }, alice);
    let current: RoleGrant[] | null = [{ role: 'operator', selector: null }];
    tokens.userGrants = async () => current;
    expect(await tokens.resolve(made.token, null, null)).not.toBeNull();
    current = [{ role: 'viewer', selector: null }];
    expect(await tokens.resolve(made.token, null, null)).toBeNull();
    current = null;
    expect(await tokens.resolve(made.token, null, null)).toBeNull();
    tokens.userGrants = null;
  });
});
