// Label matching as the node form, the run form's filter and the core's target selector all use it.
import { describe, expect, it } from 'vitest';
import { hasLabels, labelPairs, matchesLabelFilter, parseLabels } from '../../main/contract/labels.js';

describe('labels', () => {
  it('reads "key=value, …" texts: trimmed, value after the first "=", empty pairs skipped', () => {
    expect(labelPairs(' role = web ,, env=prod ')).toEqual([
      ['role', 'web'],
      ['env', 'prod'],
    ]);
    expect(labelPairs('url=a=b, flag')).toEqual([
      ['url', 'a=b'],
      ['flag', ''],
    ]);
    expect(labelPairs('  ,  ')).toEqual([]);
  });

  it('parses the node form: keyless pairs dropped, a later key wins', () => {
    expect(parseLabels('role=web, =orphan, role=db, env=')).toEqual({ role: 'db', env: '' });
    expect(parseLabels('')).toEqual({});
  });

  it('matches a selector by every pair; no pairs match every node', () => {
    const labels = { role: 'web', env: 'prod' };
    expect(hasLabels(labels, Object.entries({ role: 'web' }))).toBe(true);
    expect(hasLabels(labels, Object.entries({ role: 'web', env: 'dev' }))).toBe(false);
    expect(hasLabels(labels, Object.entries({ zone: '' }))).toBe(false);
    expect(hasLabels(labels, [])).toBe(true);
  });

  it('filters the run form: an empty filter matches nothing, every pair must hold', () => {
    const labels = { role: 'web', env: 'prod' };
    expect(matchesLabelFilter('role=web', labels)).toBe(true);
    expect(matchesLabelFilter(' env = prod , role=web ', labels)).toBe(true);
    expect(matchesLabelFilter('role=web, env=dev', labels)).toBe(false);
    expect(matchesLabelFilter('role=web, role=db', labels)).toBe(false);
    expect(matchesLabelFilter('', labels)).toBe(false);
    expect(matchesLabelFilter(' , ', labels)).toBe(false);
  });
});
