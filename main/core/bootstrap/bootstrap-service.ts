// Installs, upgrades and removes agents over SSH. Each host goes through named steps reported live
// (`bootstrapProgress` events); a failed step stops that host with the reason and the remote output.
// Running it again converges: the node is found by its SSH label, its token rotated, files replaced.
import { randomUUID } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import type { z } from 'zod';
import { VERSION as AGENT_VERSION } from '../../../agent/version.js';
import type { StepName as StepNameSchema } from '../../contract/bootstrap-schemas.js';
import { FleetError } from '../../contract/errors.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { BootstrapJobs } from './jobs.js';
import type { KnownHosts } from './known-hosts.js';
import {
  agentArch,
  DETECT_SCRIPT,
  type HostFactsOverSsh,
  killLeftoversCommand,
  type Layout,
  layoutFor,
  leftoverProcessesCommand,
  nodeMajor,
  parseDetect,
  q,
  removeCommand,
  rollbackCommand,
  runScript,
  startCommand,
  stopCommand,
  swapCommand,
  systemdUnit,
  verifyRemovedCommand,
} from './remote-layout.js';
import { HostKeyError, type SshAuth, SshSession, type SshTarget } from './ssh-session.js';
import type { TunnelManager } from './tunnels.js';

export const SSH_LABEL = 'fleetdeck.io/ssh';
/** The steps a host goes through, as the contract names them. */
export type StepName = z.infer<typeof StepNameSchema>;

export interface BootstrapHost extends SshTarget {
  name?: string;
  labels?: Record<string, string>;
}

export interface BootstrapRequest {
  hosts: BootstrapHost[];
  auth: SshAuth;
  confirmHostKeys?: string[];
  capabilities?: { exec?: boolean; files?: boolean; filesWrite?: boolean; roots?: string[]; terminal?: boolean };
  installDir?: string;
  /** The gateway URL the agent dials, when it differs from the master's own. */
  masterUrl?: string;
  /** Master behind NAT: carry the agent's connection over an SSH remote forward on the host's loopback. */
  reverseTunnel?: { remotePort: number };
}

export interface HostProgress {
  host: string;
  nodeId: string | null;
  status: 'pending' | 'running' | 'done' | 'failed';
  step: StepName | null;
  message: string | null;
  output: string | null;
  /** What detection found, in words ("Linux x86_64, root, systemd, Node v20.1.0"). */
  facts: string | null;
  /** When the host key stopped the connection: its fingerprint and why. */
  hostKey: { fingerprint: string; verdict: 'unknown' | 'changed' | 'revoked' } | null;
  steps: Array<{ step: StepName; status: 'done' | 'failed'; at: number; message: string | null }>;
}

export interface BootstrapJob {
  id: string;
  kind: 'install' | 'upgrade' | 'uninstall';
  createdAt: number;
  finishedAt: number | null;
  hosts: HostProgress[];
}

export interface BootstrapContext {
  registry: NodeRegistry;
  /** Revokes the node the way the admin API does: connection closed everywhere, commands cancelled. */
  revoke: (nodeId: string) => Promise<void>;
  bus: EventBus;
  knownHosts: KnownHosts;
  tunnels: TunnelManager;
  /** Where jobs and their steps are kept (the store). */
  jobs: BootstrapJobs;
  agentUrl: () => string;
  /** The certificate pins a new agent trusts (empty: plain ws), read at each install: a TLS rotation
   * changes them while the master runs, and during its announce both the current and the next pin. */
  pins: () => string[];
  bundlePath: string;
  /** Standalone agent executables by architecture (those that were built). */
  executables: () => Partial<Record<'x64' | 'arm64', string>>;
  log: Logger;
  onlineTimeoutMs?: number;
}

class StepFailure extends Error {
  constructor(
    message: string,
    readonly output: string | null = null,
  ) {
    super(message);
  }
}

const MAX_PARALLEL_HOSTS = 8;
/** The reconnect window cap of an agent behind a reverse tunnel (default agents: 60 s). */
const TUNNEL_BACKOFF_MAX_MS = 3_000;

