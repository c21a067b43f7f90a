// Accounts and their role assignments. `Caller.grants` of a signed-in person come from `user_roles`
// (read at each request, so a change applies at once on every instance).
import { randomUUID } from 'node:crypto';
import type { UserView } from '../../contract/account-schemas.js';
import type { Caller, RoleGrant } from '../../contract/caller.js';
import { ROLES } from '../../contract/caller.js';
import { FleetError } from '../../contract/errors.js';
import type { LabelPair } from '../../contract/labels.js';
import { noteAuditFacts } from '../audit/context.js';
import type { Db } from '../store/schema.js';
import { checkPasswordStrength, type PasswordHasher } from './passwords.js';

export interface UserRow {
  id: string;
  name: string;
  password_hash: string | null;
  created_at: number;
  disabled_at: number | null;
  totp_sealed: string | null;
  totp_enabled_at: number | null;
  totp_last_step: number | null;
  oidc_subject: string | null;
}

export function grantFromRow(row: { role: string; selector: string | null }): RoleGrant | null {
  const role = ROLES.find((r) => r === row.role);
  if (!role) return null;
  return { role, selector: row.selector === null ? null : (JSON.parse(row.selector) as LabelPair[]) };
}

export class Users {
  /** Told after an account's grants or enabled state change here (its open streams are re-checked). */
  onChanged: () => void = () => undefined;

  constructor(
    private readonly db: Db,
    private readonly hasher: PasswordHasher,
    private readonly now: () => number = Date.now,
  ) {}

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  byName(name: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  }

  byId(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async require(id: string): Promise<UserRow> {
    const user = await this.byId(id);
    if (!user) throw new FleetError('not_found', `No account ${id}.`);
    return user;
  }

  async grants(userId: string): Promise<RoleGrant[]> {
    const rows = await this.db
      .selectFrom('user_roles')
      .select(['role', 'selector'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(grantFromRow).filter((g): g is RoleGrant => g !== null);
  }

  /** A new account; its password checked for strength first. */
  async create(input: {
    name: string;
    password: string | null;
    grants: readonly RoleGrant[];
    oidcSubject?: string;
  }): Promise<UserRow> {
    if (input.password !== null) checkPasswordStrength(input.password, input.name);
    if (await this.byName(input.name)) {
      throw new FleetError('conflict', `An account named "${input.name}" exists already: choose another name.`);
    }
    const now = this.now();
    const row: UserRow = {
      id: `usr_${randomUUID()}`,
      name: input.name,
      password_hash: input.password === null ? null : await this.hasher.hash(input.password),
      created_at: now,
      disabled_at: null,
      totp_sealed: null,
      totp_enabled_at: null,
      totp_last_step: null,
      oidc_subject: input.oidcSubject ?? null,
    };
    noteAuditFacts({ 'result.id': row.id });
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('users')
        .values({ ...row, password_changed_at: input.password === null ? null : now })
        .execute();
      await writeGrants(trx, row.id, input.grants, now);
    });
    return row;
  }

  async setGrants(userId: string, grants: readonly RoleGrant[]): Promise<void> {
    await this.require(userId);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('user_roles').where('user_id', '=', userId).execute();
      await writeGrants(trx, userId, grants, this.now());
    });
    this.onChanged();
  }

  async setPassword(userId: string, password: string): Promise<void> {
    const user = await this.require(userId);
    checkPasswordStrength(password, user.name);
    const hash = await this.hasher.hash(password);
    await this.db
      .updateTable('users')
      .set({ password_hash: hash, password_changed_at: this.now() })
      .where('id', '=', userId)
      .execute();
  }

  async setDisabled(userId: string, disabled: boolean): Promise<void> {
    await this.require(userId);
    await this.db
      .updateTable('users')
      .set({ disabled_at: disabled ? this.now() : null })
      .where('id', '=', userId)
      .execute();
    this.onChanged();
  }

  /** Every account with its grants and its sessions' latest activity, by name. */
  async list(): Promise<UserView[]> {
    const users = await this.db.selectFrom('users').selectAll().orderBy('name').execute();
    const roles = await this.db.selectFrom('user_roles').selectAll().orderBy('created_at').orderBy('id').execute();
    const seen = await this.db
      .selectFrom('user_sessions')
      .select(['user_id', (eb) => eb.fn.max('last_seen_at').as('last')])
      .groupBy('user_id')
      .execute();
    const lastSeen = new Map(seen.map((s) => [s.user_id, Number(s.last)]));
    return users.map((u) =>
      viewOf(
        u,
        roles.filter((r) => r.user_id === u.id).flatMap((r) => grantFromRow(r) ?? []),
        lastSeen.get(u.id) ?? null,
      ),
    );
  }

  async view(userId: string): Promise<UserView> {
    const user = await this.require(userId);
    return viewOf(user, await this.grants(userId), null);
  }

  /** Whether an administrator on every node would remain if `userId` lost its grants or were disabled. */
  async anotherAdministrator(userId: string): Promise<boolean> {
    const rows = await this.db
      .selectFrom('user_roles')
      .innerJoin('users', 'users.id', 'user_roles.user_id')
      .select('users.id')
      .where('user_roles.role', '=', 'administrator')
      .where('user_roles.selector', 'is', null)
      .where('users.disabled_at', 'is', null)
      .where('users.id', '!=', userId)
      .limit(1)
      .execute();
    return rows.length > 0;
  }
}

async function writeGrants(trx: Db, userId: string, grants: readonly RoleGrant[], now: number): Promise<void> {
  const unique = new Map(grants.map((g) => [`${g.role}|${JSON.stringify(g.selector)}`, g]));
  if (unique.size === 0) return;
  await trx
    .insertInto('user_roles')
    .values(
      [...unique.values()].map((g) => ({
        id: `rol_${randomUUID()}`,
        user_id: userId,
        role: g.role,
        selector: g.selector === null ? null : JSON.stringify(g.selector),
        created_at: now,
      })),
    )
    .execute();
}

export function viewOf(user: UserRow, grants: RoleGrant[], lastSeenAt: number | null): UserView {
  return {
    id: user.id,
    name: user.name,
    createdAt: Number(user.created_at),
    disabled: user.disabled_at !== null,
    hasPassword: user.password_hash !== null,
    totpEnabled: user.totp_enabled_at !== null,
    oidc: user.oidc_subject !== null,
    grants: grants.map((g) => ({ role: g.role, selector: g.selector === null ? null : [...g.selector] })),
    lastSeenAt,
  };
}

/** The Caller of a signed-in person's request. */
export function userCaller(
  user: { id: string; name: string },
  grants: readonly RoleGrant[],
  sessionId: string,
  address: string | null,
  userAgent: string | null,
): Caller {
  return { kind: 'user', userId: user.id, name: user.name, tokenId: null, sessionId, grants, address, userAgent };
}
