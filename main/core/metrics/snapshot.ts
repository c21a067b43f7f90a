// Builds what the UI shows for one sample: rates and percentages from the accounted deltas.
import type { MetricSample } from '../../../agent/protocol.js';
import type { LiveSnapshot, NodeLive } from '../../contract/metrics-schemas.js';
import type { Accounted } from './accounting.js';
import type { RingPoint } from './live-ring.js';

const percent = (share: number | undefined) =>
  share === undefined || Number.isNaN(share) ? null : Math.round(share * 10_000) / 100;

export function snapshotOf(sample: MetricSample, accounted: Accounted, t: number): LiveSnapshot {
  const contiguous = accounted.continuity === 'contiguous';
  const per = (n: number) => (contiguous ? n / accounted.elapsedSec : null);
  const osCpu = sample.cpu?.source === 'os';
  return {
    t,
    bootId: sample.bootId,
    uptimeSec: sample.uptimeSec,
    continuity: accounted.continuity,
    cpu: sample.cpu
      ? {
          usage: percent(accounted.cpu?.busy),
          iowait: osCpu ? null : percent(accounted.cpu?.iowait),
          steal: osCpu ? null : percent(accounted.cpu?.steal),
          cores: sample.cpu.cores.map((_c, i) => percent(accounted.cpu?.cores[i])),
        }
      : null,
    load: sample.load,
    memory: sample.memory,
    swap: sample.swap ? { ...sample.swap, used: sample.swap.total - sample.swap.free } : null,
    disks: sample.disks,
    diskIo: sample.diskIo
      ? {
          readBps: per(accounted.diskIo.readBytes),
          writeBps: per(accounted.diskIo.writeBytes),
          readOps: per(accounted.diskIo.reads),
          writeOps: per(accounted.diskIo.writes),
        }
      : null,
    net: sample.net
      ? {
          rxBps: per(accounted.net.rxBytes),
          txBps: per(accounted.net.txBytes),
          interfaces: sample.net.map((i) => {
            const d = accounted.interfaces[i.name];
            return {
              name: i.name,
              rxBps: d ? per(d.rxBytes) : null,
              txBps: d ? per(d.txBytes) : null,
              rxBytes: i.rxBytes,
              txBytes: i.txBytes,
              speedMbps: i.speedMbps,
            };
          }),
        }
      : null,
    connections: sample.connections,
    processes: sample.processes,
  };
}

export function ringPointOf(s: LiveSnapshot): RingPoint {
  return {
    cpu: s.cpu?.usage ?? null,
    memUsed: s.memory?.used ?? null,
    rxBps: s.net?.rxBps ?? null,
    txBps: s.net?.txBps ?? null,
    diskReadBps: s.diskIo?.readBps ?? null,
    diskWriteBps: s.diskIo?.writeBps ?? null,
    load1: s.load?.[0] ?? null,
  };
}

export function headlineOf(nodeId: string, s: LiveSnapshot): NodeLive {
  let diskUsed: number | null = null;
  let diskTotal: number | null = null;
  for (const d of s.disks ?? []) {
    diskUsed = (diskUsed ?? 0) + d.used;
    diskTotal = (diskTotal ?? 0) + d.total;
  }
  return {
    nodeId,
    t: s.t,
    cpu: s.cpu?.usage ?? null,
    memUsed: s.memory?.used ?? null,
    memTotal: s.memory?.total ?? null,
    diskUsed,
    diskTotal,
    rxBps: s.net?.rxBps ?? null,
    txBps: s.net?.txBps ?? null,
    load1: s.load?.[0] ?? null,
    uptimeSec: s.uptimeSec,
  };
}
