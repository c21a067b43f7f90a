// The probe form's state and its conversion to the contract's probe: every field of every kind as the
// form holds it (texts), so a half-typed probe stays a draft until it is saved, and a saved probe opens
// and saves again without losing a field the form did not show. Bad input is sent as it is (a number
// that is not one goes as NaN): the master refuses it and the form marks the field, keeping the text.
import type { InputOf, OutputOf } from '../../../main/contract/contract.js';
import { parseLabels } from '../../../main/contract/labels.js';
import { HEADER_VALUE_MASK } from '../../../main/contract/probe-schemas.js';
import type { FieldIssue } from '../../../main/contract/wire.js';

export type Probe = OutputOf<'listProbes'>[number];
export type ProbeSpec = InputOf<'createProbe'>;
export type Kind = Probe['target']['kind'];
export const KINDS: Kind[] = ['http', 'tcp', 'ping', 'dns'];
export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SOA', 'SRV', 'PTR', 'CAA'] as const;

export interface ProbeDraft {
  name: string;
  enabled: boolean;
  kind: Kind;
  url: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'OPTIONS';
  expectStatus: string;
  keyword: string;
  /** A regular expression the body must match (empty: none). */
  pattern: string;
  /** The keyword or pattern must not be found. */
  invert: boolean;
  /** Sent with POST and PUT (empty: none). */
  body: string;
  followRedirects: boolean;
  /** One `Name: value` a line; a saved value shows as the mask, which saved again keeps it. */
  headers: string;
  ignoreTlsErrors: boolean;
  host: string;
  port: string;
  dnsName: string;
  recordType: (typeof RECORD_TYPES)[number];
  server: string;
  expect: string;
  intervalSec: string;
  timeoutMs: string;
  master: boolean;
  nodeIds: string[];
  selector: string;
  quorum: string;
  forSec: string;
}

export const EMPTY_DRAFT: ProbeDraft = {
  name: '',
  enabled: true,
  kind: 'http',
  url: 'https://',
  method: 'GET',
  expectStatus: '',
  keyword: '',
  pattern: '',
  invert: false,
  body: '',
  followRedirects: true,
  headers: '',
  ignoreTlsErrors: false,
  host: '',
  port: '443',
  dnsName: '',
  recordType: 'A',
  server: '',
  expect: '',
  intervalSec: '60',
  timeoutMs: '10000',
  master: true,
  nodeIds: [],
  selector: '',
  quorum: '1',
  forSec: '0',
};

/** A number field as typed: not rounded, not replaced by a default; empty or not a number is NaN. */
const num = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));

export { HEADER_VALUE_MASK };

/** `Name: value` lines as headers (blank lines skipped; a line without a colon is a header with no value). */
export function parseHeaders(text: string): Array<{ name: string; value: string }> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const colon = line.indexOf(':');
      return colon < 0
        ? { name: line, value: '' }
        : { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
    });
}

function targetOf(d: ProbeDraft): ProbeSpec['target'] {
  switch (d.kind) {
    case 'http': {
      const statuses = d.expectStatus
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return {
        kind: 'http',
        url: d.url.trim(),
        method: d.method,
        expectStatus: statuses,
        headers: parseHeaders(d.headers),
        ...(d.body ? { body: d.body } : {}),
        ...(d.keyword ? { keyword: d.keyword } : {}),
        ...(d.pattern ? { pattern: d.pattern } : {}),
        invert: d.invert,
        followRedirects: d.followRedirects,
        ignoreTlsErrors: d.ignoreTlsErrors,
      };
    }
    case 'tcp':
      return { kind: 'tcp', host: d.host.trim(), port: num(d.port) };
    case 'ping':
      return { kind: 'ping', host: d.host.trim() };
    case 'dns':
      return {
        kind: 'dns',
        name: d.dnsName.trim(),
        recordType: d.recordType,
        ...(d.server.trim() ? { server: d.server.trim() } : {}),
        ...(d.expect.trim() ? { expect: d.expect.trim() } : {}),
      };
  }
}

export function draftToSpec(d: ProbeDraft): ProbeSpec {
  const selector = parseLabels(d.selector);
  return {
    name: d.name.trim(),
    enabled: d.enabled,
    target: targetOf(d),
    intervalSec: num(d.intervalSec),
    timeoutMs: num(d.timeoutMs),
    vantage: {
      master: d.master,
      nodeIds: d.nodeIds,
      ...(Object.keys(selector).length > 0 ? { selector } : {}),
    },
    quorum: num(d.quorum),
    forSec: num(d.forSec),
  };
}

