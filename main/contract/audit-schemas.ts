// The audit log's API shapes (contract: audit-operations.ts; core: core/audit/).
import { z } from 'zod';

const Time = z.coerce.number().int().min(0).max(253_402_300_799_999);

/** Filters shared by the list and the export (GET query strings, so numbers are coerced). */
export const AuditFilter = z.object({
  person: z.string().trim().min(1).max(200).optional().describe("the caller's name or user id"),
  nodeId: z.string().min(1).max(64).optional().describe('entries that targeted this node'),
  operation: z.string().min(1).max(64).optional().describe('the operation name (e.g. enqueueCommands, signIn)'),
  from: Time.optional().describe('at or after (epoch ms)'),
  to: Time.optional().describe('before (epoch ms)'),
});

export const ListAuditEntries = AuditFilter.extend({
  before: z.coerce.number().int().min(1).optional().describe('cursor: the seq of the last entry of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

export const AuditExport = AuditFilter.extend({
  format: z.enum(['csv', 'json']).default('csv'),
  limit: z.coerce.number().int().min(1).max(100_000).default(100_000).describe('most entries exported (newest first)'),
});

export const AuditEntryView = z.object({
  seq: z.number(),
  at: z.number(),
  caller: z.object({
    kind: z.string(),
    name: z.string(),
    userId: z.string().nullable(),
    tokenId: z.string().nullable(),
    sessionId: z.string().nullable(),
    address: z.string().nullable(),
    userAgent: z.string().nullable(),
  }),
  instanceId: z.string(),
  operation: z.string(),
  targets: z.array(z.object({ id: z.string(), name: z.string().nullable() })),
  detail: z.record(z.string(), z.unknown()),
  outcome: z.enum(['ok', 'error', 'attempt']),
  errorCode: z.string().nullable(),
  refSeq: z.number().nullable(),
  hash: z.string(),
});

export const AuditStatus = z.object({
  headSeq: z.number(),
  headHash: z.string(),
  anchorSeq: z.number().describe('entries up to this seq were pruned; the chain verifies from its hash'),
  anchorHash: z.string(),
  retentionDays: z.number(),
});
