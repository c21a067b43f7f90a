// Probe rollups on both databases: what flushes add up to, with the buffer merged into reads, and
// the quorum verdict's history read back as daily uptime.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../agent/probes/spec.js';
import { ProbeDefinitions } from '../../main/core/probes/definitions.js';
import { ProbeRollups, quantile } from '../../main/core/probes/rollups.js';
import { readProbeUptime } from '../../main/core/probes/uptime.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

for (const target of storeTargets()) {
  describe(`probe rollups on ${target.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let probeId: string;

    beforeEach(async () => {
      ({ store, cleanup } = await target.open());
      const defs = new ProbeDefinitions(store.db, () => T0);
      const created = await defs.create({
        name: 'web',
        enabled: true,
        target: { kind: 'tcp', host: '127.0.0.1', port: 1 },
        intervalSec: 10,
        timeoutMs: 1000,
        vantage: { master: true, nodeIds: [] },
        quorum: 1,
        forSec: 0,
      });
      probeId = created.id;
    });
    afterEach(() => cleanup());

    const result = (at: number, ok: boolean, latencyMs: number | null): ProbeResult => ({
      id: probeId,
      at,
      ok,
      latencyMs,
      error: ok ? null : 'refused',
    });

    it('adds flushes up per minute and hour, merges the buffer into reads, percentiles from the histogram', async () => {
      const rollups = new ProbeRollups(store.db, store.dialect);
      // Minute 0: 6 runs from `master` (5 ok at 10..50 ms, one failure without latency); flushed.
      for (let i = 0; i < 5; i++) rollups.add('master', result(T0 + i * 10_000, true, 10 * (i + 1)));
      rollups.add('master', result(T0 + 55_000, false, null));
      await rollups.flush();
      // Same minute again from a second flush (additive), and minute 1 only in the buffer.
      rollups.add('master', result(T0 + 58_000, true, 40));
      await rollups.flush();
      rollups.add('master', result(T0 + MIN + 1_000, false, 3_000));
      rollups.add('node-a', result(T0 + MIN + 2_000, true, 5));

      const minutes = await rollups.series(probeId, 'minute', T0, T0 + 2 * MIN);
      expect(minutes.map((p) => [p.vantage, p.bucket, p.runs, p.oks])).toEqual([
        ['master', T0, 7, 6],
        ['master', T0 + MIN, 1, 0],
        ['node-a', T0 + MIN, 1, 1],
      ]);
      const first = minutes[0];
      expect(first?.successRatio).toBeCloseTo(6 / 7);
      expect(first?.meanMs).toBeCloseTo((10 + 20 + 30 + 40 + 50 + 40) / 6);
      // 10, 20, 30, 40, 40, 50: the median lies in the 30–50 ms bucket, p95 in the 30–50 ms bucket too.
      expect(first?.p50Ms).toBeGreaterThan(20);
      expect(first?.p50Ms).toBeLessThanOrEqual(50);
      expect(first?.p95Ms).toBeGreaterThan(30);
      expect(first?.p95Ms).toBeLessThanOrEqual(50);

      const hours = await rollups.series(probeId, 'hour', T0, T0 + 60 * MIN, 'master');
      expect(hours.map((p) => [p.bucket, p.runs, p.oks])).toEqual([[T0, 8, 6]]);

      // Once written, the same read answers the same (nothing counted twice).
      await rollups.flush();
      const again = await rollups.series(probeId, 'hour', T0, T0 + 60 * MIN, 'master');
      expect(again.map((p) => [p.bucket, p.runs, p.oks])).toEqual([[T0, 8, 6]]);

      // Retention: minutes before the horizon go, hours stay.
      await rollups.expire({ minute: T0 + MIN, hour: 0 });
      const left = await rollups.series(probeId, 'minute', T0, T0 + 2 * MIN);
      expect(left.map((p) => p.bucket)).toEqual([T0 + MIN, T0 + MIN]);
    });

    it('reads daily uptime from the verdict history', async () => {
      const day = Date.UTC(2026, 0, 5);
      await store.db
        .insertInto('probe_events')
        .values([
          { probe_id: probeId, state: 'up', at: day, reason: 'up' },
          { probe_id: probeId, state: 'down', at: day + 6 * 3_600_000, reason: 'down from 2 of 3 vantage points' },
          { probe_id: probeId, state: 'up', at: day + 12 * 3_600_000, reason: 'up' },
        ])
        .execute();
      const days = [
        { day: '2026-01-05', from: day, to: day + 86_400_000 },
        { day: '2026-01-06', from: day + 86_400_000, to: day + 2 * 86_400_000 },
      ];
      const uptime = await readProbeUptime(store.db, [probeId], days, day + 2 * 86_400_000);
      const [first, second] = uptime.get(probeId) ?? [];
      expect(first?.ratio).toBeCloseTo(0.75);
      expect(first?.outageCount).toBe(1);
      expect(first?.outages[0]?.reason).toContain('2 of 3');
      expect(second?.ratio).toBe(1);
    });
  });
}

describe('latency quantiles', () => {
  it('interpolate inside the bucket and stay within its bounds', () => {
    const hist = new Array(22).fill(0);
    hist[8] = 10; // 75–100 ms
    expect(quantile(hist, 0.5)).toBeCloseTo(87.5);
    expect(quantile(new Array(22).fill(0), 0.5)).toBeNull();
  });
});