function describeFacts(f: HostFactsOverSsh): string {
  const who = f.uid === 0 ? 'root' : f.sudo ? `uid ${f.uid} (passwordless sudo)` : `uid ${f.uid}`;
  const init = f.systemd ? 'systemd' : 'no systemd';
  return `${f.os} ${f.arch}, ${who}, ${init}, Node ${f.node ?? 'none'}`;
}
const locationFile = (facts: HostFactsOverSsh) => `${facts.home}/.config/fleetdeck-agent.location`;

export class BootstrapService {
  /** Jobs this instance is running (the store has every job, these are the freshest). */
  private readonly running = new Map<string, BootstrapJob>();

  constructor(private readonly ctx: BootstrapContext) {}

  async get(id: string): Promise<BootstrapJob> {
    const job = this.running.get(id) ?? (await this.ctx.jobs.get(id));
    if (!job) throw new FleetError('not_found', `No bootstrap job ${id} (jobs are kept 30 days).`);
    return job;
  }

  async install(request: BootstrapRequest): Promise<BootstrapJob> {
    if (request.hosts.length === 0) throw new FleetError('bad_request', 'Give at least one host.');
    const job = await this.newJob(
      'install',
      request.hosts.map((h) => `${h.username}@${h.host}:${h.port}`),
    );
    void this.forEachHost(job, request.hosts, (host, progress) => this.installOne(job, request, host, progress));
    return job;
  }

  uninstall(nodeId: string, auth: SshAuth, confirmHostKeys: string[] = []): Promise<BootstrapJob> {
    return this.onNode('uninstall', nodeId, async (job, target, progress) => {
      const session = await this.step(job, progress, 'connect', () => this.connect(target, auth, confirmHostKeys));
      try {
        const facts = await this.step(job, progress, 'detect', () => this.detect(session));
        const layout = layoutFor(facts, await this.installedDir(session, facts));
        await this.step(job, progress, 'stop', () => this.stopAgent(session, layout, facts));
        await this.step(job, progress, 'remove', () =>
          this.run(session, removeCommand(layout, facts), 'remove the agent'),
        );
        await this.step(job, progress, 'verify', () => this.verifyRemoved(session, layout, facts));
      } finally {
        session.close();
      }
      // Only once nothing is left: a failed uninstall leaves the node as it was, to try again.
      await this.step(job, progress, 'revoke', async () => {
        await this.ctx.revoke(nodeId);
        await this.ctx.tunnels.remove(nodeId);
      });
    });
  }

  upgrade(nodeId: string, auth: SshAuth, confirmHostKeys: string[] = []): Promise<BootstrapJob> {
    return this.onNode('upgrade', nodeId, async (job, target, progress) => {
      const session = await this.step(job, progress, 'connect', () => this.connect(target, auth, confirmHostKeys));
      try {
        const facts = await this.step(job, progress, 'detect', () => this.detect(session));
        const dir = await this.installedDir(session, facts);
        const standalone = (await session.exec(`test -x ${q(`${dir}/fleetdeck-agent`)}`)).code === 0;
        const layout = layoutFor(facts, dir, standalone);
        const program = layout.program;
        const since = Date.now();
        await this.step(job, progress, 'upload', async () => {
          await this.uploadAgent(session, layout, this.localProgram(facts, layout), `${program}.new`);
          await this.run(session, swapCommand(layout), 'swap in the new agent');
        });
        await this.step(job, progress, 'service', () =>
          this.run(session, startCommand(layout, facts), 'restart the agent'),
        );
        try {
          await this.step(job, progress, 'online', () => this.waitOnline(nodeId, since));
        } catch (error) {
          // The new agent did not come back: put the previous one back.
          await this.step(job, progress, 'rollback', async () => {
            await this.run(session, rollbackCommand(layout), 'restore the previous agent');
            await this.run(session, startCommand(layout, facts), 'restart the previous agent');
          });
          throw error;
        }
      } finally {
        session.close();
      }
    });
  }

  // ---- steps -------------------------------------------------------------------------------

