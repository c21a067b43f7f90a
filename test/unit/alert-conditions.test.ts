// The threshold state machine (for, hysteresis), what conditions read from a snapshot, byte quotas,
// maintenance windows and the preview's replay: pure functions, fed sequences.
import { describe, expect, it } from 'vitest';
import { AlertRuleSpec } from '../../main/contract/alert-schemas.js';
import { parseBytes } from '../../main/contract/byte-sizes.js';
import { type Phase, readingsOf, type Step, step } from '../../main/core/alerts/conditions.js';
import { agentOutdated } from '../../main/core/alerts/periodic-checks.js';
import { replayMinutes, replayOffline } from '../../main/core/alerts/preview.js';
import { minuteMedians, replayLatency, replayProbeDown } from '../../main/core/alerts/probe-preview.js';
import { isQuiet, openUntil, windowOf } from '../../main/core/alerts/silences.js';

const cpu = (threshold: number, recovery: number | undefined, forSec: number) =>
  ({ kind: 'cpu', op: 'above', threshold, recovery, forSec }) as const;

/** Feeds values one second apart and returns the steps that were not 'none'. */
function run(c: ReturnType<typeof cpu>, values: number[]): Step[] {
  let phase: Phase = { phase: 'ok' };
  const steps: Step[] = [];
  values.forEach((v, i) => {
    const r = step(c, phase, v, i * 1000);
    phase = r.next;
    if (r.step !== 'none') steps.push(r.step);
  });
  return steps;
}

describe('threshold state machine', () => {
  it('fires only after the value held for the duration, and a short spike only goes pending', () => {
    expect(run(cpu(90, undefined, 3), [95, 95, 50])).toEqual(['pending', 'cleared']);
    expect(run(cpu(90, undefined, 3), [95, 95, 95, 95, 50])).toEqual(['pending', 'firing', 'resolved']);
  });

  it('fires at once with no duration', () => {
    expect(run(cpu(90, undefined, 0), [10, 91, 92, 10])).toEqual(['firing', 'resolved']);
  });

  it('with hysteresis, a value between the thresholds neither resolves nor fires again', () => {
    // Fires at 95, hovers at 85 (below 90, above the recovery 80), resolves only under 80.
    expect(run(cpu(90, 80, 0), [95, 85, 89, 85, 95, 85, 79, 85])).toEqual(['firing', 'resolved']);
    // Without hysteresis the same values flap.
    expect(run(cpu(90, undefined, 0), [95, 85, 95, 85])).toEqual(['firing', 'resolved', 'firing', 'resolved']);
  });

  it('"below" rules mirror it', () => {
    let phase: Phase = { phase: 'ok' };
    const c = { op: 'below', threshold: 10, recovery: 20, forSec: 0 } as const;
    const steps = [5, 15, 25].map((v, i) => {
      const r = step(c, phase, v, i);
      phase = r.next;
      return r.step;
    });
    expect(steps).toEqual(['firing', 'none', 'resolved']);
  });

  it('refuses a recovery value on the wrong side of the threshold, in words', () => {
    const draft = { name: 'x', condition: { kind: 'cpu', threshold: 80, recovery: 90 } };
    const parsed = AlertRuleSpec.safeParse(draft);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/recovering side/);
    expect(AlertRuleSpec.parse({ name: 'x', condition: { kind: 'cpu', threshold: 80 } }).condition).toMatchObject({
      op: 'above',
      forSec: 300,
    });
  });
});

