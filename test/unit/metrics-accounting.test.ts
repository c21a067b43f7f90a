// The delta rules of traffic accounting (accounting.ts; docs/architecture.md, Metrics and traffic), sample by sample.
import { describe, expect, it } from 'vitest';
import type { MetricSample } from '../../agent/protocol.js';
import { account, type Baseline, DEFAULT_LIMITS } from '../../main/core/metrics/accounting.js';

const BOOT = 'boot-a';

function sample(over: {
  t?: number;
  uptimeSec?: number;
  bootId?: string;
  rx?: number;
  tx?: number;
  speedMbps?: number | null;
  iface?: string;
  extra?: NonNullable<MetricSample['net']>;
  cpu?: number[];
}): MetricSample {
  const iface = over.iface ?? 'eth0';
  return {
    t: over.t ?? 1_000_000,
    bootId: over.bootId ?? BOOT,
    uptimeSec: over.uptimeSec ?? 100,
    cpu: over.cpu ? { source: 'proc', total: over.cpu, cores: [] } : null,
    load: null,
    memory: null,
    swap: null,
    disks: null,
    diskIo: null,
    net: [
      {
        name: iface,
        rxBytes: over.rx ?? 0,
        txBytes: over.tx ?? 0,
        rxPackets: 0,
        txPackets: 0,
        speedMbps: over.speedMbps === undefined ? 1000 : over.speedMbps,
      },
      ...(over.extra ?? []),
    ],
    connections: null,
    processes: null,
  };
}

/** Accounts a series of samples and returns every interval's result. */
function run(samples: MetricSample[], start: Baseline | null = null) {
  let baseline = start;
  return samples.map((s) => {
    const r = account(baseline, s);
    if (r) baseline = r.baseline;
    return r;
  });
}