  private async installOne(job: BootstrapJob, request: BootstrapRequest, host: BootstrapHost, progress: HostProgress) {
    const session = await this.step(job, progress, 'connect', () =>
      this.connect(host, request.auth, request.confirmHostKeys ?? []),
    );
    try {
      const facts = await this.step(job, progress, 'detect', () => this.detect(session));
      progress.facts = describeFacts(facts);
      if (facts.os !== 'Linux' && facts.os !== 'Darwin')
        throw new StepFailure(`${facts.os} hosts are not supported over SSH yet.`);
      const layout = layoutFor(facts, request.installDir, nodeMajor(facts.node) < 18);
      const local = this.localProgram(facts, layout);
      await this.step(job, progress, 'upload', () => this.uploadAgent(session, layout, local, layout.program));
      const { nodeId, token } = await this.nodeFor(host);
      progress.nodeId = nodeId;
      const since = Date.now();
      let masterUrl = request.masterUrl;
      const tunnel = request.reverseTunnel;
      if (tunnel) {
        await this.step(job, progress, 'tunnel', () =>
          this.ctx.tunnels.add({ nodeId, target: host, remotePort: tunnel.remotePort }, request.auth),
        );
        masterUrl = `${this.ctx.pins().length > 0 ? 'wss' : 'ws'}://127.0.0.1:${tunnel.remotePort}`;
      }
      await this.step(job, progress, 'configure', () =>
        this.configure(session, layout, facts, { ...request, masterUrl }, token),
      );
      await this.step(job, progress, 'service', () =>
        this.run(session, startCommand(layout, facts), 'start the agent'),
      );
      await this.step(job, progress, 'online', () => this.waitOnline(nodeId, since));
      if (!layout.unit) {
        progress.message = facts.crontab
          ? 'Running under a supervisor script (no systemd here), restarted at boot by cron.'
          : 'Running under a supervisor script (no systemd here); without cron it does not start again after a reboot.';
      }
    } finally {
      session.close();
    }
  }

  /** The unit or supervisor, then anything else running from the install directory; none may be left. */
  private async stopAgent(session: SshSession, layout: Layout, facts: HostFactsOverSsh): Promise<void> {
    await this.run(session, stopCommand(layout, facts), 'stop the agent');
    // Separate sessions: these name the directory only as a pattern (see installPattern).
    await this.run(session, killLeftoversCommand(layout), 'stop what else runs from the install directory');
    const left = (await this.run(session, leftoverProcessesCommand(layout), 'look for agent processes')).trim();
    if (left !== '') throw new StepFailure('The agent is still running after it was stopped (and killed).', left);
  }

  /** Looks on the host for what removal should have taken: processes, unit, files, cron line. */
  private async verifyRemoved(session: SshSession, layout: Layout, facts: HostFactsOverSsh): Promise<void> {
    const processes = await this.run(session, leftoverProcessesCommand(layout), 'look for agent processes');
    const rest = await this.run(session, verifyRemovedCommand(layout, facts), 'check what is left');
    const left = `${processes}${rest}`.trim();
    if (left !== '') throw new StepFailure('The uninstall left parts of the agent on the host.', left.slice(-4096));
  }

  private connect(target: SshTarget, auth: SshAuth, confirmed: string[]): Promise<SshSession> {
    return SshSession.connect(target, auth, this.ctx.knownHosts, { confirmed: new Set(confirmed) });
  }

  private async detect(session: SshSession): Promise<HostFactsOverSsh> {
    const result = await session.exec(DETECT_SCRIPT);
    if (result.code !== 0) throw new StepFailure('Could not inspect the host.', result.stderr);
    return parseDetect(result.stdout);
  }

  private async run(session: SshSession, command: string, what: string): Promise<string> {
    const result = await session.exec(command);
    if (result.code !== 0) {
      throw new StepFailure(
        `Could not ${what} (exit code ${result.code}).`,
        `${result.stdout}${result.stderr}`.slice(-4096),
      );
    }
    return result.stdout;
  }

  /** The local file to upload: the bundle, or the standalone executable for the host's architecture. */
  private localProgram(facts: HostFactsOverSsh, layout: Layout): string {
    if (!layout.standalone) return this.ctx.bundlePath;
    const arch = agentArch(facts.arch);
    const executable = arch ? this.ctx.executables()[arch] : undefined;
    if (!executable) {
      throw new StepFailure(
        `The host has no Node.js 18 or newer (found ${facts.node ?? 'none'}) and no standalone agent for ${facts.arch} was built on this master. Install Node.js 18+ on the host, or build the standalone agent (node scripts/build-sea.mjs --arch ${arch ?? facts.arch}; npm run dist builds both), then run the bootstrap again.`,
      );
    }
    return executable;
  }

