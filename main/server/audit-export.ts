// GET /api/audit/export?format=csv|json&…filters: the audit log streamed newest first, 1,000 entries a
// read, at most `limit` (100,000) entries, so an export never holds the log in memory. CSV cells that
// a spreadsheet would run as a formula are prefixed with a quote.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuditExport } from '../contract/audit-schemas.js';
import { describeZodError } from '../contract/dispatch.js';
import { FleetError } from '../contract/errors.js';
import { type AuditEntry, exportEntries } from '../core/audit/reads.js';
import type { Db } from '../core/store/schema.js';
import { securityHeaders } from './http-kit.js';

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

/**
 * One RFC 4180 cell: always quoted, quotes doubled (a dependency for this would be larger than it);
 * a cell a spreadsheet would evaluate (=, +, -, @, tab, CR) is kept as text with a leading quote.
 */
function cell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

const line = (cells: string[]) => `${cells.join(',')}\r\n`;

function csvRow(e: AuditEntry): string {
  const row = [
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
  ].map(cell);
  return line(row);
}

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
    if (format === 'csv') await write(res, line(COLUMNS.map(cell)));
    else await write(res, '[');
    let first = true;
    for await (const entry of exportEntries(db, filter, limit)) {
      if (res.destroyed) return;
      if (format === 'csv') await write(res, csvRow(entry));
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
