// One-line agent installs: enrollment codes and the install commands that carry them.
import { z } from 'zod';
import { Labels, NodeName } from './schemas.js';

/** Default lifetime of a code: long enough to paste the line on a host, short enough to leak harmlessly. */
export const DEFAULT_CODE_TTL_SEC = 15 * 60;
/** The largest batch one code may enroll. */
export const MAX_BATCH_USES = 1000;

/** What an admin pastes: `XXXX-XXXX` of Crockford base32 (no I, L, O, U); case and dashes are forgiven. */
export const EnrollmentCodeText = z
  .string()
  .trim()
  .max(32, 'an enrollment code looks like ABCD-EFGH')
  .transform((s) => s.toUpperCase().replace(/[\s-]/g, ''))
  .refine((s) => /^[0-9A-HJKMNP-TV-Z]{8}$/.test(s), 'an enrollment code looks like ABCD-EFGH (8 letters and digits)');

export const CreateEnrollmentCode = z
  .object({
    name: NodeName.optional().describe('the node this code enrolls (single use); omit for a batch'),
    labels: Labels.optional().describe('labels every node enrolled with the code gets'),
    maxUses: z
      .number()
      .int()
      .min(1)
      .max(MAX_BATCH_USES, `a batch enrolls at most ${MAX_BATCH_USES} nodes`)
      .optional()
      .describe('a batch: up to this many hosts, each named by its hostname (default 1)'),
    ttlSec: z
      .number()
      .int()
      .min(60, 'a code lives at least 60 seconds')
      .max(7 * 86_400, 'a code lives at most 7 days')
      .optional()
      .describe(`lifetime in seconds (default ${DEFAULT_CODE_TTL_SEC})`),
  })
  .refine((c) => c.name === undefined || (c.maxUses ?? 1) === 1, {
    message: 'a code bound to one node name is single-use: leave out maxUses, or the name for a batch',
    path: ['maxUses'],
  });

export const EnrollmentCodeView = z.object({
  id: z.string(),
  name: z.string().nullable().describe('the node name it enrolls; null: each host is named by its hostname'),
  labels: z.record(z.string(), z.string()),
  maxUses: z.number(),
  uses: z.number(),
  createdAt: z.number(),
  expiresAt: z.number(),
  revokedAt: z.number().nullable(),
  lastUsedAt: z.number().nullable(),
  state: z.enum(['active', 'used', 'expired', 'revoked']),
  nodeIds: z.array(z.string()).describe('nodes enrolled with it, oldest first'),
});

export const InstallCommands = z.object({
  curl: z.string().describe('pipe the script to sh; curl pins the gateway key (--pinnedpubkey)'),
  wget: z.string().describe('download, check the script against its SHA-256, run'),
  scriptUrl: z.string(),
  scriptSha256: z.string(),
});

export const CreatedEnrollmentCode = z.object({
  code: z.string().describe('shown once; only its hash is kept'),
  enrollment: EnrollmentCodeView,
  install: InstallCommands,
});
