// The account operations of the contract. Managing people takes an administrator of every node;
// one's own account takes a signed-in account (the desktop and the admin token have none).
import type { Caller } from '../../contract/caller.js';
import type { Handlers } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import type { Accounts } from './accounts.js';

type AccountHandlers = Pick<
  Handlers,
  | 'myAccount'
  | 'listMySessions'
  | 'revokeMySession'
  | 'signOutEverywhere'
  | 'changeMyPassword'
  | 'startTotpEnrollment'
  | 'confirmTotpEnrollment'
  | 'disableMyTotp'
  | 'listUsers'
  | 'createUser'
  | 'updateUser'
  | 'resetUserPassword'
  | 'resetUserTotp'
  | 'listUserSessions'
  | 'revokeUserSessions'
  | 'revokeSession'
  | 'getOidcSettings'
  | 'saveOidcSettings'
>;

/** An administrator of every node (the desktop and the admin token are). */
export function requireFleetAdministrator(caller: Caller): void {
  if (caller.grants.some((g) => g.role === 'administrator' && g.selector === null)) return;
  throw new FleetError('forbidden', 'Managing people takes the administrator role on every node.');
}

function signedIn(caller: Caller): string {
  if (caller.userId === null || caller.kind !== 'user') {
    throw new FleetError(
      'bad_request',
      caller.kind === 'api-token'
        ? 'An API token cannot change its account: sign in to the web UI.'
        : `Signed in as the ${caller.name}, which has no account: sign in with an account for this.`,
    );
  }
  return caller.userId;
}

const OK = { ok: true } as const;

export function accountHandlers(accounts: Accounts): AccountHandlers {
  const { users, sessions } = accounts;
  const admin = <I, O>(fn: (input: I, caller: Caller) => Promise<O>) => {
    return async (input: I, caller: Caller) => {
      requireFleetAdministrator(caller);
      return fn(input, caller);
    };
  };
  return {
    myAccount: async (_input, caller) => ({
      kind: caller.kind,
      name: caller.name,
      user: caller.userId ? await users.view(caller.userId) : null,
    }),
    listMySessions: async (_input, caller) => sessions.list(signedIn(caller), caller.sessionId),
    revokeMySession: async ({ id }, caller) => {
      if (!(await sessions.revoke(id, signedIn(caller)))) throw new FleetError('not_found', 'No such session.');
      return OK;
    },
    signOutEverywhere: async (_input, caller) => ({ revoked: await sessions.revokeAll(signedIn(caller)) }),
    changeMyPassword: async ({ currentPassword, newPassword }, caller) => {
      await accounts.changePassword(signedIn(caller), currentPassword, newPassword, caller.sessionId);
      return OK;
    },
    startTotpEnrollment: async (_input, caller) => accounts.startTotp(signedIn(caller)),
    confirmTotpEnrollment: async ({ code }, caller) => accounts.confirmTotp(signedIn(caller), code),
    disableMyTotp: async ({ password }, caller) => {
      await accounts.disableTotp(signedIn(caller), password);
      return OK;
    },
    listUsers: admin(async () => users.list()),
    createUser: admin(async ({ name, password, grants }) => {
      const user = await users.create({ name, password: password ?? null, grants });
      return users.view(user.id);
    }),
    updateUser: admin(async ({ id, disabled, grants }) => {
      const losesAdmin =
        disabled === true ||
        (grants !== undefined && !grants.some((g) => g.role === 'administrator' && g.selector === null));
      if (losesAdmin && !(await users.anotherAdministrator(id))) {
        const target = await users.require(id);
        const wasAdmin = (await users.grants(target.id)).some((g) => g.role === 'administrator' && g.selector === null);
        if (wasAdmin && target.disabled_at === null) {
          throw new FleetError('conflict', 'This is the last enabled administrator: make someone else one first.');
        }
      }
      if (grants !== undefined) await users.setGrants(id, grants);
      if (disabled !== undefined) {
        await users.setDisabled(id, disabled);
        if (disabled) await sessions.revokeAll(id);
      }
      return users.view(id);
    }),
    resetUserPassword: admin(async ({ id, password }) => {
      await users.setPassword(id, password);
      await sessions.revokeAll(id);
      return OK;
    }),
    resetUserTotp: admin(async ({ id }) => {
      await accounts.disableTotp(id, null);
      return OK;
    }),
    listUserSessions: admin(async ({ id }, caller) => sessions.list(id, caller.sessionId)),
    revokeUserSessions: admin(async ({ id }) => ({ revoked: await sessions.revokeAll(id) })),
    revokeSession: admin(async ({ id }) => {
      if (!(await sessions.revoke(id))) throw new FleetError('not_found', 'No such session.');
      return OK;
    }),
    getOidcSettings: admin(async () => accounts.oidc.view()),
    saveOidcSettings: admin(async (input) => accounts.oidc.save(input)),
  };
}
