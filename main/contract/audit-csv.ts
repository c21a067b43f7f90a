// The audit log as CSV: one definition of the columns, their order and the quoting, shared by the
// server's streamed export (server/audit-export.ts) and the desktop's export in the renderer.
import type { z } from 'zod';
import type { AuditEntryView } from './audit-schemas.js';

type AuditEntry = z.output<typeof AuditEntryView>;

export const AUDIT_CSV_COLUMNS = [
  'seq',
  'time',
  'caller_kind',
  'caller',
  'user_id',
  'token_id',
  'address',
  'user_agent',
  'instance',
  'operation',
  'targets',
  'outcome',
  'error_code',
  'ref_seq',
  'detail',
  'hash',
] as const;

/**
 * One RFC 4180 cell: always quoted, quotes doubled (a dependency for this would be larger than it);
 * a cell a spreadsheet would evaluate (=, +, -, @, tab, CR) is kept as text with a leading quote.
 */
function cell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

const line = (cells: ReadonlyArray<string | number | null>) => `${cells.map(cell).join(',')}\r\n`;

/** The header line. */
export const auditCsvHeader = (): string => line(AUDIT_CSV_COLUMNS);

/** One entry's line, in the columns' order. */
export function auditCsvLine(e: AuditEntry): string {
  return line([
    e.seq,
    new Date(e.at).toISOString(),
    e.caller.kind,
    e.caller.name,
    e.caller.userId,
    e.caller.tokenId,
    e.caller.address,
    e.caller.userAgent,
    e.instanceId,
    e.operation,
    e.targets.map((t) => t.name ?? t.id).join(' '),
    e.outcome,
    e.errorCode,
    e.refSeq,
    JSON.stringify(e.detail),
    e.hash,
  ]);
}
