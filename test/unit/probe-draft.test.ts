// The probe form's state: a saved probe of every kind, with every field set, opens in the form and
// saves back exactly as it was (a field the form does not show would be lost otherwise); bad input
// stays in the draft as typed, and each of the master's refusals points at the field that caused it.
import { describe, expect, it } from 'vitest';
import { fieldIssues } from '../../main/contract/dispatch.js';
import { ProbeSpec } from '../../main/contract/probe-schemas.js';
import {
  type DraftField,
  draftToSpec,
  EMPTY_DRAFT,
  hasAdvanced,
  issueField,
  issuesByField,
  type Probe,
  type ProbeDraft,
  probeToDraft,
} from '../../renderer/src/probes/probe-draft.js';

type Spec = ReturnType<typeof draftToSpec>;

const common = {
  name: 'every field',
  enabled: false,
  intervalSec: 90,
  timeoutMs: 4_500,
  vantage: { master: true, nodeIds: ['node-a', 'node-b'], selector: { region: 'eu', probe: 'yes' } },
  quorum: 2,
  forSec: 120,
};

/** One spec a kind, every optional field set and every default changed. */
const SPECS: Spec[] = [
  {
    ...common,
    target: {
      kind: 'http',
      url: 'https://example.com/health?full=1',
      method: 'POST',
      headers: [
        { name: 'Authorization', value: '••••' },
        { name: 'X-Trace', value: '••••' },
      ],
      body: '{"ping": true,\n "deep": "a: b"}',
      expectStatus: ['200', '3xx'],
      keyword: 'healthy',
      pattern: '^ok|up$',
      invert: true,
      followRedirects: false,
      ignoreTlsErrors: true,
    },
  },
  { ...common, target: { kind: 'tcp', host: 'db.example.com', port: 5432 } },
  { ...common, target: { kind: 'ping', host: '2001:db8::1' } },
  {
    ...common,
    target: {
      kind: 'dns',
      name: 'example.com',
      recordType: 'MX',
      server: '127.0.0.1:5353',
      expect: '10 mail.example.com',
    },
  },
];

/** A spec as the list answers it: the definition with its id, times and live state. */
function saved(spec: Spec): Probe {
  return {
    ...ProbeSpec.parse(spec),
    id: 'prb_abcdefgh',
    createdAt: 1,
    updatedAt: 2,
    state: 'up',
    since: null,
    downCount: 0,
    needed: 1,
    vantages: [],
  };
}

/** Why the master refuses the spec of this draft, by field (the same schema and issue paths it sends). */
function refusedFields(draft: ProbeDraft): DraftField[] {
  const parsed = ProbeSpec.safeParse(draftToSpec(draft));
  if (parsed.success) return [];
  return Object.keys(issuesByField(fieldIssues(parsed.error)).fields) as DraftField[];
}

