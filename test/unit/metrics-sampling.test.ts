// The agent's sampling: /proc parsing on captured text, interface selection, frames per interval,
// the bounded live ring, and one real sample of this machine checked against /proc and /sys.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NET_EXCLUDE, interfaceFilter } from '../../agent/metrics/interface-filter.js';
import { LinuxSampler } from '../../agent/metrics/linux-sampler.js';
import {
  parseCpuStat,
  parseDiskstats,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseSockstat,
} from '../../agent/metrics/proc-parsers.js';
import { MetricsReporter, samplesPerFrame } from '../../agent/metrics/reporter.js';
import { MetricSample, type MetricsMessage } from '../../agent/protocol.js';
import { LiveRing, ringCapacity } from '../../main/core/metrics/live-ring.js';

describe('/proc parsers', () => {
  it('reads total and per-core jiffies', () => {
    const stat = parseCpuStat(
      'cpu  3000 0 1823 74714 294 0 51 11 0 0\ncpu0 1594 0 745 37630 15 0 14 1 0 0\nintr 1 2\n',
    );
    expect(stat?.total).toEqual([3000, 0, 1823, 74714, 294, 0, 51, 11]);
    expect(stat?.cores).toHaveLength(1);
  });

  it('reads interface counters from /proc/net/dev', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   40756     561    0    0    0     0          0         0    40756     561    0    0    0     0       0          0
  eth0: 30130123     845    0    0    0     0          0         0    38079     463    0    0    0     0       0          0
`;
    expect(parseNetDev(text)).toEqual([
      { name: 'lo', rxBytes: 40756, rxPackets: 561, txBytes: 40756, txPackets: 561 },
      { name: 'eth0', rxBytes: 30130123, rxPackets: 845, txBytes: 38079, txPackets: 463 },
    ]);
  });

  it('converts meminfo kB to bytes', () => {
    const m = parseMeminfo('MemTotal:       24683656 kB\nMemAvailable:   24011760 kB\nHugePages_Total:       0\n');
    expect(m.get('MemTotal')).toBe(24683656 * 1024);
    expect(m.get('HugePages_Total')).toBe(0);
  });

  it('sums whole disks only (partitions and loop devices would double count)', () => {
    const text = [
      ' 253       0 vda 100 0 2000 0 50 0 4000 0 0 0 0',
      ' 253       1 vda1 100 0 2000 0 50 0 4000 0 0 0 0',
      '   7       0 loop0 9 0 9 0 9 0 9 0 0 0 0',
    ].join('\n');
    expect(parseDiskstats(text, new Set(['vda']))).toEqual({
      reads: 100,
      readBytes: 2000 * 512,
      writes: 50,
      writeBytes: 4000 * 512,
    });
  });

  it('keeps real filesystems once per device and decodes escaped mount points', () => {
    const text = [
      '/dev/vda1 / ext4 rw 0 0',
      'proc /proc proc rw 0 0',
      '/dev/vda1 /var/lib/docker ext4 rw 0 0',
      '/dev/vdb1 /mnt/my\\040disk xfs rw 0 0',
      'server:/export /mnt/nfs nfs4 rw 0 0',
    ].join('\n');
    expect(parseMounts(text)).toEqual([
      { device: '/dev/vda1', mount: '/', fs: 'ext4' },
      { device: '/dev/vdb1', mount: '/mnt/my disk', fs: 'xfs' },
    ]);
  });

  it('counts TCP and UDP sockets over IPv4 and IPv6', () => {
    expect(parseSockstat('TCP: inuse 11 orphan 0\nUDP: inuse 2 mem 0\nTCP6: inuse 4\nUDP6: inuse 1\n')).toEqual({
      tcp: 15,
      udp: 3,
    });
  });
});

describe('interface selection', () => {
  it('leaves out loopback and double-counting virtual interfaces by default', () => {
    const counts = interfaceFilter({ include: [], exclude: DEFAULT_NET_EXCLUDE });
    expect(['eth0', 'ens5', 'enp0s3', 'bond0'].filter(counts)).toEqual(['eth0', 'ens5', 'enp0s3', 'bond0']);
    expect(['lo', 'veth12ab', 'docker0', 'br-1f2e', 'wg0', 'tun0'].filter(counts)).toEqual([]);
  });

  it('counts exactly the included interfaces when given, excluded ones too', () => {
    const counts = interfaceFilter({ include: ['lo', 'fdt*'], exclude: DEFAULT_NET_EXCLUDE });
    expect(['lo', 'fdt0', 'eth0'].filter(counts)).toEqual(['lo', 'fdt0']);
  });
});

describe('reporter', () => {
  it('puts several samples in a frame when the interval is short', () => {
    expect(samplesPerFrame(1_000)).toBe(4);
    expect(samplesPerFrame(2_000)).toBe(2);
    expect(samplesPerFrame(5_000)).toBe(1);
  });

  it('keeps only the newest frame of samples while disconnected, then sends them on flush', async () => {
    let t = 0;
    const sampler = { sample: async () => ({ t: ++t }) as unknown as MetricSample };
    const sent: MetricsMessage[] = [];
    let connected = false;
    const reporter = new MetricsReporter(
      sampler,
      2_000,
      (m) => {
        if (connected) sent.push(m);
        return connected;
      },
      () => {},
    );
    for (let i = 0; i < 7; i++) await (reporter as unknown as { tick(): Promise<void> }).tick();
    expect(sent).toHaveLength(0);
    connected = true;
    reporter.flush();
    expect(sent.map((m) => m.samples.map((s) => s.t))).toEqual([[6, 7]]);
  });
});

describe('live ring', () => {
  it('holds about ten minutes and never grows past its capacity', () => {
    expect(ringCapacity(2_000)).toBe(300);
    expect(ringCapacity(60_000)).toBe(10);
    const ring = new LiveRing(2_000);
    for (let i = 0; i < 1_000; i++) {
      ring.push(i, { cpu: i, memUsed: null, rxBps: 1, txBps: 2, diskReadBps: 0, diskWriteBps: 0, load1: 0.5 });
    }
    const series = ring.toSeries();
    expect(series.t).toHaveLength(300);
    expect(series.t[0]).toBe(700);
    expect(series.t.at(-1)).toBe(999);
    expect(series.cpu.at(-1)).toBe(999);
    expect(series.memUsed.every((v) => v === null)).toBe(true);
  });
});

describe.runIf(process.platform === 'linux')('a real sample of this machine', () => {
  it('is valid on the wire and its loopback counters match /sys', async () => {
    const sampler = new LinuxSampler(interfaceFilter({ include: ['lo'], exclude: [] }));
    const before = Number(readFileSync('/sys/class/net/lo/statistics/rx_bytes', 'utf8'));
    const sample = await sampler.sample();
    const after = Number(readFileSync('/sys/class/net/lo/statistics/rx_bytes', 'utf8'));
    expect(MetricSample.safeParse(sample).success).toBe(true);
    const lo = sample.net?.find((i) => i.name === 'lo');
    expect(lo?.rxBytes).toBeGreaterThanOrEqual(before);
    expect(lo?.rxBytes).toBeLessThanOrEqual(after);
    expect(sample.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(sample.memory?.total).toBeGreaterThan(0);
    expect(sample.cpu?.cores.length).toBeGreaterThan(0);
    expect(sample.disks?.some((d) => d.mount === '/' || d.total > 0)).toBe(true);
  });
});
