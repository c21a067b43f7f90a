// Pure parsers for the Linux /proc files the sampler reads. Kept free of I/O so they are tested
// on captured text.

export type CpuTimes = [number, number, number, number, number, number, number, number];

export interface CpuStat {
  total: CpuTimes;
  cores: CpuTimes[];
}

/** /proc/stat: the aggregate `cpu` line and one `cpuN` line per core (first eight fields). */
export function parseCpuStat(text: string): CpuStat | null {
  let total: CpuTimes | null = null;
  const cores: CpuTimes[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const fields = line.trim().split(/\s+/);
    const times = fields.slice(1, 9).map(Number);
    while (times.length < 8) times.push(0);
    if (times.some((n) => !Number.isFinite(n))) continue;
    if (fields[0] === 'cpu') total = times as CpuTimes;
    else cores.push(times as CpuTimes);
  }
  return total ? { total, cores } : null;
}

export function parseLoadavg(text: string): [number, number, number] | null {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((n) => Number.isFinite(n))) return null;
  return [a as number, b as number, c as number];
}

/** /proc/meminfo values, converted from kB to bytes. */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (match) values.set(match[1] as string, Number(match[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return values;
}

export interface InterfaceCounters {
  name: string;
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** /proc/net/dev: per-interface cumulative receive and transmit counters. */
export function parseNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (f.length < 10 || f.some((n) => !Number.isFinite(n))) continue;
    out.push({
      name,
      rxBytes: f[0] as number,
      rxPackets: f[1] as number,
      txBytes: f[8] as number,
      txPackets: f[9] as number,
    });
  }
  return out;
}

export interface DiskCounters {
  readBytes: number;
  writeBytes: number;
  reads: number;
  writes: number;
}

/** /proc/diskstats summed over the given whole-disk devices (partitions would double count). */
export function parseDiskstats(text: string, disks: ReadonlySet<string>): DiskCounters {
  const sum: DiskCounters = { readBytes: 0, writeBytes: 0, reads: 0, writes: 0 };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !disks.has(f[2] as string)) continue;
    sum.reads += Number(f[3]);
    sum.readBytes += Number(f[5]) * 512;
    sum.writes += Number(f[7]);
    sum.writeBytes += Number(f[9]) * 512;
  }
  return sum;
}

/** Whole block devices worth counting: not loop, RAM, optical, or stacked (dm, md) devices. */
export function isPhysicalDisk(name: string): boolean {
  return !/^(loop|ram|zram|sr|fd|dm-|md|nbd)/.test(name);
}

export interface Mount {
  device: string;
  mount: string;
  fs: string;
}

/** Filesystems that hold data on a local device; network and pseudo filesystems are left out. */
const REAL_FILESYSTEMS = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'zfs',
  'f2fs',
  'vfat',
  'exfat',
  'ntfs',
  'ntfs3',
  'jfs',
  'reiserfs',
  'bcachefs',
  'overlay',
]);

/** /proc/mounts reduced to real filesystems, one mount per device (bind mounts repeat a device). */
export function parseMounts(text: string): Mount[] {
  const seen = new Set<string>();
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const [device, rawMount, fs] = line.split(' ');
    if (!device || !rawMount || !fs || !REAL_FILESYSTEMS.has(fs)) continue;
    if (fs === 'overlay' && rawMount !== '/') continue;
    if (seen.has(device)) continue;
    seen.add(device);
    out.push({
      device,
      mount: rawMount.replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))),
      fs,
    });
  }
  return out;
}

/** /proc/net/sockstat (+ sockstat6): TCP and UDP sockets in use. */
export function parseSockstat(text: string): { tcp: number; udp: number } {
  const inuse = (proto: string) => Number(new RegExp(`^${proto}: inuse (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { tcp: inuse('TCP') + inuse('TCP6'), udp: inuse('UDP') + inuse('UDP6') };
}
