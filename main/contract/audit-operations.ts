// The audit log's operations, spread into the contract (contract.ts). Export (CSV/JSON, streamed) is
// the route GET /api/audit/export served by server/audit-export.ts.
import { z } from 'zod';
import { AuditEntryView, AuditStatus, ListAuditEntries } from './audit-schemas.js';
import type { Operation } from './contract.js';

function op<I extends z.ZodType, O extends z.ZodType>(o: Operation<I, O>): Operation<I, O> {
  return o;
}

export const auditOperations = {
  listAuditEntries: op({
    method: 'GET',
    path: '/api/audit',
    summary: 'Audit log entries, newest first, filtered by person, node, operation and time; paged by seq',
    input: ListAuditEntries,
    output: z.array(AuditEntryView),
  }),
  auditStatus: op({
    method: 'GET',
    path: '/api/audit/status',
    summary: "The audit chain's head, its pruning anchor and the retention",
    input: z.object({}),
    output: AuditStatus,
  }),
} as const;
