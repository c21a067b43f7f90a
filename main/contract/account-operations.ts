// Contract operations of accounts (core/people/): one's own account (password, two factors,
// sessions) and, for administrators, the people of this fleet. Signing in and out are routes of the
// admin server (server/auth-routes.ts), since they set cookies.
import { z } from 'zod';
import {
  ChangePassword,
  CreateUser,
  DisableTotp,
  MyAccount,
  OidcSettingsView,
  RecoveryCodes,
  ResetPassword,
  SaveOidcSettings,
  SessionId,
  SessionView,
  TotpCode,
  TotpEnrollment,
  UpdateUser,
  UserId,
  UserView,
} from './account-schemas.js';
import type { Operation } from './contract.js';
import { Empty, Ok } from './schemas.js';

// contract.ts's `op`, repeated: importing a value from contract.ts would make an import cycle.
const op = <I extends z.ZodType, O extends z.ZodType>(o: Operation<I, O>): Operation<I, O> => o;

const byUser = z.object({ id: UserId });

export const accountOperations = {
  myAccount: op({
    method: 'GET',
    path: '/api/account',
    summary: 'Who is signed in: the account (name, roles, two factors), or the desktop / admin token',
    input: Empty,
    output: MyAccount,
  }),
  listMySessions: op({
    method: 'GET',
    path: '/api/account/sessions',
    summary: "The signed-in account's browser sessions (device, address, last seen)",
    input: Empty,
    output: z.array(SessionView),
  }),
  revokeMySession: op({
    method: 'DELETE',
    path: '/api/account/sessions/:id',
    summary: 'Sign one of my sessions out',
    input: SessionId,
    output: Ok,
  }),
  signOutEverywhere: op({
    method: 'POST',
    path: '/api/account/sign-out-everywhere',
    summary: 'Sign every session of my account out, this one included',
    input: Empty,
    output: z.object({ revoked: z.number() }),
  }),
  changeMyPassword: op({
    method: 'POST',
    path: '/api/account/password',
    summary: 'A new password (the current one required); my other sessions are signed out',
    input: ChangePassword,
    output: Ok,
  }),
  startTotpEnrollment: op({
    method: 'POST',
    path: '/api/account/totp',
    summary: 'Two-factor sign-in, step 1: a new TOTP secret and its QR code (not in force until confirmed)',
    input: Empty,
    output: TotpEnrollment,
  }),
  confirmTotpEnrollment: op({
    method: 'POST',
    path: '/api/account/totp/confirm',
    summary: 'Two-factor sign-in, step 2: a code from the app turns it on; the recovery codes are shown once',
    input: TotpCode,
    output: RecoveryCodes,
  }),
  disableMyTotp: op({
    method: 'POST',
    path: '/api/account/totp/disable',
    summary: 'Turn two-factor sign-in off (the password required)',
    input: DisableTotp,
    output: Ok,
  }),
  listUsers: op({
    method: 'GET',
    path: '/api/users',
    summary: 'Every account with its roles',
    input: Empty,
    output: z.array(UserView),
  }),
  createUser: op({
    method: 'POST',
    path: '/api/users',
    summary: 'A new account with a password and roles',
    input: CreateUser,
    output: UserView,
    status: 201,
  }),
  updateUser: op({
    method: 'PATCH',
    path: '/api/users/:id',
    summary: 'Disable or enable an account (a disabled one is signed out everywhere), or replace its roles',
    input: UpdateUser,
    output: UserView,
  }),
  resetUserPassword: op({
    method: 'POST',
    path: '/api/users/:id/password',
    summary: "Set an account's password (its sessions are signed out)",
    input: ResetPassword,
    output: Ok,
  }),
  resetUserTotp: op({
    method: 'POST',
    path: '/api/users/:id/totp/disable',
    summary: 'Turn two-factor sign-in off for someone who lost their app',
    input: byUser,
    output: Ok,
  }),
  listUserSessions: op({
    method: 'GET',
    path: '/api/users/:id/sessions',
    summary: "An account's browser sessions",
    input: byUser,
    output: z.array(SessionView),
  }),
  revokeUserSessions: op({
    method: 'POST',
    path: '/api/users/:id/sign-out',
    summary: 'Sign every session of an account out',
    input: byUser,
    output: z.object({ revoked: z.number() }),
  }),
  revokeSession: op({
    method: 'DELETE',
    path: '/api/sessions/:id',
    summary: 'Sign one browser session out',
    input: SessionId,
    output: Ok,
  }),
  getOidcSettings: op({
    method: 'GET',
    path: '/api/oidc',
    summary: 'OpenID Connect sign-in settings (the client secret is never shown)',
    input: Empty,
    output: OidcSettingsView.nullable(),
  }),
  saveOidcSettings: op({
    method: 'PUT',
    path: '/api/oidc',
    summary: 'OpenID Connect sign-in: provider, client, claim mapping, new accounts (the secret is sealed)',
    input: SaveOidcSettings,
    output: OidcSettingsView,
  }),
} as const;
