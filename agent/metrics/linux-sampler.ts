// Reads one sample of cumulative counters from /proc, /sys and statfs. Every read is cheap and
// asynchronous; a file that cannot be read makes its part of the sample null, never zero.
import { readdir, readFile, statfs } from 'node:fs/promises';
import type { MetricSample } from '../protocol.js';
import {
  isPhysicalDisk,
  parseCpuStat,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseSockstat,
} from './proc-parsers.js';
import type { Sampler } from './sampler.js';

const SPEED_REFRESH_MS = 60_000;
const STATFS_TIMEOUT_MS = 1_000;

async function read(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** A stalled mount (a dead network share) must not hold the sample back. */
async function statfsWithTimeout(path: string) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), STATFS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([statfs(path).catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class LinuxSampler implements Sampler {
  private speeds = new Map<string, number | null>();
  private speedsReadAt = 0;
  private disks: Set<string> | null = null;

  constructor(
    private readonly countsInterface: (name: string) => boolean,
    private readonly procRoot = '/proc',
    private readonly sysRoot = '/sys',
  ) {}

  async sample(): Promise<MetricSample> {
    const p = this.procRoot;
    const [stat, loadavg, meminfo, netDev, diskstats, mounts, sockstat, sockstat6, uptime, bootId] = await Promise.all([
      read(`${p}/stat`),
      read(`${p}/loadavg`),
      read(`${p}/meminfo`),
      read(`${p}/net/dev`),
      read(`${p}/diskstats`),
      read(`${p}/mounts`),
      read(`${p}/net/sockstat`),
      read(`${p}/net/sockstat6`),
      read(`${p}/uptime`),
      read(`${p}/sys/kernel/random/boot_id`),
    ]);
    const cpu = stat ? parseCpuStat(stat) : null;
    const [disks, net, processes, diskIo] = await Promise.all([
      mounts ? this.diskUsage(mounts) : null,
      netDev ? this.interfaces(netDev) : null,
      this.processCount(),
      diskstats ? this.diskIo(diskstats) : null,
    ]);
    return {
      t: Date.now(),
      bootId: bootId?.trim() ?? '',
      uptimeSec: uptime ? Number(uptime.split(' ')[0]) : 0,
      cpu: cpu ? { source: 'proc', total: cpu.total, cores: cpu.cores } : null,
      load: loadavg ? parseLoadavg(loadavg) : null,
      ...(meminfo ? memoryFrom(parseMeminfo(meminfo)) : { memory: null, swap: null }),
      disks,
      diskIo,
      net,
      connections: sockstat ? parseSockstat(`${sockstat}\n${sockstat6 ?? ''}`) : null,
      processes,
    };
  }

  private async diskUsage(mountsText: string): Promise<NonNullable<MetricSample['disks']>> {
    const mounts = parseMounts(mountsText).slice(0, 256);
    const stats = await Promise.all(mounts.map((m) => statfsWithTimeout(m.mount)));
    const out: NonNullable<MetricSample['disks']> = [];
    mounts.forEach((m, i) => {
      const s = stats[i];
      if (!s || s.blocks === 0) return;
      const total = s.blocks * s.bsize;
      const free = s.bavail * s.bsize;
      out.push({ mount: m.mount, fs: m.fs, total, free, used: total - s.bfree * s.bsize });
    });
    return out;
  }

  private async interfaces(netDevText: string): Promise<NonNullable<MetricSample['net']>> {
    const counted = parseNetDev(netDevText).filter((i) => this.countsInterface(i.name));
    if (Date.now() - this.speedsReadAt > SPEED_REFRESH_MS || counted.some((i) => !this.speeds.has(i.name))) {
      await this.readSpeeds(counted.map((i) => i.name));
    }
    return counted.slice(0, 256).map((i) => ({ ...i, speedMbps: this.speeds.get(i.name) ?? null }));
  }

  private async readSpeeds(names: string[]): Promise<void> {
    const speeds = await Promise.all(names.map((n) => read(`${this.sysRoot}/class/net/${n}/speed`)));
    this.speeds = new Map(
      names.map((n, i) => {
        const mbps = Number(speeds[i]?.trim());
        return [n, Number.isInteger(mbps) && mbps > 0 ? mbps : null];
      }),
    );
    this.speedsReadAt = Date.now();
  }

  private async processCount(): Promise<number | null> {
    try {
      const entries = await readdir(this.procRoot);
      let n = 0;
      for (const e of entries) if (e.charCodeAt(0) >= 48 && e.charCodeAt(0) <= 57) n += 1;
      return n;
    } catch {
      return null;
    }
  }

  private async diskIo(text: string): Promise<MetricSample['diskIo']> {
    if (!this.disks) {
      try {
        this.disks = new Set((await readdir(`${this.sysRoot}/block`)).filter(isPhysicalDisk));
      } catch {
        return null;
      }
    }
    return parseDiskstats(text, this.disks);
  }
}

function memoryFrom(info: Map<string, number>): Pick<MetricSample, 'memory' | 'swap'> {
  const total = info.get('MemTotal');
  if (total === undefined) return { memory: null, swap: null };
  const free = info.get('MemFree') ?? 0;
  const buffers = info.get('Buffers') ?? 0;
  const cached = (info.get('Cached') ?? 0) + (info.get('SReclaimable') ?? 0);
  const available = info.get('MemAvailable') ?? free + buffers + cached;
  const swapTotal = info.get('SwapTotal');
  return {
    memory: { total, available, used: Math.max(0, total - available), buffers, cached },
    swap: swapTotal === undefined ? null : { total: swapTotal, free: info.get('SwapFree') ?? 0 },
  };
}
