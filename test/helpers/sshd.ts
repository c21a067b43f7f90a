// A real OpenSSH sshd on a loopback port with a throwaway host key and user key, for the bootstrap
// tests. It logs in as the user running the tests. Missing sshd → the suite skips loudly (or fails
// under FLEETDECK_REQUIRE_SERVICES=1).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { Proc, tempDir } from './processes.js';
import { serviceAvailable } from './services.js';

const SSHD = '/usr/sbin/sshd';

export const hasSshd = () =>
  serviceAvailable(
    'OpenSSH sshd',
    existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen'),
    'install it with "apt-get install openssh-server"',
  );

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

export function keygen(path: string): { privateKey: string; publicKey: string } {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path], { stdio: 'pipe' });
  return { privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8') };
}

export function keyFingerprint(pubPath: string): string {
  return execFileSync('ssh-keygen', ['-l', '-f', pubPath], { encoding: 'utf8' }).split(' ')[1] as string;
}

export class TestSshd {
  readonly dir = tempDir('fleetdeck-sshd-');
  readonly username = os.userInfo().username;
  port = 0;
  proc: Proc | null = null;
  userKey = keygen(join(this.dir, 'id_ed25519'));

  get hostKeyFingerprint(): string {
    return keyFingerprint(join(this.dir, 'host_ed25519.pub'));
  }

  /**
   * Sessions get this PATH (sshd SetEnv): a directory of links to the usual tools without `node`
   * makes the host look like one without Node.js.
   */
  sessionPath: string | null = null;

  /** Makes sessions see every tool of /usr/bin and /bin except `node`. */
  hideNode(): void {
    const bin = join(this.dir, 'bin-without-node');
    mkdirSync(bin, { recursive: true });
    for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (name === 'node' || name === 'nodejs' || existsSync(join(bin, name))) continue;
        symlinkSync(join(dir, name), join(bin, name));
      }
    }
    this.sessionPath = bin;
  }

  async start(options: { newHostKey?: boolean } = {}): Promise<void> {
    if (options.newHostKey || !existsSync(join(this.dir, 'host_ed25519'))) keygen(join(this.dir, 'host_ed25519'));
    writeFileSync(join(this.dir, 'authorized_keys'), this.userKey.publicKey, { mode: 0o600 });
    this.port ||= await freePort();
    const config = [
      `Port ${this.port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(this.dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
      `PidFile ${join(this.dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      ...(this.sessionPath ? [`SetEnv PATH=${this.sessionPath}`] : []),
    ].join('\n');
    writeFileSync(join(this.dir, 'sshd_config'), `${config}\n`);
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true });
    this.proc = new Proc(
      spawn(SSHD, ['-D', '-e', '-f', join(this.dir, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    await this.proc.waitForLine(/Server listening on 127\.0\.0\.1/);
  }

  /** The last lines sshd logged (it runs with -e, LogLevel VERBOSE): for a failing test's message. */
  log(): string {
    return this.proc?.output() ?? '(sshd is not running)';
  }

  /** Cuts every open SSH session (the per-connection processes), keeping the listener. */
  dropSessions(): void {
    const pid = this.proc?.child.pid;
    if (!pid) return;
    try {
      execFileSync('pkill', ['-TERM', '-P', String(pid)]);
    } catch {
      // no session was open
    }
  }

  /** Runs a command in a session with the OpenSSH client (checks what sessions see). */
  async run(command: string): Promise<string> {
    return execFileSync(
      'ssh',
      [
        '-i',
        join(this.dir, 'id_ed25519'),
        '-p',
        String(this.port),
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        `UserKnownHostsFile=${join(this.dir, 'client_known_hosts')}`,
        '-o',
        'BatchMode=yes',
        `${this.username}@127.0.0.1`,
        command,
      ],
      { encoding: 'utf8' },
    );
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = null;
  }
}
