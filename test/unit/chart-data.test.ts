// The charts' data rules: holes are drawn as gaps, points outside the chosen window are not drawn.
import { describe, expect, it } from 'vitest';
import { typicalStep, withGaps } from '../../renderer/src/chart-data.js';

const H = 3_600_000;

describe('chart data', () => {
  it('breaks the line where rollups are missing instead of joining across the hole', () => {
    // Hourly rollups with 5 missing hours between 02:00 and 08:00.
    const times = [0, 1, 2, 8, 9].map((h) => h * H);
    const { times: t, series } = withGaps(times, [[1, 2, 3, 4, 5]], { from: 0, to: 10 * H });
    expect(t).toEqual([0, H, 2 * H, 3 * H, 8 * H, 9 * H]);
    expect(series[0]).toEqual([1, 2, 3, null, 4, 5]);
  });

  it('keeps a regular series as it is and drops points outside the window', () => {
    const times = [0, 1, 2, 3].map((h) => h * H);
    const { times: t, series } = withGaps(times, [[1, 2, 3, 4]], { from: H, to: 3 * H });
    expect(t).toEqual([H, 2 * H, 3 * H]);
    expect(series[0]).toEqual([2, 3, 4]);
  });

  it('takes the typical spacing from the median, so one hole does not widen it', () => {
    expect(typicalStep([0, 2, 4, 6, 100])).toBe(2);
    expect(typicalStep([5])).toBeNull();
  });
});
