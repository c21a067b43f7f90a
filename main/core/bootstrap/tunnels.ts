// Reverse tunnels for masters behind NAT: the master keeps an SSH session to the host and asks it to
// listen on its loopback; the agent there dials that port and its TLS connection is carried to the
// master's gateway. Sessions that drop are reopened with backoff; tunnels (with their credentials,
// sealed) survive master restarts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Logger } from '../log.js';
import type { KnownHosts } from './known-hosts.js';
import type { SecretBox } from './secret-box.js';
import { type SshAuth, SshSession, type SshTarget } from './ssh-session.js';

export interface TunnelSpec {
  nodeId: string;
  target: SshTarget;
  remotePort: number;
}

interface StoredTunnel extends TunnelSpec {
  sealedAuth: string;
}

interface LiveTunnel {
  spec: TunnelSpec;
  auth: SshAuth;
  session: SshSession | null;
  timer: NodeJS.Timeout | null;
  delayMs: number;
  up: boolean;
  lastError: string | null;
}

export class TunnelManager {
  private readonly tunnels = new Map<string, LiveTunnel>();
  private stopped = false;

  constructor(
    private readonly file: string,
    private readonly secrets: SecretBox,
    private readonly knownHosts: KnownHosts,
    private readonly gatewayPort: () => number,
    private readonly log: Logger,
  ) {}

  /** Reopens the tunnels saved by a previous run. */
  start(): void {
    if (!existsSync(this.file)) return;
    for (const stored of JSON.parse(readFileSync(this.file, 'utf8')) as StoredTunnel[]) {
      const { sealedAuth, ...spec } = stored;
      this.launch(spec, JSON.parse(this.secrets.open(sealedAuth)) as SshAuth);
    }
  }

  /** Opens a tunnel now (the bootstrap waits for it) and keeps it open. */
  async add(spec: TunnelSpec, auth: SshAuth): Promise<void> {
    await this.remove(spec.nodeId);
    const live = this.launch(spec, auth, false);
    await this.open(live);
    this.save();
  }

  async remove(nodeId: string): Promise<void> {
    const live = this.tunnels.get(nodeId);
    if (!live) return;
    this.tunnels.delete(nodeId);
    if (live.timer) clearTimeout(live.timer);
    live.session?.close();
    this.save();
  }

  status(nodeId: string): { up: boolean; lastError: string | null } | null {
    const live = this.tunnels.get(nodeId);
    return live ? { up: live.up, lastError: live.lastError } : null;
  }

  stop(): void {
    this.stopped = true;
    for (const live of this.tunnels.values()) {
      if (live.timer) clearTimeout(live.timer);
      live.session?.close();
    }
  }

  private launch(spec: TunnelSpec, auth: SshAuth, openNow = true): LiveTunnel {
    const live: LiveTunnel = { spec, auth, session: null, timer: null, delayMs: 1_000, up: false, lastError: null };
    this.tunnels.set(spec.nodeId, live);
    if (openNow) void this.open(live).catch(() => undefined);
    return live;
  }

  private async open(live: LiveTunnel): Promise<void> {
    try {
      const session = await SshSession.connect(live.spec.target, live.auth, this.knownHosts, { confirmed: new Set() });
      live.session = session;
      session.onClose(() => this.dropped(live, 'the SSH session closed'));
      await session.forwardIn('127.0.0.1', live.spec.remotePort, (stream) => {
        const upstream = connect(this.gatewayPort(), '127.0.0.1');
        stream.pipe(upstream).pipe(stream);
        const close = () => {
          stream.destroy();
          upstream.destroy();
        };
        stream.on('error', close);
        upstream.on('error', close);
        stream.on('close', close);
        upstream.on('close', close);
      });
      live.up = true;
      live.delayMs = 1_000;
      live.lastError = null;
      this.log.info({ nodeId: live.spec.nodeId, host: live.spec.target.host }, 'reverse tunnel open');
    } catch (error) {
      live.session?.close();
      this.dropped(live, (error as Error).message);
      throw error;
    }
  }

  private dropped(live: LiveTunnel, reason: string): void {
    live.up = false;
    live.session = null;
    live.lastError = reason;
    if (this.stopped || this.tunnels.get(live.spec.nodeId) !== live || live.timer) return;
    this.log.warn({ nodeId: live.spec.nodeId, reason, retryInMs: live.delayMs }, 'reverse tunnel down; reopening');
    live.timer = setTimeout(() => {
      live.timer = null;
      void this.open(live).catch(() => undefined);
    }, live.delayMs);
    live.delayMs = Math.min(30_000, live.delayMs * 2);
  }

  private save(): void {
    const stored: StoredTunnel[] = [...this.tunnels.values()].map((t) => ({
      ...t.spec,
      sealedAuth: this.secrets.seal(JSON.stringify(t.auth)),
    }));
    writeFileSync(this.file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
}
