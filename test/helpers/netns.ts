// A network namespace joined to the test's namespace by a veth pair, so traffic between the two
// crosses one interface nobody else uses and its kernel counters can be compared to the byte.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Proc } from './processes.js';
import { serviceAvailable } from './services.js';

function run(args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

export function canCreateNetns(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['-V'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

export const hasNetns = () =>
  serviceAvailable(
    'network namespaces',
    canCreateNetns(),
    'run the tests as root on Linux with iproute2 installed ("apt-get install iproute2")',
  );

export class VethPair {
  readonly ns: string;
  /** The end in the test's own namespace (the agent counts this one). */
  readonly hostIf: string;
  readonly peerAddress: string;
  /** The address of the test's own end (what the namespace reaches the test's servers at). */
  readonly hostAddress: string;

  constructor(index = process.pid % 200) {
    this.ns = `fdk-${process.pid}`;
    this.hostIf = `fdkh${process.pid % 100_000}`;
    const peerIf = `fdkp${process.pid % 100_000}`;
    const subnet = `10.231.${index}`;
    this.peerAddress = `${subnet}.2`;
    this.hostAddress = `${subnet}.1`;
    run(['netns', 'add', this.ns]);
    run(['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', peerIf]);
    run(['link', 'set', peerIf, 'netns', this.ns]);
    // IPv6 would send router solicitations on its own; keep the link silent unless the test talks.
    execFileSync('sysctl', ['-qw', `net.ipv6.conf.${this.hostIf}.disable_ipv6=1`]);
    run(['netns', 'exec', this.ns, 'sysctl', '-qw', `net.ipv6.conf.${peerIf}.disable_ipv6=1`]);
    run(['addr', 'add', `${subnet}.1/30`, 'dev', this.hostIf]);
    run(['link', 'set', this.hostIf, 'up']);
    run(['netns', 'exec', this.ns, 'ip', 'addr', 'add', `${subnet}.2/30`, 'dev', peerIf]);
    run(['netns', 'exec', this.ns, 'ip', 'link', 'set', peerIf, 'up']);
    run(['netns', 'exec', this.ns, 'ip', 'link', 'set', 'lo', 'up']);
  }

  /** rx + tx bytes of the host end, as the kernel counts them. */
  counterBytes(): number {
    const read = (name: string) => Number(readFileSync(`/sys/class/net/${this.hostIf}/statistics/${name}`, 'utf8'));
    return read('rx_bytes') + read('tx_bytes');
  }

  /** A TCP sink inside the namespace that reads and discards everything. */
  async startSink(port: number): Promise<Proc> {
    const script = `require('net').createServer(s=>s.on('data',()=>{})).listen(${port},'${this.peerAddress}',()=>console.log('listening'))`;
    const proc = new Proc(spawn('ip', ['netns', 'exec', this.ns, process.execPath, '-e', script]));
    await proc.waitForLine(/listening/);
    return proc;
  }

  /** Sends `bytes` to the sink and waits until they were all acknowledged (the socket closed). */
  send(port: number, bytes: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, this.peerAddress);
      socket.on('error', reject);
      socket.on('connect', () => {
        const chunk = Buffer.alloc(64 * 1024, 7);
        let left = bytes;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!socket.write(chunk.subarray(0, n))) return void socket.once('drain', pump);
          }
          socket.end();
        };
        pump();
      });
      socket.on('close', () => resolve());
    });
  }

  destroy(): void {
    try {
      run(['link', 'del', this.hostIf]);
    } catch {}
    try {
      run(['netns', 'del', this.ns]);
    } catch {}
  }
}
