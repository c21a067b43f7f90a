// Contract handlers for the audit log.
import type { Handlers } from '../../contract/contract.js';
import type { AuditLog } from './audit-log.js';
import { listAuditEntries } from './reads.js';

export function auditHandlers(audit: AuditLog): Pick<Handlers, 'listAuditEntries' | 'auditStatus'> {
  return {
    listAuditEntries: (input) => listAuditEntries(audit.db, input),
    auditStatus: async () => {
      const chain = await audit.db.selectFrom('audit_chain').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
      return {
        headSeq: Number(chain.head_seq),
        headHash: chain.head_hash,
        anchorSeq: Number(chain.anchor_seq),
        anchorHash: chain.anchor_hash,
        retentionDays: audit.options.retentionDays,
      };
    },
  };
}
