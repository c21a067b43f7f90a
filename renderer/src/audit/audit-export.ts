// The audit screen's filters as the API takes them, and the desktop's CSV (contract/audit-csv.ts, as
// GET /api/audit/export writes it).
import type { z } from 'zod';
import { auditCsvHeader, auditCsvLine } from '../../../main/contract/audit-csv';
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

export function entriesToCsv(entries: Entry[]): string {
  return auditCsvHeader() + entries.map(auditCsvLine).join('');
}
