// The probe form's state and its conversion to the contract's probe: every field as the form holds it
// (texts), so a half-typed probe stays a draft until it is saved.
import type { InputOf, OutputOf } from '../../../main/contract/contract';
import { parseLabels } from '../../../main/contract/labels';
import { HEADER_VALUE_MASK } from '../../../main/contract/probe-schemas';

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

const int = (text: string, fallback: number) => {
  const n = Number(text);
  return Number.isFinite(n) && text.trim() !== '' ? Math.round(n) : fallback;
};

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
        ...(d.keyword ? { keyword: d.keyword } : {}),
        ignoreTlsErrors: d.ignoreTlsErrors,
      };
    }
    case 'tcp':
      return { kind: 'tcp', host: d.host.trim(), port: int(d.port, 0) };
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
    intervalSec: int(d.intervalSec, 60),
    timeoutMs: int(d.timeoutMs, 10_000),
    vantage: {
      master: d.master,
      nodeIds: d.nodeIds,
      ...(Object.keys(selector).length > 0 ? { selector } : {}),
    },
    quorum: int(d.quorum, 1),
    forSec: int(d.forSec, 0),
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
      headers: t.headers.map((h) => `${h.name}: ${h.value}`).join('\n'),
      ignoreTlsErrors: t.ignoreTlsErrors,
    });
  } else if (t.kind === 'tcp') Object.assign(d, { host: t.host, port: String(t.port) });
  else if (t.kind === 'ping') d.host = t.host;
  else Object.assign(d, { dnsName: t.name, recordType: t.recordType, server: t.server ?? '', expect: t.expect ?? '' });
  return d;
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
