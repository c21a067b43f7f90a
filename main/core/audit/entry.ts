// One audit entry: what is recorded, how it is bounded, and the SHA-256 that chains it to the entry
// before it. The hash covers every stored column but the hash itself, in a fixed order, so editing,
// deleting or reordering rows is found by `fleetdeck audit verify` (verify.ts).
import { createHash } from 'node:crypto';
import type { Caller } from '../../contract/caller.js';
import { HEADER_VALUE_MASK } from '../../contract/probe-schemas.js';
import type { AuditLogTable } from '../store/migrations/23-audit.js';

export type AuditOutcome = 'ok' | 'error' | 'attempt';

export interface AuditTarget {
  id: string;
  name: string | null;
}

/** What a part knows about the entry before it is chained (seq, hashes and time are the chain's). */
export interface AuditDraft {
  operation: string;
  caller: Caller;
  targets: AuditTarget[];
  detail: Record<string, unknown>;
  outcome: AuditOutcome;
  errorCode: string | null;
  refSeq: number | null;
}

const MAX_TARGETS = 100;
const MAX_DETAIL_CHARS = 8_192;
const MAX_STRING_CHARS = 1_024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Cut to `max` UTF-16 units, then well formed (a lone surrogate is U+FFFD), so both databases store it exactly. */
function wellFormed(value: string, max: number): string {
  return value.slice(0, max).replace(LONE_SURROGATE, '\uFFFD');
}

function text(value: string | null, max: number): string | null {
  return value === null ? null : wellFormed(value, max);
}

/** Detail without secrets, long strings cut, as JSON of at most 8 KiB (else a note that it was cut). */
export function detailJson(detail: Record<string, unknown>): string {
  const json = JSON.stringify(detail, (key, value: unknown) => {
    if (SECRET_KEY.test(key)) return '[redacted]';
    if (key === 'headers') return maskedHeaders(value);
    if (typeof value === 'string') return wellFormed(value, MAX_STRING_CHARS);
    return value;
  });
  if (json.length <= MAX_DETAIL_CHARS) return json;
  return JSON.stringify({ truncated: true, start: wellFormed(json, MAX_DETAIL_CHARS - 200) });
}

/**
 * HTTP headers' values are secrets (a probe's Authorization, a webhook's API key): their names are
 * recorded, the values masked, whether a list of `{ name, value }` (probes) or a name → value record.
 */
function maskedHeaders(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((h: unknown) =>
      typeof h === 'object' && h !== null && 'value' in h ? { ...h, value: HEADER_VALUE_MASK } : h,
    );
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).map((name) => [name, HEADER_VALUE_MASK]));
  }
  return value;
}

/** Input fields never recorded: credentials, keys, what is typed into a terminal, file contents. */
const SECRET_KEY = /pass|secret|token|private|key$|^key|credential|otp|stdin|^data$|^content$/i;

/** The row to insert, before chaining (seq, prev_hash and hash are set by `chain`). */
export function draftRow(
  draft: AuditDraft,
  at: number,
  instanceId: string,
): Omit<AuditLogTable, 'seq' | 'prev_hash' | 'hash'> {
  const targets = draft.targets.slice(0, MAX_TARGETS).map((t) => ({ id: t.id, name: text(t.name, 200) }));
  const more = draft.targets.length - targets.length;
  const detail = more > 0 ? { ...draft.detail, moreTargets: more } : draft.detail;
  const { caller } = draft;
  return {
    at,
    caller_kind: caller.kind,
    caller_name: text(caller.name, 200) ?? '',
    user_id: text(caller.userId, 64),
    token_id: text(caller.tokenId, 64),
    session_id: text(caller.sessionId, 64),
    address: text(caller.address, 64),
    user_agent: text(caller.userAgent, 512),
    instance_id: text(instanceId, 64) ?? '',
    operation: text(draft.operation, 64) ?? '',
    target_ids: JSON.stringify(targets.map((t) => t.id)),
    targets: JSON.stringify(targets),
    detail: detailJson(detail),
    outcome: draft.outcome,
    error_code: text(draft.errorCode, 64),
    ref_seq: draft.refSeq,
  };
}

/** SHA-256 (hex) of an entry: every column but `hash`, in this order, as JSON. */
export function entryHash(row: Omit<AuditLogTable, 'hash'>): string {
  const fields = [
    Number(row.seq),
    Number(row.at),
    row.caller_kind,
    row.caller_name,
    row.user_id,
    row.token_id,
    row.session_id,
    row.address,
    row.user_agent,
    row.instance_id,
    row.operation,
    row.target_ids,
    row.targets,
    row.detail,
    row.outcome,
    row.error_code,
    row.ref_seq === null ? null : Number(row.ref_seq),
    row.prev_hash,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** Links drafted rows after the chain's head: seq head+1…, each carrying the previous entry's hash. */
export function chainRows(
  head: { seq: number; hash: string },
  rows: Array<Omit<AuditLogTable, 'seq' | 'prev_hash' | 'hash'>>,
): { rows: AuditLogTable[]; head: { seq: number; hash: string } } {
  let seq = head.seq;
  let prev = head.hash;
  const chained = rows.map((row) => {
    seq += 1;
    const withPrev = { ...row, seq, prev_hash: prev };
    prev = entryHash(withPrev);
    return { ...withPrev, hash: prev };
  });
  return { rows: chained, head: { seq, hash: prev } };
}
