// Browser sessions. The cookie carries a 256-bit random token; the store keeps only its SHA-256
// (and that of the session's CSRF token), so a database reader cannot sign in, and every master on a
// shared MariaDB resolves the same cookie. A session ends after `idleMs` without a request or
// `absoluteMs` after sign-in, whichever comes first, or when revoked (one, or all of a person's).
import { randomBytes, randomUUID } from 'node:crypto';
import type { SessionView } from '../../contract/account-schemas.js';
import type { RoleGrant } from '../../contract/caller.js';
import { hashToken, safeEqual } from '../nodes/tokens.js';
import type { Db } from '../store/schema.js';
import type { UserRow, Users } from './users.js';

export interface SessionTimeouts {
  /** Signed out after this long without a request (default 60 min). */
  idleMs: number;
  /** Signed out this long after signing in, active or not (default 12 h). */
  absoluteMs: number;
}

export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = { idleMs: 60 * 60_000, absoluteMs: 12 * 60 * 60_000 };

/** last_seen_at is written at most this often per session (a busy UI would otherwise write per request). */
const TOUCH_EVERY_MS = 30_000;

export interface NewSession {
  id: string;
  /** The cookie's value. */
  token: string;
  /** The CSRF token the renderer echoes in a header. */
  csrf: string;
  expiresAt: number;
}

export interface ResolvedSession {
  id: string;
  user: UserRow;
  grants: RoleGrant[];
  csrfHash: string;
}

const randomSecret = () => randomBytes(32).toString('base64url');

export class Sessions {
  /** Told after sessions end here (the open event streams and terminals of them are closed at once). */
  onEnded: () => void = () => undefined;

  constructor(
    private readonly db: Db,
    private readonly users: Users,
    readonly timeouts: SessionTimeouts = DEFAULT_SESSION_TIMEOUTS,
    private readonly now: () => number = Date.now,
  ) {}

  async create(
    userId: string,
    method: 'password' | 'setup' | 'oidc',
    address: string | null,
    userAgent: string | null,
  ): Promise<NewSession> {
    const now = this.now();
    const session = {
      id: `ses_${randomUUID()}`,
      token: randomSecret(),
      csrf: randomSecret(),
      expiresAt: now + this.timeouts.absoluteMs,
    };
    await this.db
      .insertInto('user_sessions')
      .values({
        id: session.id,
        token_hash: hashToken(session.token),
        csrf_hash: hashToken(session.csrf),
        user_id: userId,
        method,
        created_at: now,
        last_seen_at: now,
        expires_at: session.expiresAt,
        address: address?.slice(0, 128) ?? null,
        user_agent: userAgent?.slice(0, 256) ?? null,
      })
      .execute();
    return session;
  }

  /** The live session a cookie names, its account enabled; null for anything else. Counts as activity. */
  async resolve(token: string): Promise<ResolvedSession | null> {
    if (token.length === 0 || token.length > 128) return null;
    const row = await this.db
      .selectFrom('user_sessions')
      .innerJoin('users', 'users.id', 'user_sessions.user_id')
      .select([
        'user_sessions.id as session_id',
        'user_sessions.csrf_hash',
        'user_sessions.last_seen_at',
        'user_sessions.expires_at',
        'users.id',
        'users.name',
        'users.password_hash',
        'users.created_at',
        'users.disabled_at',
        'users.totp_sealed',
        'users.totp_enabled_at',
        'users.totp_last_step',
        'users.oidc_subject',
      ])
      .where('user_sessions.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row) return null;
    const now = this.now();
    const lastSeen = Number(row.last_seen_at);
    if (row.disabled_at !== null || now >= Number(row.expires_at) || now - lastSeen >= this.timeouts.idleMs) {
      await this.revoke(row.session_id);
      return null;
    }
    if (now - lastSeen >= TOUCH_EVERY_MS) {
      await this.db.updateTable('user_sessions').set({ last_seen_at: now }).where('id', '=', row.session_id).execute();
    }
    const { session_id, csrf_hash, last_seen_at: _l, expires_at: _e, ...user } = row;
    return { id: session_id, user, grants: await this.users.grants(user.id), csrfHash: csrf_hash };
  }

  /** Whether `presented` is the session's CSRF token. */
  csrfMatches(session: ResolvedSession, presented: string | undefined): boolean {
    return presented !== undefined && presented.length <= 128 && safeEqual(hashToken(presented), session.csrfHash);
  }

  async revoke(id: string, userId?: string): Promise<boolean> {
    let query = this.db.deleteFrom('user_sessions').where('id', '=', id);
    if (userId !== undefined) query = query.where('user_id', '=', userId);
    const result = await query.executeTakeFirst();
    const ended = Number(result.numDeletedRows) > 0;
    if (ended) this.onEnded();
    return ended;
  }

  /** "Sign out everywhere": every session of the account (but `keep`, when given). */
  async revokeAll(userId: string, keep?: string): Promise<number> {
    let query = this.db.deleteFrom('user_sessions').where('user_id', '=', userId);
    if (keep !== undefined) query = query.where('id', '!=', keep);
    const result = await query.executeTakeFirst();
    const ended = Number(result.numDeletedRows);
    if (ended > 0) this.onEnded();
    return ended;
  }

  /**
   * Of these sessions, the live ones with their account's grants now. Not activity: an open event
   * stream does not keep a browser signed in past the idle timeout.
   */
  async live(ids: readonly string[]): Promise<Map<string, RoleGrant[]>> {
    const live = new Map<string, RoleGrant[]>();
    if (ids.length === 0) return live;
    const rows = await this.db
      .selectFrom('user_sessions')
      .innerJoin('users', 'users.id', 'user_sessions.user_id')
      .select([
        'user_sessions.id as session_id',
        'user_sessions.last_seen_at',
        'user_sessions.expires_at',
        'users.id as user_id',
        'users.disabled_at',
      ])
      .where('user_sessions.id', 'in', [...ids])
      .execute();
    const now = this.now();
    const grants = new Map<string, RoleGrant[]>();
    for (const row of rows) {
      const idle = now - Number(row.last_seen_at) >= this.timeouts.idleMs;
      if (row.disabled_at !== null || now >= Number(row.expires_at) || idle) continue;
      let mine = grants.get(row.user_id);
      if (!mine) {
        mine = await this.users.grants(row.user_id);
        grants.set(row.user_id, mine);
      }
      live.set(row.session_id, mine);
    }
    return live;
  }

  async list(userId: string, current: string | null): Promise<SessionView[]> {
    const now = this.now();
    const rows = await this.db
      .selectFrom('user_sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .where('last_seen_at', '>', now - this.timeouts.idleMs)
      .orderBy('last_seen_at', 'desc')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      method: r.method,
      createdAt: Number(r.created_at),
      lastSeenAt: Number(r.last_seen_at),
      expiresAt: Math.min(Number(r.expires_at), Number(r.last_seen_at) + this.timeouts.idleMs),
      address: r.address,
      userAgent: r.user_agent,
      current: r.id === current,
    }));
  }

  /** Deletes sessions past either timeout (the leader's housekeeping; resolve deletes them too). */
  async prune(): Promise<number> {
    const now = this.now();
    const result = await this.db
      .deleteFrom('user_sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - this.timeouts.idleMs)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