describe('what conditions read', () => {
  const snapshot = {
    t: 0,
    bootId: 'b',
    uptimeSec: 1,
    continuity: 'contiguous',
    cpu: { usage: 42, iowait: 0, steal: 0, cores: [] },
    load: [1, 2, 3],
    memory: { total: 1000, used: 250, available: 750 },
    swap: { total: 0, free: 0, used: 0 },
    disks: [
      { mount: '/', fs: 'ext4', total: 100, used: 91, free: 9 },
      { mount: '/var', fs: 'ext4', total: 100, used: 10, free: 90 },
    ],
    diskIo: null,
    net: { rxBps: 100, txBps: 50, interfaces: [] },
    connections: null,
    processes: null,
  } as never;

  it('reads each kind, each mount its own subject, and nothing where a host reports nothing', () => {
    expect(readingsOf(cpu(1, undefined, 0), snapshot)).toEqual([{ subject: null, value: 42 }]);
    expect(readingsOf({ kind: 'memory', op: 'above', threshold: 1, forSec: 0 }, snapshot)).toEqual([
      { subject: null, value: 25 },
    ]);
    expect(readingsOf({ kind: 'swap', op: 'above', threshold: 1, forSec: 0 }, snapshot)).toEqual([]);
    expect(readingsOf({ kind: 'disk', op: 'above', threshold: 1, forSec: 0 }, snapshot)).toEqual([
      { subject: '/', value: 91 },
      { subject: '/var', value: 10 },
    ]);
    expect(readingsOf({ kind: 'disk', mount: '/var', op: 'above', threshold: 1, forSec: 0 }, snapshot)).toHaveLength(1);
    expect(readingsOf({ kind: 'load', window: '5m', op: 'above', threshold: 1, forSec: 0 }, snapshot)).toEqual([
      { subject: null, value: 2 },
    ]);
    const net = { kind: 'network', direction: 'total', op: 'above', threshold: 1, forSec: 0 } as const;
    expect(readingsOf(net, snapshot)).toEqual([{ subject: null, value: 150 }]);
  });

  it('parses quotas from labels and compares agent versions numerically', () => {
    expect(parseBytes('1TB')).toBe(1e12);
    expect(parseBytes('500 GiB')).toBe(500 * 2 ** 30);
    expect(parseBytes('12345')).toBe(12345);
    expect(parseBytes('lots')).toBeNull();
    expect(agentOutdated('0.9.2', '0.10.0')).toBe(true);
    expect(agentOutdated('0.10.0', '0.10.0')).toBe(false);
    expect(agentOutdated('1.0.0', '0.10.0')).toBe(false);
  });
});

describe('silences and maintenance windows', () => {
  it('a window is open for its duration after each cron start, in its time zone', () => {
    // Every day at 02:00 in Berlin (UTC+1 in December), for an hour.
    const w = windowOf({ cron: '0 2 * * *', timezone: 'Europe/Berlin', durationSec: 3600 });
    expect(openUntil(w, Date.parse('2026-12-02T01:30:00Z'))).toBe(Date.parse('2026-12-02T02:00:00Z'));
    expect(openUntil(w, Date.parse('2026-12-02T02:00:00Z'))).toBeNull();
    expect(openUntil(w, Date.parse('2026-12-02T00:59:00Z'))).toBeNull();
  });

  it('refuses a bad schedule with what to write instead', () => {
    expect(() => windowOf({ cron: 'every sunday', timezone: 'UTC', durationSec: 60 })).toThrow(
      /five or six cron fields/,
    );
  });

  it('matches a silence by rule and/or selector, only while it lasts', () => {
    const quiet = {
      silences: [{ ruleId: 'r1', selector: { env: 'prod' }, startsAt: 0, endsAt: 100 }],
      windows: [],
    };
    expect(isQuiet(quiet, 'r1', { env: 'prod' }, 50)).toBe(true);
    expect(isQuiet(quiet, 'r2', { env: 'prod' }, 50)).toBe(false);
    expect(isQuiet(quiet, 'r1', { env: 'dev' }, 50)).toBe(false);
    expect(isQuiet(quiet, 'r1', { env: 'prod' }, 100)).toBe(false);
  });

  it('matches a probe alert (no labels) only by silences without a selector', () => {
    const at = (silences: Array<{ ruleId: string | null; selector: Record<string, string> | null }>) => ({
      silences: silences.map((s) => ({ ...s, startsAt: 0, endsAt: 100 })),
      windows: [],
    });
    expect(isQuiet(at([{ ruleId: 'p1', selector: null }]), 'p1', null, 50)).toBe(true);
    expect(isQuiet(at([{ ruleId: null, selector: null }]), 'p1', null, 50)).toBe(true);
    // Labels select nodes: neither alone nor with the probe's rule does a selector reach a probe.
    expect(isQuiet(at([{ ruleId: null, selector: { env: 'prod' } }]), 'p1', null, 50)).toBe(false);
    expect(isQuiet(at([{ ruleId: 'p1', selector: { env: 'prod' } }]), 'p1', null, 50)).toBe(false);
    // An empty selector is no selector.
    expect(isQuiet(at([{ ruleId: 'p1', selector: {} }]), 'p1', null, 50)).toBe(true);
    expect(isQuiet(at([{ ruleId: 'p1', selector: {} }]), 'p1', { env: 'dev' }, 50)).toBe(true);
  });
});

