// Who am I, and the API tokens people create for scripts (main/core/access/). Spread into the
// contract; their access rules are in access-rules.ts like every other operation's.
import { z } from 'zod';
import { ROLES } from './caller.js';
import type { Operation } from './contract.js';
import { Labels } from './schemas.js';

const Role = z.enum(ROLES);
const Grant = z.object({
  role: Role,
  selector: z
    .array(z.tuple([z.string(), z.string()]))
    .nullable()
    .describe('label pairs; null: every node'),
});

export const WhoAmI = z.object({
  kind: z.enum(['desktop', 'admin-token', 'user', 'api-token', 'system', 'anonymous']),
  name: z.string(),
  userId: z.string().nullable(),
  tokenId: z.string().nullable(),
  grants: z.array(Grant),
});
export type WhoAmI = z.infer<typeof WhoAmI>;

/** Longest life of an API token (days); a token without an expiry is refused. */
export const MAX_API_TOKEN_DAYS = 366;

export const CreateApiToken = z.object({
  name: z.string().trim().min(1, 'a token needs a name').max(64),
  role: Role,
  selector: Labels.nullable()
    .default(null)
    .describe('only nodes whose labels include all of these (null: every node your own role covers)'),
  expiresInDays: z.number().int().min(1).max(MAX_API_TOKEN_DAYS).default(90),
});

export const ApiTokenView = z.object({
  id: z.string(),
  name: z.string(),
  /** Who created it: the account's name, or "admin token" / "desktop" for the bootstrap credentials. */
  owner: z.string(),
  role: Role,
  selector: Labels.nullable(),
  createdAt: z.number(),
  expiresAt: z.number(),
  revokedAt: z.number().nullable(),
  /** Updated at most once a minute per token (not per request). */
  lastUsedAt: z.number().nullable(),
  lastUsedAddress: z.string().nullable(),
});
export type ApiTokenView = z.infer<typeof ApiTokenView>;

export type CreateApiToken = z.output<typeof CreateApiToken>;

export const CreatedApiToken = z.object({
  token: z.string().describe('fdk_…: shown once, store it now (only its hash is kept)'),
  view: ApiTokenView,
});
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;

const op = <I extends z.ZodType, O extends z.ZodType>(o: Operation<I, O>): Operation<I, O> => o;

export const accessOperations = {
  whoAmI: op({
    method: 'GET',
    path: '/api/me',
    summary: 'Who is calling: name, kind of credential and roles (with their label scopes)',
    input: z.object({}),
    output: WhoAmI,
  }),
  listApiTokens: op({
    method: 'GET',
    path: '/api/api-tokens',
    summary: 'Your API tokens (an unscoped administrator sees everyone’s), never the tokens themselves',
    input: z.object({}),
    output: z.array(ApiTokenView),
  }),
  createApiToken: op({
    method: 'POST',
    path: '/api/api-tokens',
    summary: 'Create an API token (role and label scope no wider than your own); the token is shown once',
    input: CreateApiToken,
    output: CreatedApiToken,
    status: 201,
  }),
  revokeApiToken: op({
    method: 'POST',
    path: '/api/api-tokens/:id/revoke',
    summary: 'Revoke an API token now (requests with it get 401 from then on)',
    input: z.object({ id: z.string().min(1).max(64) }),
    output: ApiTokenView,
  }),
} as const;
