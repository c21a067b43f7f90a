// The two streamed routes of the contract: download (with Range, for resuming) and upload.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Caller } from '../contract/caller.js';
import { streams } from '../contract/contract.js';
import { describeZodError } from '../contract/dispatch.js';
import { FleetError } from '../contract/errors.js';
import { errorCodeOf } from '../core/audit/audit-log.js';
import { checkedReply } from '../core/files/replies.js';
import type { Master } from '../core/master.js';

const types: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.conf': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.csv': 'text/csv',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
};

export function contentTypeOf(path: string): string {
  return types[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

function contentDisposition(path: string): string {
  const name = basename(path);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Parses a single `bytes=` range against the file size; null means the whole file. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) {
    throw new FleetError('bad_request', `Unsupported Range "${header}": use one range, bytes=start-[end].`);
  }
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || end < start)
    throw new FleetError('range_not_satisfiable', `Range "${header}" is outside the ${size}-byte file.`);
  return { start, end };
}

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } },
  raw: unknown,
): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new FleetError('bad_request', `Invalid input: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * A file read or write recorded in the audit log: reads once with their outcome and the bytes sent;
 * writes (`attempt`) also before they start, so a crash mid-upload leaves the attempt on record.
 */
async function audited<T extends { bytes: number } | undefined>(
  master: Master,
  caller: Caller,
  operation: 'downloadFile' | 'downloadByTicket' | 'uploadFile',
  target: { nodeId: string; path: string } | null,
  run: () => Promise<T>,
): Promise<T> {
  const targets = target ? [{ id: target.nodeId, name: null }] : [];
  const detail = target ? { path: target.path } : {};
  const refSeq =
    operation === 'uploadFile'
      ? await master.audit.recordEvent(operation, caller, 'attempt', { targets, detail })
      : null;
  try {
    const done = await run();
    await master.audit.recordEvent(operation, caller, 'ok', {
      targets,
      detail: { ...detail, bytes: done?.bytes ?? null },
      refSeq,
    });
    return done;
  } catch (error) {
    await master.audit
      .recordEvent(operation, caller, 'error', { targets, detail, errorCode: errorCodeOf(error), refSeq })
      .catch(() => undefined);
    throw error;
  }
}

export async function serveDownload(
  master: Master,
  input: Record<string, unknown>,
  req: IncomingMessage,
  res: ServerResponse,
  caller: Caller,
) {
  const { id, path } = parse(streams.downloadFile.input, input);
  return audited(master, caller, 'downloadFile', { nodeId: id, path }, () =>
    streamFile(master, id, path, req, res, {}),
  );
}

/** A browser download: the ticket names the node, path and transfer id, and is used up. */
export async function serveTicketDownload(
  master: Master,
  input: Record<string, unknown>,
  req: IncomingMessage,
  res: ServerResponse,
  caller: Caller,
) {
  const { ticket } = parse(streams.downloadByTicket.input, input);
  const grant = master.downloadTickets.redeem(ticket);
  return audited(master, caller, 'downloadByTicket', { nodeId: grant.nodeId, path: grant.path }, () =>
    streamFile(master, grant.nodeId, grant.path, req, res, { id: grant.transferId }),
  );
}

async function streamFile(
  master: Master,
  id: string,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  options: { id?: string },
) {
  // The size decides the Range answer: checked like every agent reply before it is used.
  const entry = checkedReply('statFile', id, await master.fileRpc.call(id, { method: 'files.stat', params: { path } }));
  if (entry.type === 'directory') throw new FleetError('is_a_directory', `${path} is a directory; list it instead.`);
  const range = parseRange(req.headers.range, entry.size);
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : entry.size;
  const download = await master.transfers.download(id, path, start, length, options);
  const headers: Record<string, string | number> = {
    'content-type': contentTypeOf(path),
    'content-length': download.length,
    'content-disposition': contentDisposition(path),
    'accept-ranges': 'bytes',
    'last-modified': new Date(download.mtime).toUTCString(),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (range) headers['content-range'] = `bytes ${start}-${start + download.length - 1}/${download.size}`;
  res.writeHead(range ? 206 : 200, headers);
  let sent = 0;
  download.stream.on('data', (chunk: Buffer) => {
    sent += chunk.length;
  });
  await pipeline(download.stream, res).catch(() => {
    // The client went away or the agent failed mid-stream; the stream was cancelled on both ends.
    res.destroy();
  });
  return { bytes: sent };
}

export async function serveUpload(
  master: Master,
  input: Record<string, unknown>,
  req: IncomingMessage,
  res: ServerResponse,
  caller: Caller,
) {
  const parsed = parse(streams.uploadFile.input, input);
  return audited(master, caller, 'uploadFile', { nodeId: parsed.id, path: parsed.path }, () =>
    upload(master, parsed, req, res),
  );
}

async function upload(
  master: Master,
  parsed: ReturnType<typeof parseUpload>,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const { id, path, overwrite, sha256, transferId, expectSize, expectMtime, expectSha256 } = parsed;
  const expect =
    expectSha256 !== undefined && expectSize !== undefined && expectMtime !== undefined
      ? { size: expectSize, mtime: expectMtime, sha256: expectSha256 }
      : null;
  if (expect) await requireGuardedWrites(master, id);
  const length = req.headers['content-length'] ? Number(req.headers['content-length']) : null;
  const result = await master.transfers.upload(id, path, req, {
    overwrite: overwrite ?? false,
    sha256: sha256 ?? null,
    size: length,
    expect,
    id: transferId,
  });
  if (length !== null && result.bytes !== length) {
    throw new FleetError('bad_request', `Received ${result.bytes} of ${length} bytes.`);
  }
  res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ path, bytes: result.bytes, sha256: result.sha256 }));
  return { bytes: result.bytes };
}

const parseUpload = (input: Record<string, unknown>) => parse(streams.uploadFile.input, input);

/** An agent from before edit-in-place would ignore the guard and overwrite: refuse instead. */
async function requireGuardedWrites(master: Master, nodeId: string): Promise<void> {
  const node = await master.registry.get(nodeId);
  if (!node.capabilities?.guardedWrites) {
    throw new FleetError(
      'capability_missing',
      `The agent of ${node.name} is too old to save edits safely (it cannot check that the file is unchanged); update it.`,
    );
  }
}