  private async uploadAgent(session: SshSession, layout: Layout, localPath: string, remotePath: string): Promise<void> {
    await this.run(
      session,
      `mkdir -p ${q(layout.dir)} ${q(layout.stateDir)} && chmod 700 ${q(layout.dir)}`,
      'create the install directory',
    );
    const temp = `${remotePath}.upload`;
    const local = await session.upload(localPath, temp, layout.standalone ? 0o755 : 0o644);
    const remote = (
      await this.run(session, `sha256sum ${q(temp)} 2>/dev/null || shasum -a 256 ${q(temp)}`, 'checksum the upload')
    ).split(/\s+/)[0];
    if (remote !== local)
      throw new StepFailure(`The uploaded agent is damaged (SHA-256 ${remote} instead of ${local}).`);
    await this.run(session, `mv -f ${q(temp)} ${q(remotePath)}`, 'put the agent in place');
  }

  private async configure(
    session: SshSession,
    layout: Layout,
    facts: HostFactsOverSsh,
    request: BootstrapRequest,
    token: string,
  ) {
    const caps = request.capabilities ?? {};
    const pins = this.ctx.pins();
    const config = {
      master: [request.masterUrl ?? this.ctx.agentUrl()],
      token,
      ...(pins.length > 0 ? { caFingerprint: pins } : { insecurePlainWs: true }),
      stateDir: layout.stateDir,
      exec: caps.exec ?? true,
      files: caps.files ?? true,
      filesWrite: caps.filesWrite ?? true,
      terminal: caps.terminal ?? false,
      ...(caps.roots ? { roots: caps.roots } : {}),
      // Behind a tunnel the agent dials its own loopback: retrying often costs nothing, and it is back
      // within seconds of the tunnel reopening on another instance after a failover.
      ...(request.reverseTunnel ? { backoffMaxMs: TUNNEL_BACKOFF_MAX_MS } : {}),
    };
    await session.writeFile(layout.config, toYaml(config), 0o600);
    // Where it was installed, so upgrade and uninstall find it again.
    await this.run(
      session,
      `mkdir -p ${q(`${facts.home}/.config`)} && printf '%s\\n' ${q(layout.dir)} > ${q(locationFile(facts))}`,
      'record the install location',
    );
    await session.writeFile(layout.runScript, runScript(layout), 0o700);
    if (layout.unit) {
      await this.run(session, `mkdir -p "$(dirname ${q(layout.unit)})"`, 'create the unit directory');
      await session.writeFile(layout.unit, systemdUnit(layout, facts.uid === 0), 0o644);
    }
  }

  /** The node for this host: the one bootstrapped before (token rotated), or a new one. */
  private async nodeFor(host: BootstrapHost): Promise<{ nodeId: string; token: string }> {
    const label = `${host.username}@${host.host}:${host.port}`;
    const existing = (await this.ctx.registry.list()).find((n) => n.labels[SSH_LABEL] === label);
    if (existing) {
      const rotated = await this.ctx.registry.rotateToken(existing.id, 0);
      return { nodeId: existing.id, token: rotated.token };
    }
    const created = await this.ctx.registry.create({
      name: host.name ?? host.host,
      labels: { ...host.labels, [SSH_LABEL]: label },
    });
    return { nodeId: created.node.id, token: created.token as string };
  }

  private async installedDir(session: SshSession, facts: HostFactsOverSsh): Promise<string | undefined> {
    // Recorded at install; otherwise the default location.
    const found = await session.exec(`cat ${q(locationFile(facts))} 2>/dev/null`);
    return found.stdout.trim() || layoutFor(facts).dir;
  }

