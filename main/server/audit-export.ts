// GET /api/audit/export?format=csv|json&…filters: the audit log streamed newest first, 1,000 entries a
// read, at most `limit` (100,000) entries, so an export never holds the log in memory. CSV as
// contract/audit-csv.ts writes it (formula-looking cells kept as text).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { auditCsvHeader, auditCsvLine } from '../contract/audit-csv.js';
import { AuditExport } from '../contract/audit-schemas.js';
import { describeZodError } from '../contract/dispatch.js';
import { FleetError } from '../contract/errors.js';
import { exportEntries } from '../core/audit/reads.js';
import type { Db } from '../core/store/schema.js';
import { securityHeaders } from './http-kit.js';

/** Writes, then waits for the socket to drain when it is full (a slow client slows the reads). */
async function write(res: ServerResponse, text: string): Promise<void> {
  if (!res.write(text)) await new Promise<void>((resolve) => res.once('drain', resolve));
}

export async function serveAuditExport(db: Db, url: URL, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parsed = AuditExport.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) throw new FleetError('bad_request', `Invalid export: ${describeZodError(parsed.error)}`);
  const { format, limit, ...filter } = parsed.data;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.writeHead(200, {
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    'content-disposition': `attachment; filename="fleetdeck-audit-${stamp}.${format}"`,
    'cache-control': 'no-store',
    ...securityHeaders,
  });
  try {
    if (format === 'csv') await write(res, auditCsvHeader());
    else await write(res, '[');
    let first = true;
    for await (const entry of exportEntries(db, filter, limit)) {
      if (res.destroyed) return;
      if (format === 'csv') await write(res, auditCsvLine(entry));
      else await write(res, `${first ? '' : ','}\n${JSON.stringify(entry)}`);
      first = false;
    }
    if (format === 'json') await write(res, '\n]\n');
    res.end();
  } catch {
    // Headers are gone: cut the response so the client sees an incomplete download, not a short file.
    res.destroy();
  }
}