export function probeToDraft(p: Probe): ProbeDraft {
  const t = p.target;
  const d: ProbeDraft = {
    ...EMPTY_DRAFT,
    name: p.name,
    enabled: p.enabled,
    kind: t.kind,
    intervalSec: String(p.intervalSec),
    timeoutMs: String(p.timeoutMs),
    master: p.vantage.master,
    nodeIds: [...p.vantage.nodeIds],
    selector: Object.entries(p.vantage.selector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
    quorum: String(p.quorum),
    forSec: String(p.forSec),
  };
  if (t.kind === 'http') {
    Object.assign(d, {
      url: t.url,
      method: t.method,
      expectStatus: t.expectStatus.join(', '),
      keyword: t.keyword ?? '',
      pattern: t.pattern ?? '',
      invert: t.invert,
      body: t.body ?? '',
      followRedirects: t.followRedirects,
      headers: t.headers.map((h) => `${h.name}: ${h.value}`).join('\n'),
      ignoreTlsErrors: t.ignoreTlsErrors,
    });
  } else if (t.kind === 'tcp') Object.assign(d, { host: t.host, port: String(t.port) });
  else if (t.kind === 'ping') d.host = t.host;
  else Object.assign(d, { dnsName: t.name, recordType: t.recordType, server: t.server ?? '', expect: t.expect ?? '' });
  return d;
}

/** Whether the HTTP settings behind "Advanced" differ from a new probe's (then it opens shown). */
export function hasAdvanced(d: ProbeDraft): boolean {
  return (
    d.pattern !== '' ||
    d.invert ||
    d.body !== '' ||
    d.followRedirects !== EMPTY_DRAFT.followRedirects ||
    d.ignoreTlsErrors !== EMPTY_DRAFT.ignoreTlsErrors
  );
}

/** The form's fields a refusal can point at: the draft's, and the vantage points as a whole. */
export type DraftField = Exclude<keyof ProbeDraft, 'nodeIds' | 'master'> | 'vantage';
/** Fields inside the HTTP "Advanced" section (an error there opens it). */
export const ADVANCED_FIELDS: readonly DraftField[] = [
  'pattern',
  'invert',
  'body',
  'followRedirects',
  'ignoreTlsErrors',
];

/** The target's properties where the draft's field is named otherwise. */
const TARGET_FIELD = new Map<string, DraftField>([
  ['name', 'dnsName'],
  ['kind', 'kind'],
]);

/** Which field of the form an issue of the master's points at (null: none, say it above the buttons). */
export function issueField(path: readonly (string | number)[]): DraftField | null {
  const [head, second] = path;
  if (head === 'target') {
    if (second === undefined) return 'kind';
    const key = String(second);
    return TARGET_FIELD.get(key) ?? (Object.hasOwn(EMPTY_DRAFT, key) ? (key as DraftField) : null);
  }
  if (head === 'vantage') return second === 'selector' ? 'selector' : 'vantage';
  const key = String(head ?? '');
  return Object.hasOwn(EMPTY_DRAFT, key) && key !== 'nodeIds' && key !== 'master' ? (key as DraftField) : null;
}

/** The master's issues by field (first one wins), and those that point at none. */
export function issuesByField(issues: readonly FieldIssue[]): {
  fields: Partial<Record<DraftField, FieldIssue>>;
  other: FieldIssue[];
} {
  const fields: Partial<Record<DraftField, FieldIssue>> = {};
  const other: FieldIssue[] = [];
  for (const issue of issues) {
    const field = issueField(issue.path);
    if (field === null) other.push(issue);
    else fields[field] ??= issue;
  }
  return { fields, other };
}

/** What the probe checks, in one line (its URL, host:port, host, or name and type). */
export function targetLine(t: Probe['target']): string {
  switch (t.kind) {
    case 'http':
      return `${t.method} ${t.url}`;
    case 'tcp':
      return `${t.host}:${t.port}`;
    case 'ping':
      return t.host;
    case 'dns':
      return `${t.name} ${t.recordType}${t.server ? ` @${t.server}` : ''}`;
  }
}

/** The median of the fresh vantage points' latencies (null: none answered). */
export function medianLatency(p: Probe): number | null {
  const values = p.vantages
    .flatMap((v) => (v.fresh && v.latencyMs !== null ? [v.latencyMs] : []))
    .sort((a, b) => a - b);
  return values.length === 0 ? null : (values[Math.floor((values.length - 1) / 2)] as number);
}