describe('probe form drafts', () => {
  it('opens a saved probe of every kind with every field set and saves it back unchanged', () => {
    for (const spec of SPECS) {
      // Every field of the spec is one the schema keeps (no typo hides a dropped field).
      expect(ProbeSpec.parse(spec), spec.target.kind).toEqual(spec);
      const draft = probeToDraft(saved(spec));
      expect(draftToSpec(draft), spec.target.kind).toEqual(spec);
      // Twice round: what the form shows is what it saves.
      expect(draftToSpec(probeToDraft(saved(draftToSpec(draft)))), spec.target.kind).toEqual(spec);
    }
  });

  it('keeps every HTTP field a probe created through the API has, defaults included', () => {
    const minimal = ProbeSpec.parse({
      name: 'api',
      target: { kind: 'http', url: 'https://a.example/' },
      vantage: { master: true },
    });
    expect(draftToSpec(probeToDraft(saved(minimal)))).toEqual(minimal);
    // Only a probe with something behind "Advanced" opens it.
    expect(hasAdvanced(probeToDraft(saved(minimal)))).toBe(false);
    expect(hasAdvanced(probeToDraft(saved(SPECS[0] as Spec)))).toBe(true);
  });

  it('a new probe from the empty form is one the master accepts', () => {
    const spec = ProbeSpec.parse(draftToSpec({ ...EMPTY_DRAFT, name: 'new', url: 'https://example.com/' }));
    expect(spec.target).toEqual({
      kind: 'http',
      url: 'https://example.com/',
      method: 'GET',
      headers: [],
      expectStatus: [],
      invert: false,
      followRedirects: true,
      ignoreTlsErrors: false,
    });
  });

  it('sends a number that is not one as it is, for the master to refuse, and never a default in its place', () => {
    const draft = {
      ...EMPTY_DRAFT,
      name: 'n',
      url: 'https://example.com/',
      intervalSec: '',
      timeoutMs: 'abc',
      quorum: '1.5',
    };
    const spec = draftToSpec(draft);
    expect(spec.intervalSec).toBeNaN();
    expect(spec.timeoutMs).toBeNaN();
    expect(spec.quorum).toBe(1.5);
    // The draft the form holds is untouched: the user's text is still there to correct.
    expect(draft).toMatchObject({ intervalSec: '', timeoutMs: 'abc', quorum: '1.5' });
    expect(refusedFields(draft).sort()).toEqual(['intervalSec', 'quorum', 'timeoutMs']);
  });

  it("points each of the master's refusals at the field that caused it", () => {
    const http = { ...EMPTY_DRAFT, name: 'h', url: 'https://example.com/' };
    const cases: Array<[DraftField, ProbeDraft]> = [
      ['name', { ...http, name: '  ' }],
      ['url', { ...http, url: 'ftp://example.com/' }],
      ['expectStatus', { ...http, expectStatus: '200, 7xx' }],
      ['keyword', { ...http, keyword: 'k'.repeat(257) }],
      ['pattern', { ...http, pattern: '(' }],
      ['body', { ...http, body: 'b'.repeat(4097) }],
      ['headers', { ...http, headers: 'Bad Name: x' }],
      ['host', { ...EMPTY_DRAFT, name: 't', kind: 'tcp', host: 'http://db', port: '5432' }],
      ['port', { ...EMPTY_DRAFT, name: 't', kind: 'tcp', host: 'db', port: '70000' }],
      ['host', { ...EMPTY_DRAFT, name: 'p', kind: 'ping', host: 'a b' }],
      ['dnsName', { ...EMPTY_DRAFT, name: 'd', kind: 'dns', dnsName: 'no such!' }],
      ['server', { ...EMPTY_DRAFT, name: 'd', kind: 'dns', dnsName: 'example.com', server: 'dns.google' }],
      ['expect', { ...EMPTY_DRAFT, name: 'd', kind: 'dns', dnsName: 'example.com', expect: 'e'.repeat(513) }],
      ['intervalSec', { ...http, intervalSec: '5', timeoutMs: '1000' }],
      ['timeoutMs', { ...http, intervalSec: '10', timeoutMs: '10000' }],
      ['timeoutMs', { ...http, timeoutMs: '50' }],
      ['quorum', { ...http, quorum: '0' }],
      ['forSec', { ...http, forSec: '-1' }],
      ['vantage', { ...http, master: false, nodeIds: [], selector: '' }],
      ['selector', { ...http, selector: 'Region=eu' }],
    ];
    for (const [field, draft] of cases) expect(refusedFields(draft), field).toEqual([field]);
  });

  it('maps the API paths it may hear, and nothing else', () => {
    expect(issueField(['target'])).toBe('kind');
    expect(issueField(['target', 'kind'])).toBe('kind');
    expect(issueField(['target', 'name'])).toBe('dnsName');
    expect(issueField(['target', 'headers', 3, 'value'])).toBe('headers');
    expect(issueField(['target', 'expectStatus', 1])).toBe('expectStatus');
    expect(issueField(['vantage', 'nodeIds', 0])).toBe('vantage');
    expect(issueField(['vantage', 'selector', 'Bad'])).toBe('selector');
    expect(issueField([])).toBeNull();
    expect(issueField(['id'])).toBeNull();
    expect(issueField(['nodeIds'])).toBeNull();
    expect(issueField(['toString'])).toBeNull();
    expect(issueField(['target', 'constructor'])).toBeNull();
    const { fields, other } = issuesByField([
      { path: ['target', 'url'], message: 'first' },
      { path: ['target', 'url'], message: 'second' },
      { path: [], message: 'unrecognized key "extra"' },
    ]);
    expect(fields.url?.message).toBe('first');
    expect(other).toEqual([{ path: [], message: 'unrecognized key "extra"' }]);
  });
});
