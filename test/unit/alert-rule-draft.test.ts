// The rule editor's form state: every kind becomes a rule the contract accepts, a saved rule opens in
// the editor as it was saved, and a half-filled form says what is missing.
import { describe, expect, it } from 'vitest';
import { AlertRuleSpec } from '../../main/contract/alert-schemas.js';
import {
  draftProblem,
  draftToSpec,
  EMPTY_DRAFT,
  isProbeRule,
  KINDS,
  type Rule,
  ruleToDraft,
} from '../../renderer/src/alerts/rule-draft.js';

describe('rule editor drafts', () => {
  it('turns every kind into a rule the contract accepts, and back into the same form', () => {
    for (const kind of KINDS) {
      const draft = { ...EMPTY_DRAFT, name: `r-${kind}`, kind, recovery: 80, selector: 'role=web, env=prod' };
      expect(draftProblem(draft)).toBeNull();
      const spec = AlertRuleSpec.parse(draftToSpec(draft));
      expect(spec.condition.kind).toBe(kind);
      // The node scope does not apply to probes: none is saved with their rules.
      expect(spec.scope).toEqual(isProbeRule(kind) ? {} : { selector: { role: 'web', env: 'prod' } });
      const saved: Rule = { ...spec, id: 'rule_1', createdAt: 0, updatedAt: 0 } as Rule;
      expect(AlertRuleSpec.parse(draftToSpec(ruleToDraft(saved)))).toEqual(spec);
    }
  });

  it('offers the probe kinds with their own fields and the chosen probes', () => {
    expect(KINDS).toEqual(expect.arrayContaining(['probe-down', 'probe-latency', 'probe-certificate']));
    const base = { ...EMPTY_DRAFT, name: 'p', nodeIds: ['node-1'], selector: 'role=web' };
    const latency = AlertRuleSpec.parse(
      draftToSpec({ ...base, kind: 'probe-latency', probeIds: ['prb_1'], threshold: 800, recovery: 500, forSec: 60 }),
    );
    expect(latency).toMatchObject({
      condition: { kind: 'probe-latency', probeIds: ['prb_1'], threshold: 800, recovery: 500, forSec: 60 },
      scope: {},
    });
    const cert = AlertRuleSpec.parse(draftToSpec({ ...base, kind: 'probe-certificate', days: 21 }));
    // No probe chosen: every probe (no probeIds).
    expect(cert.condition).toEqual({ kind: 'probe-certificate', days: 21 });
    const down = AlertRuleSpec.parse(draftToSpec({ ...base, kind: 'probe-down', probeIds: ['prb_1', 'prb_2'] }));
    expect(down.condition).toEqual({ kind: 'probe-down', probeIds: ['prb_1', 'prb_2'] });
    const saved: Rule = { ...down, id: 'rule_1', createdAt: 0, updatedAt: 0 } as Rule;
    expect(ruleToDraft(saved)).toMatchObject({ kind: 'probe-down', probeIds: ['prb_1', 'prb_2'] });
    // A bad label text does not matter where labels are not used.
    expect(draftProblem({ ...base, kind: 'probe-down', selector: '=web' })).toBeNull();
    expect(draftProblem({ ...base, kind: 'probe-latency', threshold: 100, recovery: 200 })).toBe(
      'rules.problems.latencyRecovery',
    );
    expect(draftProblem({ ...base, kind: 'probe-latency', threshold: '' })).toBe('rules.problems.threshold');
    expect(draftProblem({ ...base, kind: 'probe-certificate', days: '' })).toBe('rules.problems.days');
  });

  it('reads a traffic quota as people write it', () => {
    const spec = draftToSpec({
      ...EMPTY_DRAFT,
      name: 'q',
      kind: 'traffic',
      quota: '2 TB',
      percent: 80,
      forecastDays: 3,
    });
    expect(spec.condition).toMatchObject({ kind: 'traffic', quotaBytes: 2e12, percent: 80, forecastDays: 3 });
    const byLabel = draftToSpec({
      ...EMPTY_DRAFT,
      name: 'q',
      kind: 'traffic',
      quotaMode: 'label',
      quotaLabel: 'quota',
    });
    expect(byLabel.condition).toMatchObject({ quotaLabel: 'quota' });
    expect(byLabel.condition).not.toHaveProperty('quotaBytes');
  });

  it('says what is missing before asking the master', () => {
    expect(draftProblem({ ...EMPTY_DRAFT })).toBe('rules.problems.name');
    expect(draftProblem({ ...EMPTY_DRAFT, name: 'x', threshold: '' })).toBe('rules.problems.threshold');
    expect(draftProblem({ ...EMPTY_DRAFT, name: 'x', kind: 'traffic', quota: 'lots' })).toBe('rules.problems.quota');
    expect(draftProblem({ ...EMPTY_DRAFT, name: 'x', kind: 'command', outcomes: [] })).toBe('rules.problems.outcomes');
    expect(draftProblem({ ...EMPTY_DRAFT, name: 'x', selector: '=web' })).toBe('rules.problems.selector');
  });
});
