// MetricSample builders for the metrics tests: a sample with nothing measured but one interface's
// counters, whatever a test sets on top, and the frame an agent sends it in.
//
//   metricSample({ t, uptimeSec: t / 1000, net: [netInterface({ rx: 5_000 })] })
import type { MetricSample, MetricsMessage } from '../../agent/protocol.js';

type NetInterface = NonNullable<MetricSample['net']>[number];

/** One interface's counters (eth0, zero, link speed unknown unless given). */
export function netInterface(
  over: {
    name?: string;
    rx?: number;
    tx?: number;
    rxPackets?: number;
    txPackets?: number;
    speedMbps?: number | null;
  } = {},
): NetInterface {
  return {
    name: over.name ?? 'eth0',
    rxBytes: over.rx ?? 0,
    txBytes: over.tx ?? 0,
    rxPackets: over.rxPackets ?? 0,
    txPackets: over.txPackets ?? 0,
    speedMbps: over.speedMbps ?? null,
  };
}

/** A sample of boot `boot-1` at t = 0 with every figure null and eth0 at zero; `over` sets the rest. */
export function metricSample(over: Partial<MetricSample> = {}): MetricSample {
  return {
    t: 0,
    bootId: 'boot-1',
    uptimeSec: 0,
    cpu: null,
    load: null,
    memory: null,
    swap: null,
    disks: null,
    diskIo: null,
    net: [netInterface()],
    connections: null,
    processes: null,
    ...over,
  };
}

/** eth0 having received `rx` bytes at `t` (the traffic tests' usual sample). */
export const rxSample = (t: number, rx: number, over: Partial<MetricSample> = {}): MetricSample =>
  metricSample({ t, net: [netInterface({ rx })], ...over });

/** The agent's metrics message carrying `samples` (2 s sampling). */
export const metricsFrame = (...samples: MetricSample[]): MetricsMessage => ({
  type: 'metrics',
  intervalMs: 2_000,
  samples,
});
