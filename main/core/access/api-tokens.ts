// People's API tokens: `fdk_` + 32 random bytes, shown once, kept as a SHA-256; each carries one role
// and label scope no wider than its maker's grants, an expiry, and can be revoked. A request with one
// resolves to an `api-token` Caller (server/http.ts). Its last use is written at most once a minute
// per token, never on every request.
import { createHash, randomBytes } from 'node:crypto';
import type { ApiTokenView, CreateApiToken, CreatedApiToken } from '../../contract/access-operations.js';
import { describeGrants, grantWithin, selectorText } from '../../contract/access-rules.js';
import type { Caller, RoleGrant } from '../../contract/caller.js';
import { FleetError, notFound } from '../../contract/errors.js';
import type { LabelPair } from '../../contract/labels.js';
import type { ApiTokensTable } from '../store/migrations/22-api-tokens.js';
import type { Db } from '../store/schema.js';
import { withoutWriteHook } from '../store/write-hook.js';

export const API_TOKEN_PREFIX = 'fdk_';
const TOKEN_PATTERN = /^fdk_[A-Za-z0-9_-]{43}$/;
/** How often a token's last use is written at most. */
export const LAST_USE_WRITE_MS = 60_000;
const DAY_MS = 86_400_000;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

function selectorPairs(text: string | null): LabelPair[] | null {
  if (text === null) return null;
  return Object.entries(JSON.parse(text) as Record<string, string>);
}

function viewOf(row: ApiTokensTable): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    role: row.role,
    selector: row.selector === null ? null : (JSON.parse(row.selector) as Record<string, string>),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    lastUsedAddress: row.last_used_address,
  };
}

/** Whether the caller sees and may revoke every token (an administrator without a label scope). */
const seesAll = (caller: Caller) => caller.grants.some((g) => g.role === 'administrator' && g.selector === null);

/** Tokens belong to an account, or (userId null) to the bootstrap credentials (admin token, desktop). */
const ownedBy = (caller: Caller, row: Pick<ApiTokensTable, 'user_id'>) => row.user_id === caller.userId;

/**
 * An account's grants now (the accounts feature's role assignments), or null when the account is gone
 * or disabled: a token never outlives or outgrows its user.
 */
export type UserGrants = (userId: string) => Promise<readonly RoleGrant[] | null>;

export class ApiTokens {
  /** When each token's last use was last written (by this instance). */
  private readonly written = new Map<string, number>();
  /** Set by the accounts feature; without it, a token's own grant is all there is to check. */
  userGrants: UserGrants | null = null;
  /** Told after a token is revoked here (the streams it opened are closed at once). */
  onRevoked: () => void = () => undefined;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: CreateApiToken, caller: Caller): Promise<CreatedApiToken> {
    const pairs: LabelPair[] | null = input.selector === null ? null : Object.entries(input.selector);
    const grant: RoleGrant = { role: input.role, selector: pairs && pairs.length > 0 ? pairs : null };
    if (!caller.grants.some((mine) => grantWithin(grant, mine))) {
      const wanted = `${input.role} of ${grant.selector ? selectorText(grant.selector) : 'every node'}`;
      throw new FleetError('forbidden', `${describeGrants(caller)}: a token cannot be wider (${wanted}).`);
    }
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const at = this.now();
    const row: ApiTokensTable = {
      id: `tok_${randomBytes(8).toString('hex')}`,
      token_hash: hashOf(token),
      name: input.name,
      user_id: caller.userId,
      owner: caller.kind === 'api-token' ? caller.name.replace(/^token .* of /, '') : caller.name,
      role: grant.role,
      selector: grant.selector ? JSON.stringify(Object.fromEntries(grant.selector)) : null,
      created_at: at,
      expires_at: at + input.expiresInDays * DAY_MS,
      revoked_at: null,
      last_used_at: null,
      last_used_address: null,
    };
    await this.db.insertInto('api_tokens').values(row).execute();
    return { token, view: viewOf(row) };
  }

  async list(caller: Caller): Promise<ApiTokenView[]> {
    let query = this.db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc').limit(1000);
    if (!seesAll(caller)) {
      query = caller.userId === null ? query.where('user_id', 'is', null) : query.where('user_id', '=', caller.userId);
    }
    return (await query.execute()).map(viewOf);
  }

  async revoke(id: string, caller: Caller): Promise<ApiTokenView> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !(seesAll(caller) || ownedBy(caller, row))) throw notFound('API token', id);
    if (row.revoked_at === null) {
      row.revoked_at = this.now();
      await this.db.updateTable('api_tokens').set({ revoked_at: row.revoked_at }).where('id', '=', id).execute();
      this.onRevoked();
    }
    return viewOf(row);
  }

  /** Of these tokens, the ones that would still resolve (not revoked or expired, within their user's grants). */
  async live(ids: readonly string[]): Promise<Set<string>> {
    const live = new Set<string>();
    if (ids.length === 0) return live;
    const rows = await this.db
      .selectFrom('api_tokens')
      .select(['id', 'user_id', 'role', 'selector', 'revoked_at', 'expires_at'])
      .where('id', 'in', [...ids])
      .execute();
    const at = this.now();
    for (const row of rows) {
      if (row.revoked_at !== null || Number(row.expires_at) <= at) continue;
      if (await this.withinUser(row)) live.add(row.id);
    }
    return live;
  }

  /** Whether a bearer credential may be one of ours by its shape (else no database read for it). */
  static looksLikeToken(bearer: string): boolean {
    return bearer.startsWith(API_TOKEN_PREFIX);
  }

  /** The caller a token proves, or null (unknown, revoked or expired). */
  async resolve(bearer: string, address: string | null, userAgent: string | null): Promise<Caller | null> {
    if (!TOKEN_PATTERN.test(bearer)) return null;
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', hashOf(bearer))
      .executeTakeFirst();
    const at = this.now();
    if (!row || row.revoked_at !== null || Number(row.expires_at) <= at) return null;
    const grant: RoleGrant = { role: row.role, selector: selectorPairs(row.selector) };
    if (!(await this.withinUser(row))) return null;
    this.noteUse(row.id, at, address);
    return {
      kind: 'api-token',
      userId: row.user_id,
      name: `token ${row.name} of ${row.owner}`,
      tokenId: row.id,
      sessionId: null,
      grants: [grant],
      address,
      userAgent,
    };
  }

  /** A user who lost the role (or the account) since the token was made loses the token's use too. */
  private async withinUser(row: Pick<ApiTokensTable, 'user_id' | 'role' | 'selector'>): Promise<boolean> {
    if (row.user_id === null || !this.userGrants) return true;
    const grant: RoleGrant = { role: row.role, selector: selectorPairs(row.selector) };
    const current = await this.userGrants(row.user_id);
    return current?.some((mine) => grantWithin(grant, mine)) ?? false;
  }

  /** Writes the last use when the previous write is a minute old (in the background). */
  private noteUse(id: string, at: number, address: string | null): void {
    const last = this.written.get(id);
    if (last !== undefined && at - last < LAST_USE_WRITE_MS) return;
    this.written.set(id, at);
    // Bookkeeping of the caller, not the change of an operation it may be making (store/write-hook.ts).
    void withoutWriteHook(() =>
      this.db
        .updateTable('api_tokens')
        .set({ last_used_at: at, last_used_address: address?.slice(0, 64) ?? null })
        .where('id', '=', id)
        .execute(),
    ).catch(() => this.written.delete(id));
  }
}
