// An SSH session for bootstrapping: host key checked against known_hosts before authenticating,
// password / private key / ssh-agent / keyboard-interactive authentication, commands and SFTP uploads.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { FleetError } from '../../contract/errors.js';
import { fingerprint, type KnownHosts } from './known-hosts.js';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** A jump host (OpenSSH ProxyJump) to reach this one through, with the same credentials. */
  jump?: { host: string; port: number; username: string };
}

export interface SshAuth {
  password?: string;
  privateKey?: string;
  passphrase?: string;
  /** Use the ssh-agent at SSH_AUTH_SOCK. */
  useAgent?: boolean;
}

export interface HostKeyDecision {
  /** Fingerprints the admin confirmed for unknown hosts ("SHA256:…"). */
  confirmed: ReadonlySet<string>;
}

export class HostKeyError extends FleetError {
  constructor(
    readonly verdict: 'unknown' | 'changed' | 'revoked',
    readonly presented: string,
    target: SshTarget,
  ) {
    const where = `${target.host}:${target.port}`;
    const message =
      verdict === 'unknown'
        ? `The host key of ${where} is not known yet. Its fingerprint is ${presented}: compare it with "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub" on the host, then confirm it to continue.`
        : verdict === 'changed'
          ? `THE HOST KEY OF ${where} HAS CHANGED (now ${presented}). Someone may be intercepting the connection, or the host was reinstalled. FleetDeck refuses to connect; if the change is expected, remove the old key from the known hosts and confirm the new one.`
          : `The host key of ${where} (${presented}) is marked @revoked in known_hosts; FleetDeck refuses to connect.`;
    super(verdict === 'unknown' ? 'conflict' : 'forbidden', message);
  }
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class SshSession {
  private constructor(
    private readonly client: Client,
    private readonly via: SshSession | null = null,
  ) {}

  static async connect(
    target: SshTarget,
    auth: SshAuth,
    knownHosts: KnownHosts,
    decision: HostKeyDecision,
  ): Promise<SshSession> {
    if (!target.jump) return SshSession.direct(target, auth, knownHosts, decision, null);
    const jump = await SshSession.direct(target.jump, auth, knownHosts, decision, null);
    try {
      const sock = await jump.tunnelTo(target.host, target.port);
      return await SshSession.direct(target, auth, knownHosts, decision, sock, jump);
    } catch (error) {
      jump.close();
      throw error;
    }
  }

  private tunnelTo(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) =>
      this.client.forwardOut('127.0.0.1', 0, host, port, (error, stream) =>
        error
          ? reject(new FleetError('unavailable', `The jump host cannot reach ${host}:${port}: ${error.message}`))
          : resolve(stream),
      ),
    );
  }

  private static direct(
    target: SshTarget,
    auth: SshAuth,
    knownHosts: KnownHosts,
    decision: HostKeyDecision,
    sock: Duplex | null,
    via: SshSession | null = null,
  ): Promise<SshSession> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let hostKeyProblem: HostKeyError | null = null;
      const checkHostKey = async (key: Buffer): Promise<boolean> => {
        const keyType = key.subarray(4, 4 + key.readUInt32BE(0)).toString();
        const verdict = await knownHosts.verify(target.host, target.port, keyType, key);
        if (verdict === 'trusted') return true;
        const presented = fingerprint(key);
        if (verdict === 'unknown' && decision.confirmed.has(presented)) {
          await knownHosts.trust(target.host, target.port, keyType, key);
          return true;
        }
        hostKeyProblem = new HostKeyError(verdict, presented, target);
        return false;
      };
      const config: ConnectConfig = {
        host: target.host,
        port: target.port,
        username: target.username,
        readyTimeout: 20_000,
        tryKeyboard: auth.password !== undefined,
        ...(sock ? { sock: sock as ConnectConfig['sock'] } : {}),
        // Asynchronous (the known hosts are in the store): nothing is sent before `verify` answers.
        hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
          void checkHostKey(key).then(verify, (error: Error) => {
            hostKeyProblem = null;
            reject(error);
            verify(false);
          });
        },
      };
      if (auth.password !== undefined) config.password = auth.password;
      if (auth.privateKey !== undefined) {
        config.privateKey = auth.privateKey;
        if (auth.passphrase !== undefined) config.passphrase = auth.passphrase;
      }
      if (auth.useAgent) {
        if (!process.env.SSH_AUTH_SOCK) {
          reject(new FleetError('bad_request', 'No ssh-agent is running for the master (SSH_AUTH_SOCK is not set).'));
          return;
        }
        config.agent = process.env.SSH_AUTH_SOCK;
      }
      // Servers that only offer keyboard-interactive get the password for every prompt.
      client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
        finish(prompts.map(() => auth.password ?? ''));
      });
      client.once('ready', () => resolve(new SshSession(client, via)));
      client.once('error', (error: Error & { level?: string }) => {
        if (hostKeyProblem) return reject(hostKeyProblem);
        if (error.level === 'client-authentication') {
          return reject(
            new FleetError(
              'unauthorized',
              `${target.username}@${target.host}:${target.port} refused the credentials (${auth.password !== undefined ? 'password' : auth.useAgent ? 'ssh-agent keys' : 'private key'}). Check the user name and the password or key.`,
            ),
          );
        }
        if (/passphrase/i.test(error.message)) {
          return reject(new FleetError('bad_request', 'The private key is encrypted: give its passphrase.'));
        }
        reject(new FleetError('unavailable', `Cannot reach ${target.host}:${target.port} over SSH: ${error.message}`));
      });
      try {
        client.connect(config);
      } catch (error) {
        reject(new FleetError('bad_request', `Cannot use these SSH settings: ${(error as Error).message}`));
      }
    });
  }

  exec(command: string, stdin?: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, stream) => {
        if (error) return reject(error);
        let stdout = '';
        let stderr = '';
        stream.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        stream.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        stream.on('close', (code: number | null) => resolve({ code, stdout, stderr }));
        if (stdin !== undefined) stream.end(stdin);
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => this.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))));
  }

  /** Uploads a local file to `remotePath` with the given mode; returns its SHA-256. */
  async upload(localPath: string, remotePath: string, mode: number): Promise<string> {
    const sftp = await this.sftp();
    const hash = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      const out = sftp.createWriteStream(remotePath, { mode });
      const input = createReadStream(localPath);
      input.on('data', (chunk) => hash.update(chunk));
      out.on('close', () => resolve());
      out.on('error', reject);
      input.on('error', reject);
      input.pipe(out);
    });
    sftp.end();
    return hash.digest('hex');
  }

  /** Writes small text (config) with the given mode. */
  async writeFile(remotePath: string, text: string, mode: number): Promise<void> {
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) =>
      sftp.writeFile(remotePath, text, { mode }, (error) => (error ? reject(error) : resolve())),
    );
    await new Promise<void>((resolve, reject) => sftp.chmod(remotePath, mode, (e) => (e ? reject(e) : resolve())));
    sftp.end();
  }

  /**
   * Asks the host to listen on its `bindHost:port` and hand every connection to `onConnection`
   * (a reverse tunnel: the host's agent dials its own loopback and reaches the master).
   */
  forwardIn(bindHost: string, port: number, onConnection: (stream: Duplex) => void): Promise<void> {
    this.client.on('tcp connection', (_info, accept) => onConnection(accept()));
    return new Promise((resolve, reject) =>
      this.client.forwardIn(bindHost, port, (error) =>
        error
          ? reject(
              new FleetError(
                'unavailable',
                `The host refused to listen on ${bindHost}:${port} for the tunnel: ${error.message}`,
              ),
            )
          : resolve(),
      ),
    );
  }

  onClose(listener: () => void): void {
    this.client.once('close', listener);
  }

  close(): void {
    this.client.end();
    this.via?.close();
  }
}
