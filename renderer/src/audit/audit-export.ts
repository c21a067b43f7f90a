// The audit screen's filters as the API takes them, and the desktop's CSV (the same columns and
// quoting as GET /api/audit/export: server/audit-export.ts).
import type { z } from 'zod';
import type { AuditEntryView } from '../../../main/contract/audit-schemas';

type Entry = z.output<typeof AuditEntryView>;

export interface AuditFilters {
  person?: string | undefined;
  nodeId?: string | undefined;
  operation?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

/** Only the filters that are set (the API refuses empty strings). */
export function filtersInput(filters: AuditFilters): AuditFilters {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== '')) as AuditFilters;
}

export function exportQuery(filters: AuditFilters, format: 'csv' | 'json'): string {
  const values = Object.entries(filtersInput(filters)).map(([k, v]) => [k, String(v)]);
  return new URLSearchParams([...values, ['format', format]]).toString();
}

const COLUMNS = [
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
];

function cell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

export function entriesToCsv(entries: Entry[]): string {
  const rows = entries.map((e) => [
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
  return [COLUMNS, ...rows].map((row) => `${row.map(cell).join(',')}\r\n`).join('');
}