  /** Until the node is connected again since `since`, running the agent version this master ships. */
  private async waitOnline(nodeId: string, since: number): Promise<void> {
    const deadline = Date.now() + (this.ctx.onlineTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const node = await this.ctx.registry.get(nodeId);
      if (node.status === 'online' && (node.connectedSince ?? 0) >= since && node.agentVersion === AGENT_VERSION)
        return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new StepFailure(
      `The agent did not connect within ${Math.round((this.ctx.onlineTimeoutMs ?? 60_000) / 1000)} s. Check that the host can reach ${this.ctx.agentUrl()} and look at its log.`,
    );
  }

  // ---- jobs and progress -------------------------------------------------------------------

  private async newJob(kind: BootstrapJob['kind'], hosts: string[]): Promise<BootstrapJob> {
    const job: BootstrapJob = {
      id: randomUUID(),
      kind,
      createdAt: Date.now(),
      finishedAt: null,
      hosts: hosts.map((host) => ({
        host,
        nodeId: null,
        status: 'pending',
        step: null,
        message: null,
        output: null,
        facts: null,
        hostKey: null,
        steps: [],
      })),
    };
    await this.ctx.jobs.create(job);
    this.running.set(job.id, job);
    return job;
  }

  private async onNode(
    kind: 'upgrade' | 'uninstall',
    nodeId: string,
    work: (job: BootstrapJob, target: SshTarget, progress: HostProgress) => Promise<void>,
  ): Promise<BootstrapJob> {
    const node = await this.ctx.registry.get(nodeId);
    const label = node.labels[SSH_LABEL];
    const match = label ? /^(.+)@(.+):(\d+)$/.exec(label) : null;
    if (!match)
      throw new FleetError(
        'bad_request',
        `Node ${node.name} was not installed over SSH, so FleetDeck does not know how to reach it.`,
      );
    const target = { username: match[1] as string, host: match[2] as string, port: Number(match[3]) };
    const job = await this.newJob(kind, [label as string]);
    const progress = job.hosts[0] as HostProgress;
    progress.nodeId = nodeId;
    void this.forEachHost(job, [target], (_t, p) => work(job, target, p));
    return job;
  }

  private async forEachHost<T>(
    job: BootstrapJob,
    hosts: T[],
    work: (host: T, progress: HostProgress) => Promise<void>,
  ) {
    let next = 0;
    const worker = async () => {
      while (next < hosts.length) {
        const i = next++;
        const progress = job.hosts[i] as HostProgress;
        progress.status = 'running';
        try {
          await work(hosts[i] as T, progress);
          progress.status = 'done';
          progress.step = null;
        } catch (error) {
          progress.status = 'failed';
          progress.message = (error as Error).message;
          if (error instanceof StepFailure) progress.output = error.output;
          if (error instanceof HostKeyError)
            progress.hostKey = { fingerprint: error.presented, verdict: error.verdict };
        }
        this.emit(job, progress);
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_PARALLEL_HOSTS, hosts.length) }, worker));
    // Finished only once everything about it is written: no instance reads a finished job from memory
    // that the store does not have yet.
    const finishedAt = Date.now();
    this.ctx.jobs.recordFinished(job.id, finishedAt);
    await this.ctx.jobs.flushed();
    job.finishedAt = finishedAt;
    this.running.delete(job.id);
  }

  private async step<T>(job: BootstrapJob, progress: HostProgress, step: StepName, run: () => Promise<T>): Promise<T> {
    progress.step = step;
    this.emit(job, progress);
    try {
      const value = await run();
      progress.steps.push({ step, status: 'done', at: Date.now(), message: null });
      this.ctx.jobs.recordHost(job, job.hosts.indexOf(progress), progress, true);
      return value;
    } catch (error) {
      progress.steps.push({ step, status: 'failed', at: Date.now(), message: (error as Error).message });
      this.ctx.jobs.recordHost(job, job.hosts.indexOf(progress), progress, true);
      throw error;
    }
  }

  /** Tells subscribers and records the host's state in the store. */
  private emit(job: BootstrapJob, progress: HostProgress): void {
    this.ctx.jobs.recordHost(job, job.hosts.indexOf(progress), progress);
    this.ctx.bus.emit('bootstrapProgress', {
      jobId: job.id,
      host: progress.host,
      nodeId: progress.nodeId,
      status: progress.status,
      step: progress.step,
      message: progress.message,
    });
  }
}
