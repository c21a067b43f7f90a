// Shapes of accounts, roles, sessions and second factors (core/people/), for the contract's
// account operations and the sign-in routes of the admin server.
import { z } from 'zod';
import { ROLES } from './caller.js';
import { LabelKey } from './schemas.js';

export const UserId = z.string().min(1).max(64);

export const UserName = z
  .string()
  .trim()
  .min(1, 'an account needs a name')
  .max(128, 'account names are at most 128 characters')
  .regex(/^[\p{L}\p{N}._@+-]+$/u, 'account names are letters, digits and . _ @ + - (no spaces)');

/** Bounded here; the strength rules live in core/people/passwords.ts (one clear message each). */
export const Password = z.string().min(1, 'a password is required').max(256, 'passwords are at most 256 characters');

export const LabelPairSchema = z.tuple([LabelKey, z.string().max(128)]);

export const RoleGrantSchema = z.object({
  role: z.enum(ROLES),
  /** null: every node; otherwise nodes whose labels include every pair. */
  selector: z.array(LabelPairSchema).min(1).max(16).nullable(),
});

export const UserView = z.object({
  id: UserId,
  name: z.string(),
  createdAt: z.number(),
  disabled: z.boolean(),
  hasPassword: z.boolean(),
  totpEnabled: z.boolean(),
  oidc: z.boolean(),
  grants: z.array(RoleGrantSchema),
  /** The latest activity of any of its sessions. */
  lastSeenAt: z.number().nullable(),
});
export type UserView = z.infer<typeof UserView>;

export const CreateUser = z.object({
  name: UserName,
  /**
   * Left out: the account signs in only through single sign-on, bound at its first sign-in to the
   * identity whose name claim is its name. An account with a password is never bound that way.
   */
  password: Password.optional().describe(
    'Leave out for an account that signs in only through single sign-on (bound to the identity whose name claim matches, at its first sign-in).',
  ),
  grants: z.array(RoleGrantSchema).max(32).default([]),
});

export const UpdateUser = z.object({
  id: UserId,
  disabled: z.boolean().optional(),
  grants: z.array(RoleGrantSchema).max(32).optional(),
});

export const ResetPassword = z.object({ id: UserId, password: Password });

export const SessionView = z.object({
  id: z.string(),
  userId: UserId,
  method: z.string(),
  createdAt: z.number(),
  lastSeenAt: z.number(),
  expiresAt: z.number(),
  address: z.string().nullable(),
  userAgent: z.string().nullable(),
  /** The session this request came with. */
  current: z.boolean(),
});
export type SessionView = z.infer<typeof SessionView>;

export const SessionId = z.object({ id: z.string().min(1).max(64) });

export const MyAccount = z.object({
  kind: z.enum(['desktop', 'admin-token', 'user', 'api-token', 'system', 'anonymous']),
  name: z.string(),
  user: UserView.nullable(),
});

// Field names that say "password", so the audit log redacts them.
export const ChangePassword = z.object({ currentPassword: Password, newPassword: Password });

export const TotpEnrollment = z.object({
  /** Base32, for typing into an app that cannot scan. */
  secret: z.string(),
  otpauthUrl: z.string(),
  /** The otpauth URL as an SVG QR code. */
  qrSvg: z.string(),
});

export const TotpCode = z.object({ code: z.string().trim().min(6).max(32) });
export const RecoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });
export const DisableTotp = z.object({ password: Password });

export const OidcSettingsView = z.object({
  enabled: z.boolean(),
  label: z.string(),
  issuer: z.string(),
  clientId: z.string(),
  hasClientSecret: z.boolean(),
  redirectUrl: z.string(),
  nameClaim: z.string(),
  autoCreate: z.boolean(),
  defaultGrant: RoleGrantSchema.nullable(),
});

export const SaveOidcSettings = z.object({
  enabled: z.boolean(),
  label: z.string().trim().min(1).max(128).default('Single sign-on'),
  issuer: z.url().max(1024),
  clientId: z.string().min(1).max(512),
  /** Omitted: keep the stored one; null: none (a public client). */
  clientSecret: z.string().min(1).max(2048).nullable().optional(),
  redirectUrl: z.url().max(1024),
  nameClaim: z.string().min(1).max(128).default('preferred_username'),
  autoCreate: z.boolean().default(false),
  defaultGrant: RoleGrantSchema.nullable().default(null),
});

/** The sign-in routes (server/auth-routes.ts): not contract operations, since they set cookies. */
export const SignIn = z.object({
  name: UserName,
  password: Password,
  /** A TOTP code or a recovery code, when the account has two factors. */
  code: z.string().trim().min(6).max(32).optional(),
});

export const FirstRunSetup = z.object({
  token: z.string().min(16).max(128),
  name: UserName,
  password: Password,
});

export const AuthState = z.object({
  /** No account exists yet: the first-run link creates the first administrator. */
  setupRequired: z.boolean(),
  oidc: z.object({ enabled: z.boolean(), label: z.string() }),
  signedIn: z.boolean(),
});
