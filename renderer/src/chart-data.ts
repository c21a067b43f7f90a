// What a chart draws, decided apart from drawing it: the x-axis is always the window the user chose
// (never stretched to the few points that exist, nor years wide), and where samples are missing the
// line breaks instead of joining across the hole.

/** The typical spacing of the points (median), or null with fewer than two. */
export function typicalStep(times: readonly number[]): number | null {
  if (times.length < 2) return null;
  const steps: number[] = [];
  for (let i = 1; i < times.length; i++) steps.push((times[i] as number) - (times[i - 1] as number));
  steps.sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)] ?? null;
}

/**
 * Inserts a null point in every hole longer than twice the step, so the line has a gap there, and drops
 * points outside the window. `stepMs` defaults to the typical spacing.
 */
export function withGaps(
  times: readonly number[],
  series: ReadonlyArray<ReadonlyArray<number | null>>,
  window: { from: number; to: number },
  stepMs: number | null = typicalStep(times),
): { times: number[]; series: Array<Array<number | null>> } {
  const outTimes: number[] = [];
  const out = series.map(() => [] as Array<number | null>);
  let previous: number | null = null;
  times.forEach((t, i) => {
    if (t < window.from || t > window.to) return;
    if (previous !== null && stepMs !== null && t - previous > 2 * stepMs) {
      outTimes.push(previous + stepMs);
      for (const values of out) values.push(null);
    }
    outTimes.push(t);
    series.forEach((values, s) => {
      out[s]?.push(values[i] ?? null);
    });
    previous = t;
  });
  return { times: outTimes, series: out };
}