describe('preview replay', () => {
  const minute = (i: number, cpuAvg: number) => ({
    bucket: i * 60_000,
    samples: 30,
    cpu_samples: 30,
    cpu_sum: cpuAvg * 30,
    mem_samples: 0,
    mem_used_sum: 0,
    mem_total: null,
    load_samples: 0,
    load_sum: 0,
    rx_bytes: 0,
    tx_bytes: 0,
  });

  it("counts firings over 1-minute averages with the rule's duration", () => {
    const values = [10, 95, 95, 95, 95, 10, 95, 10, 95, 95, 95, 95, 95];
    const minutes = values.map((v, i) => minute(i, v));
    expect(replayMinutes(cpu(90, undefined, 180), minutes)).toBe(2);
    expect(replayMinutes(cpu(90, undefined, 0), minutes)).toBe(3);
  });

  it('a gap in the rollups starts a pending condition over', () => {
    const minutes = [minute(0, 95), minute(1, 95), minute(5, 95), minute(6, 95)];
    expect(replayMinutes(cpu(90, undefined, 180), minutes)).toBe(0);
  });

  it('counts offline periods at least as long as the grace', () => {
    const events = [
      { status: 'offline', at: 0 },
      { status: 'online', at: 30_000 },
      { status: 'offline', at: 100_000 },
      { status: 'online', at: 200_000 },
      { status: 'offline', at: 300_000 },
    ];
    expect(replayOffline(events, 60_000, 0, 400_000)).toBe(2);
  });
});

describe('probe preview replay', () => {
  const H = 3_600_000;
  it('counts down verdicts in the window, a damped flap as one firing', () => {
    const events = [
      { state: 'down', at: 0 },
      { state: 'up', at: 2 * H },
      { state: 'down', at: 5 * H },
      { state: 'up', at: 5 * H + 30_000 },
      { state: 'down', at: 5 * H + 60_000 },
      { state: 'up', at: 6 * H },
    ];
    // Window from 1 h: the first down fired before it (not counted); two downs after.
    expect(replayProbeDown(events, 0, H)).toBe(2);
    // Up for 30 s is within a 120 s damping: the same firing.
    expect(replayProbeDown(events, 120_000, H)).toBe(1);
    expect(replayProbeDown([], 0, H)).toBe(0);
  });

  it('replays latency as the median over vantage points, held for forSec, resolved at the recovery', () => {
    const M = 60_000;
    const point = (vantage: string, i: number, meanMs: number | null) => ({
      vantage,
      bucket: i * M,
      runs: 1,
      oks: 1,
      successRatio: 1,
      meanMs,
      p50Ms: null,
      p95Ms: null,
    });
    const points = [
      ...[100, 900, 900, 900, 600, 900, 100, 900].map((ms, i) => point('master', i, ms)),
      ...[100, 900, 900, 900, 600, 900, 100, 900].map((ms, i) => point('node-a', i, ms)),
      // A third vantage point far off does not move the median of three.
      ...Array.from({ length: 8 }, (_, i) => point('node-b', i, 10_000)),
      point('node-c', 9, null),
    ];
    const minutes = minuteMedians(points);
    expect(minutes.map((m) => m.ms)).toEqual([100, 900, 900, 900, 600, 900, 100, 900]);
    const rule = { kind: 'probe-latency', threshold: 500, forSec: 120 } as const;
    // Over from minute 1, held 2 min by the end of minute 2: fires; 600 is above the threshold, stays;
    // 100 resolves; minute 7 alone is not held long enough.
    expect(replayLatency(rule, minutes)).toBe(1);
    // A recovery of 700: minute 4's 600 resolves it, and minute 5 (900) starts a new breach that is not held.
    expect(replayLatency({ ...rule, recovery: 700 }, minutes)).toBe(1);
    expect(replayLatency({ ...rule, forSec: 0, recovery: 700 }, minutes)).toBe(3);
  });
});
