// Turns cumulative counters into deltas. The rules (docs/architecture.md, Metrics and traffic):
// - the first sample ever only sets the baseline;
// - a counter that went down, or a new boot id, starts a new baseline and the post-reset value counts;
// - a delta above what the link could carry in the elapsed time is rejected (and the baseline moves on);
//   the elapsed time is the host's uptime difference, but never more than the master's clock saw pass
//   (plus a slack), so an agent claiming a century of uptime cannot make room for petabytes;
// - an agent that was away with the same boot id gets the bytes its host moved meanwhile counted in the
//   interval it returns, without a rate (rates are never interpolated across a gap);
// - across a reboot, what moved between the last sample and the reboot is unknowable: a gap.
import type { MetricSample } from '../../../agent/protocol.js';

export interface Counters {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

export interface DiskCounters {
  readBytes: number;
  writeBytes: number;
  reads: number;
  writes: number;
}

/** What the master remembers per node between samples; persisted with the rollups. */
export interface Baseline {
  bootId: string;
  uptimeSec: number;
  t: number;
  /** The master's clock when the sample was taken (anchored at receipt); absent in older baselines. */
  at?: number;
  net: Record<string, Counters>;
  diskIo: DiskCounters | null;
  cpu: number[] | null;
}

export type Continuity = 'first' | 'contiguous' | 'away' | 'reboot';

export interface Rejection {
  iface: string;
  bytes: number;
  limitBytes: number;
}

export interface Accounted {
  baseline: Baseline;
  continuity: Continuity;
  elapsedSec: number;
  /** Bytes and packets moved since the previous sample, summed over counted interfaces. */
  net: Counters;
  interfaces: Record<string, Counters>;
  diskIo: DiskCounters;
  /** Interfaces whose counters restarted (went down) within the same boot. */
  resets: string[];
  rejected: Rejection[];
  /** CPU busy share over the interval (0–1), with iowait and steal; null across gaps. */
  cpu: { busy: number; iowait: number; steal: number; cores: number[] } | null;
}

export interface AccountingLimits {
  /** A gap longer than this (ms) means the rates of the returning interval are not shown. */
  maxContiguousMs: number;
  /** Multiplies the link speed when checking a delta: counters count framing the speed does not. */
  safetyFactor: number;
  /** Bits per second assumed where the link speed is unknown (veth, loopback, most VMs) or implausible. */
  unknownSpeedBps: number;
  /** All interfaces of one host together (bits per second): no host moves more. */
  maxNodeBps: number;
  /** Disk I/O of one host, bytes per second (several PCIe 5 NVMe drives). */
  maxDiskBytesPerSec: number;
  /**
   * Seconds the elapsed time may exceed what the master's clock saw between two samples: frames queued
   * behind a slow link arrive bunched, each covering its own sampling interval.
   */
  clockSlackSec: number;
}

export const DEFAULT_LIMITS: AccountingLimits = {
  maxContiguousMs: 30_000,
  safetyFactor: 1.5,
  unknownSpeedBps: 400e9,
  maxNodeBps: 800e9,
  maxDiskBytesPerSec: 200e9,
  clockSlackSec: 30,
};

const zeroCounters = (): Counters => ({ rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 });
const zeroDisk = (): DiskCounters => ({ readBytes: 0, writeBytes: 0, reads: 0, writes: 0 });

export function baselineOf(sample: MetricSample, at?: number): Baseline {
  const net: Record<string, Counters> = {};
  for (const i of sample.net ?? []) {
    net[i.name] = { rxBytes: i.rxBytes, txBytes: i.txBytes, rxPackets: i.rxPackets, txPackets: i.txPackets };
  }
  return {
    bootId: sample.bootId,
    uptimeSec: sample.uptimeSec,
    t: sample.t,
    ...(at === undefined ? {} : { at }),
    net,
    diskIo: sample.diskIo ? { ...sample.diskIo } : null,
    cpu: sample.cpu ? [...sample.cpu.total] : null,
  };
}

/** A counter's movement: its increase, or after a restart (it went down) its whole new value. */
function movement(previous: number, current: number): { delta: number; reset: boolean } {
  return current >= previous ? { delta: current - previous, reset: false } : { delta: current, reset: true };
}

function elapsedSeconds(prev: Baseline, sample: MetricSample, sameBoot: boolean): number {
  // Uptime is monotonic on the host; the wall clock may jump.
  if (sameBoot && sample.uptimeSec > prev.uptimeSec) return sample.uptimeSec - prev.uptimeSec;
  if (!sameBoot) return Math.max(sample.uptimeSec, 0.001);
  return Math.max((sample.t - prev.t) / 1000, 0);
}

/**
 * The seconds a capacity check may assume: the host's elapsed time, bounded by what the master's clock
 * saw since the previous sample (when both are known) plus the slack.
 */
function capacitySeconds(elapsedSec: number, prev: Baseline, at: number | undefined, limits: AccountingLimits) {
  if (at === undefined || prev.at === undefined) return elapsedSec;
  return Math.min(elapsedSec, Math.max(0, (at - prev.at) / 1000) + limits.clockSlackSec);
}

/** Bits per second an interface can carry: its reported speed when plausible, else the ceiling. */
function linkBps(speedMbps: number | null, limits: AccountingLimits): number {
  const bps = speedMbps ? speedMbps * 1e6 : limits.unknownSpeedBps;
  return Math.min(bps, limits.unknownSpeedBps);
}

function cpuShare(prev: number[] | null, cur: number[]): { busy: number; iowait: number; steal: number } | null {
  if (!prev || prev.length !== cur.length) return null;
  const d = cur.map((v, i) => v - (prev[i] as number));
  if (d.some((v) => v < 0)) return null;
  const total = d.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const idle = (d[3] as number) + (d[4] as number);
  return { busy: (total - idle) / total, iowait: (d[4] as number) / total, steal: (d[7] as number) / total };
}

export function account(
  prev: Baseline | null,
  sample: MetricSample,
  limits: AccountingLimits = DEFAULT_LIMITS,
  prevCores: number[][] | null = null,
  /** The master's clock for this sample; bounds the elapsed time a capacity check may assume. */
  at?: number,
): Accounted | null {
  const baseline = baselineOf(sample, at);
  const result: Accounted = {
    baseline,
    continuity: 'first',
    elapsedSec: 0,
    net: zeroCounters(),
    interfaces: {},
    diskIo: zeroDisk(),
    resets: [],
    rejected: [],
    cpu: null,
  };
  if (!prev) return result;
  const sameBoot = prev.bootId === sample.bootId;
  const elapsedSec = elapsedSeconds(prev, sample, sameBoot);
  // A repeated or out-of-order sample moves nothing and must not move the baseline back.
  if (sameBoot && elapsedSec <= 0) return null;
  result.elapsedSec = elapsedSec;
  result.continuity = !sameBoot ? 'reboot' : elapsedSec * 1000 > limits.maxContiguousMs ? 'away' : 'contiguous';
  const capacitySec = capacitySeconds(elapsedSec, prev, at, limits);

  for (const iface of sample.net ?? []) {
    const before = sameBoot ? prev.net[iface.name] : zeroCounters();
    // An interface we have not seen in this boot: its history is unknown, so it only sets a baseline.
    if (!before) continue;
    const moved = {
      rxBytes: movement(before.rxBytes, iface.rxBytes),
      txBytes: movement(before.txBytes, iface.txBytes),
      rxPackets: movement(before.rxPackets, iface.rxPackets),
      txPackets: movement(before.txPackets, iface.txPackets),
    };
    if (sameBoot && (moved.rxBytes.reset || moved.txBytes.reset)) result.resets.push(iface.name);
    const limitBytes = (linkBps(iface.speedMbps, limits) / 8) * capacitySec;
    const biggest = Math.max(moved.rxBytes.delta, moved.txBytes.delta);
    // Every packet carries at least a byte, so packets are bounded by the same figure.
    const packets = Math.max(moved.rxPackets.delta, moved.txPackets.delta);
    if (Math.max(biggest, packets) > limitBytes * limits.safetyFactor) {
      result.rejected.push({ iface: iface.name, bytes: biggest, limitBytes: Math.round(limitBytes) });
      continue;
    }
    const delta = {
      rxBytes: moved.rxBytes.delta,
      txBytes: moved.txBytes.delta,
      rxPackets: moved.rxPackets.delta,
      txPackets: moved.txPackets.delta,
    };
    result.interfaces[iface.name] = delta;
    result.net.rxBytes += delta.rxBytes;
    result.net.txBytes += delta.txBytes;
    result.net.rxPackets += delta.rxPackets;
    result.net.txPackets += delta.txPackets;
  }

  rejectBeyondHost(result, (limits.maxNodeBps / 8) * capacitySec * limits.safetyFactor);

  if (sample.diskIo) {
    const before = sameBoot ? prev.diskIo : zeroDisk();
    if (before) {
      const diskIo = {
        readBytes: movement(before.readBytes, sample.diskIo.readBytes).delta,
        writeBytes: movement(before.writeBytes, sample.diskIo.writeBytes).delta,
        reads: movement(before.reads, sample.diskIo.reads).delta,
        writes: movement(before.writes, sample.diskIo.writes).delta,
      };
      const limitBytes = limits.maxDiskBytesPerSec * capacitySec * limits.safetyFactor;
      const biggest = Math.max(...Object.values(diskIo));
      if (biggest > limitBytes)
        result.rejected.push({ iface: 'disk', bytes: biggest, limitBytes: Math.round(limitBytes) });
      else result.diskIo = diskIo;
    }
  }

  if (result.continuity === 'contiguous' && sample.cpu) {
    const total = cpuShare(prev.cpu, sample.cpu.total);
    if (total) {
      const cores = sample.cpu.cores.map((c, i) => cpuShare(prevCores?.[i] ?? null, c)?.busy ?? Number.NaN);
      result.cpu = { ...total, cores };
    }
  }
  return result;
}

/** Interfaces that each passed but together exceed what one host can move: none of them counts. */
function rejectBeyondHost(result: Accounted, limitBytes: number): void {
  const biggest = Math.max(result.net.rxBytes, result.net.txBytes, result.net.rxPackets, result.net.txPackets);
  if (biggest <= limitBytes) return;
  result.rejected.push({ iface: '*', bytes: biggest, limitBytes: Math.round(limitBytes) });
  result.interfaces = {};
  result.net = zeroCounters();
}
