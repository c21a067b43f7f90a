// A stand-in host for install tests: a network namespace (its own network, reaching the test at
// veth.hostAddress) plus a mount namespace whose /etc (a copy of this machine's), /opt, /var/lib and
// /var/log are directories of the test. So an install script run there as root creates its user,
// files and services for real, and the test machine's own are never touched. With `dpkg`, the host
// also has a copy of this machine's dpkg database and /usr as an overlay on this machine's (changes go
// to a directory of the test), so a package installs, upgrades and purges there as on a real host. Processes share this
// machine's kernel and PID space: the test sees and stops what the script started.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VethPair } from './netns.js';
import { Proc, tempDir, waitFor } from './processes.js';

const MOUNTED = ['etc', 'opt', 'var/lib', 'var/log'];

export class InstallHost {
  readonly veth: VethPair;
  readonly root = tempDir('fleetdeck-host-');
  private holder: Proc | null = null;
  private readonly dpkg: boolean;

  constructor(index?: number, options: { dpkg?: boolean } = {}) {
    this.veth = new VethPair(index);
    this.dpkg = options.dpkg ?? false;
    execFileSync('cp', ['-a', '/etc', join(this.root, 'etc')]);
    for (const dir of MOUNTED.slice(1)) mkdirSync(join(this.root, dir), { recursive: true });
    if (this.dpkg) {
      execFileSync('cp', ['-a', '/var/lib/dpkg', join(this.root, 'var/lib/dpkg')]);
      for (const dir of ['usr-upper', 'usr-work']) mkdirSync(join(this.root, dir));
    }
  }

  async start(): Promise<void> {
    const binds = MOUNTED.map((dir) => `mount --bind '${join(this.root, dir)}' /${dir}`);
    const usr = `mount -t overlay overlay -o 'lowerdir=/usr,upperdir=${join(this.root, 'usr-upper')},workdir=${join(this.root, 'usr-work')}' /usr`;
    const mounts = [...binds, ...(this.dpkg ? [usr] : [])].join(' && ');
    this.holder = new Proc(
      spawn('ip', [
        'netns',
        'exec',
        this.veth.ns,
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        `${mounts} && echo host-ready && exec sleep 100000`,
      ]),
    );
    await this.holder.waitForLine(/host-ready/);
  }

  /** A path on the host, as seen from the test (not /usr: ask the host, `test -e`, there). */
  path(hostPath: string): string {
    const dir = MOUNTED.find((d) => hostPath.startsWith(`/${d}/`));
    if (!dir) throw new Error(`${hostPath} is not under a directory the host has of its own`);
    return join(this.root, hostPath.slice(1));
  }

  /**
   * Runs a shell command on the host as root: its exit code and output. Asynchronous, so a master in
   * the test's own process keeps answering meanwhile.
   */
  async sh(command: string, timeoutMs = 60_000): Promise<{ code: number; out: string }> {
    const pid = this.holder?.child.pid;
    if (!pid) throw new Error('the host is not started');
    const child = spawn('nsenter', ['-t', String(pid), '-m', '-n', 'sh', '-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
    clearTimeout(timer);
    return { code, out };
  }

  /** The uid of a user in the host's own /etc/passwd. */
  uidOf(user: string): number | null {
    const line = readFileSync(join(this.root, 'etc/passwd'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${user}:`));
    return line ? Number(line.split(':')[2]) : null;
  }

  /** Processes in the host's network namespace (what the script started), by pid. */
  pids(): number[] {
    const out = execFileSync('ip', ['netns', 'pids', this.veth.ns], { encoding: 'utf8' });
    const holder = this.holder?.child.pid;
    return out
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0 && pid !== holder);
  }

  commandLine(pid: number): string {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      return '';
    }
  }

  async destroy(): Promise<void> {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await waitFor(() => this.pids().length === 0, 'the host processes to exit', 5_000).catch(() => undefined);
    await this.holder?.stop('SIGKILL');
    this.veth.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}
