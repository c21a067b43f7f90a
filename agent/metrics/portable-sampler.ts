// The sampler for macOS and Windows: what Node's os module offers. Everything it cannot know is
// null (shown as unavailable), never a made-up zero.
import os from 'node:os';
import { bootId } from '../host-facts.js';
import type { MetricSample } from '../protocol.js';
import type { CpuTimes } from './proc-parsers.js';
import type { Sampler } from './sampler.js';

function cpuTimes(cpu: os.CpuInfo): CpuTimes {
  const t = cpu.times;
  return [t.user, t.nice, t.sys, t.idle, 0, t.irq, 0, 0].map(Math.round) as CpuTimes;
}

export class PortableSampler implements Sampler {
  async sample(): Promise<MetricSample> {
    const cores = os.cpus().map(cpuTimes);
    const total = cores.reduce<CpuTimes>(
      (sum, c) => sum.map((v, i) => v + (c[i] as number)) as CpuTimes,
      [0, 0, 0, 0, 0, 0, 0, 0],
    );
    const memTotal = os.totalmem();
    const memFree = os.freemem();
    return {
      t: Date.now(),
      bootId: bootId(),
      uptimeSec: os.uptime(),
      cpu: cores.length > 0 ? { source: 'os', total, cores } : null,
      load: process.platform === 'win32' ? null : (os.loadavg() as [number, number, number]),
      memory: { total: memTotal, available: memFree, used: memTotal - memFree, buffers: null, cached: null },
      swap: null,
      disks: null,
      diskIo: null,
      net: null,
      connections: null,
      processes: null,
    };
  }
}