describe('traffic accounting', () => {
  it('sets only a baseline from the first sample ever (the history before it is unknown)', () => {
    const [first] = run([sample({ rx: 5_000_000, tx: 7_000 })]);
    expect(first?.continuity).toBe('first');
    expect(first?.net).toEqual({ rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 });
  });

  it('counts the increase between contiguous samples, with the elapsed host uptime for rates', () => {
    const [, second] = run([
      sample({ rx: 1000, tx: 500 }),
      sample({ uptimeSec: 102, t: 1_002_000, rx: 4000, tx: 900 }),
    ]);
    expect(second?.continuity).toBe('contiguous');
    expect(second?.net.rxBytes).toBe(3000);
    expect(second?.net.txBytes).toBe(400);
    expect(second?.elapsedSec).toBe(2);
  });

  it('treats a counter that went down as a restart: the post-reset value counts', () => {
    const [, , third] = run([
      sample({ rx: 10_000 }),
      sample({ uptimeSec: 102, rx: 12_000 }),
      sample({ uptimeSec: 104, rx: 300 }),
    ]);
    expect(third?.net.rxBytes).toBe(300);
    expect(third?.resets).toEqual(['eth0']);
  });

  it('starts a new baseline on a new boot id and counts everything since the reboot, as a gap', () => {
    const [, rebooted] = run([
      sample({ rx: 9_000_000, uptimeSec: 5_000 }),
      sample({ bootId: 'boot-b', uptimeSec: 60, rx: 2_000, tx: 100 }),
    ]);
    expect(rebooted?.continuity).toBe('reboot');
    expect(rebooted?.net.rxBytes).toBe(2_000);
    expect(rebooted?.net.txBytes).toBe(100);
    expect(rebooted?.cpu).toBeNull();
  });

  it('counts what moved while the agent was away (same boot) in the interval it returns, without a rate', () => {
    const [, back] = run([sample({ rx: 1_000 }), sample({ uptimeSec: 100 + 600, t: 1_600_000, rx: 50_001_000 })]);
    expect(back?.continuity).toBe('away');
    expect(back?.net.rxBytes).toBe(50_000_000);
    expect(back?.cpu).toBeNull();
  });

  it('rejects a delta the link could not carry, logs it via `rejected`, and moves the baseline on', () => {
    // 100 Mbit/s for 2 s carries at most 25 MB; 1 GB is impossible.
    const [, spike, after] = run([
      sample({ rx: 0, speedMbps: 100 }),
      sample({ uptimeSec: 102, rx: 1_000_000_000, speedMbps: 100 }),
      sample({ uptimeSec: 104, rx: 1_000_010_000, speedMbps: 100 }),
    ]);
    expect(spike?.net.rxBytes).toBe(0);
    expect(spike?.rejected).toEqual([{ iface: 'eth0', bytes: 1_000_000_000, limitBytes: 25_000_000 }]);
    expect(after?.net.rxBytes).toBe(10_000);
  });

  it('uses a very high ceiling (400 Gbit/s) where the speed is unknown', () => {
    const ceiling = (DEFAULT_LIMITS.unknownSpeedBps / 8) * 2 * DEFAULT_LIMITS.safetyFactor;
    const [, fine] = run([
      sample({ speedMbps: null }),
      sample({ uptimeSec: 102, rx: 10_000_000_000, speedMbps: null }),
    ]);
    expect(fine?.net.rxBytes).toBe(10_000_000_000);
    const [, impossible] = run([
      sample({ speedMbps: null }),
      sample({ uptimeSec: 102, rx: Math.ceil(ceiling) + 1, speedMbps: null }),
    ]);
    expect(impossible?.rejected).toHaveLength(1);
  });

  it('only baselines an interface that appears mid-boot', () => {
    const wg = { name: 'ens5', rxBytes: 777_777, txBytes: 1, rxPackets: 1, txPackets: 1, speedMbps: null };
    const [, appeared, next] = run([
      sample({ rx: 100 }),
      sample({ uptimeSec: 102, rx: 200, extra: [wg] }),
      sample({ uptimeSec: 104, rx: 300, extra: [{ ...wg, rxBytes: 778_777 }] }),
    ]);
    expect(appeared?.net.rxBytes).toBe(100);
    expect(next?.net.rxBytes).toBe(1_100);
  });

  it('ignores a repeated sample without moving the baseline back', () => {
    const a = sample({ rx: 100 });
    const b = sample({ uptimeSec: 102, rx: 300 });
    const results = run([a, b, b]);
    expect(results[2]).toBeNull();
  });

  it('adds up to the host counters exactly over resets, reboots and gaps', () => {
    const series = [
      sample({ rx: 1_000 }),
      sample({ uptimeSec: 102, rx: 5_000 }), // +4,000
      sample({ uptimeSec: 104, rx: 200 }), // reset: +200
      sample({ uptimeSec: 900, rx: 90_200 }), // away: +90,000
      sample({ bootId: 'boot-b', uptimeSec: 30, rx: 7_000 }), // reboot: +7,000
      sample({ bootId: 'boot-b', uptimeSec: 32, rx: 7_500 }), // +500
    ];
    const total = run(series).reduce((sum, r) => sum + (r?.net.rxBytes ?? 0), 0);
    expect(total).toBe(4_000 + 200 + 90_000 + 7_000 + 500);
  });

  it('derives CPU busy, iowait and steal shares from jiffies', () => {
    const [, second] = run([
      sample({ cpu: [100, 0, 100, 800, 0, 0, 0, 0] }),
      sample({ uptimeSec: 102, cpu: [150, 0, 150, 850, 40, 0, 0, 10] }),
    ]);
    // deltas: user 50, sys 50, idle 50, iowait 40, steal 10 → total 200, busy 110
    expect(second?.cpu?.busy).toBeCloseTo(110 / 200);
    expect(second?.cpu?.iowait).toBeCloseTo(40 / 200);
    expect(second?.cpu?.steal).toBeCloseTo(10 / 200);
  });
});
