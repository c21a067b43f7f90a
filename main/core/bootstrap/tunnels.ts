// Reverse tunnels for masters behind NAT: an SSH session to the host asks it to listen on its
// loopback; the agent there dials that port and its TLS connection is carried to the gateway of the
// instance that holds the session. Definitions (credentials sealed with the cluster key) are in the
// store, so any instance adds one; exactly one instance keeps them open — the holder of the
// `tunnels` lease (cluster/cluster.ts), which only an instance holding the cluster key competes for.
// When it dies its lease expires (15 s) and another instance reopens every tunnel; sessions that
// drop are reopened with backoff. Each tunnel's row says who holds it, whether it is up and why not.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { FleetError } from '../../contract/errors.js';
import type { Logger } from '../log.js';
import type { ClusterKey } from '../secrets/cluster-key.js';
import { tunnelContext } from '../secrets/sealed-values.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Db } from '../store/schema.js';
import type { KnownHosts } from './known-hosts.js';
import { type SshAuth, SshSession, type SshTarget } from './ssh-session.js';

export interface TunnelSpec {
  nodeId: string;
  target: SshTarget;
  remotePort: number;
}

export interface TunnelInfo {
  nodeId: string;
  host: string;
  port: number;
  username: string;
  remotePort: number;
  holder: string | null;
  up: boolean;
  lastError: string | null;
  updatedAt: number;
}

interface LiveTunnel {
  spec: TunnelSpec;
  revision: number;
  auth: SshAuth;
  session: SshSession | null;
  timer: NodeJS.Timeout | null;
  delayMs: number;
  closed: boolean;
}

const VERSION_NAME = 'tunnels';
/** How long adding a tunnel waits for the keeping instance to open it. */
const OPEN_WAIT_MS = 30_000;
const POLL_MS = 1_000;
/** Every this many polls the definitions are read even if the version did not move (cascaded deletes). */
const FULL_READ_EVERY = 10;

async function bumpVersion(trx: Db): Promise<void> {
  await trx
    .updateTable('config_versions')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('name', '=', VERSION_NAME)
    .execute();
}

export class TunnelManager {
  private readonly live = new Map<string, LiveTunnel>();
  private keeping = false;
  private poll: NodeJS.Timeout | null = null;
  private seenVersion = -1;
  private polls = 0;
  private reconciling: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly key: ClusterKey,
    private readonly knownHosts: KnownHosts,
    private readonly gatewayPort: () => number,
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {}

  // ---- definitions (any instance) ----------------------------------------------------------

  /** Stores the tunnel and waits until the keeping instance has it open (the bootstrap waits). */
  async add(spec: TunnelSpec, auth: SshAuth): Promise<void> {
    const revision = await this.define(spec, auth);
    if (this.keeping) this.kick();
    try {
      await this.waitOpen(spec.nodeId, revision);
    } catch (error) {
      // A tunnel that never opened is not kept: the bootstrap step fails and says why.
      await this.db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('ssh_tunnels')
          .where('node_id', '=', spec.nodeId)
          .where('revision', '=', revision)
          .execute();
        await bumpVersion(trx);
      });
      if (this.keeping) this.kick();
      throw error;
    }
  }

  async remove(nodeId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('ssh_tunnels').where('node_id', '=', nodeId).execute();
      await bumpVersion(trx);
    });
    if (this.keeping) this.kick();
  }

  /** Every tunnel with its status as the keeping instance reported it; credentials stay sealed. */
  async list(): Promise<TunnelInfo[]> {
    const rows = await this.db
      .selectFrom('ssh_tunnels')
      .select(['node_id', 'target', 'remote_port', 'holder', 'up', 'last_error', 'updated_at'])
      .orderBy('created_at')
      .execute();
    return rows.map((r) => {
      const target = JSON.parse(r.target) as SshTarget;
      return {
        nodeId: r.node_id,
        host: target.host,
        port: target.port,
        username: target.username,
        remotePort: r.remote_port,
        holder: r.holder,
        up: Boolean(r.up),
        lastError: r.last_error,
        updatedAt: Number(r.updated_at),
      };
    });
  }

  /** Imports `<data-dir>/tunnels.json` of an older FleetDeck; a node's tunnel already stored is kept. */
  async importFile(file: string, legacy: SecretBox): Promise<number> {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Array<TunnelSpec & { sealedAuth: string }>;
    let added = 0;
    for (const { sealedAuth, ...spec } of stored) {
      const known = await this.db
        .selectFrom('ssh_tunnels')
        .select('node_id')
        .where('node_id', '=', spec.nodeId)
        .executeTakeFirst();
      const node = await this.db.selectFrom('nodes').select('id').where('id', '=', spec.nodeId).executeTakeFirst();
      if (known || !node) continue;
      await this.define(spec, JSON.parse(legacy.open(sealedAuth)) as SshAuth);
      added++;
    }
    return added;
  }

  private async define(spec: TunnelSpec, auth: SshAuth): Promise<number> {
    const now = Date.now();
    return this.db.transaction().execute(async (trx) => {
      const sealed = await this.key.seal(trx, JSON.stringify(auth), tunnelContext(spec.nodeId));
      const before = await trx
        .selectFrom('ssh_tunnels')
        .select('revision')
        .where('node_id', '=', spec.nodeId)
        .executeTakeFirst();
      const revision = Number(before?.revision ?? 0) + 1;
      await trx.deleteFrom('ssh_tunnels').where('node_id', '=', spec.nodeId).execute();
      await trx
        .insertInto('ssh_tunnels')
        .values({
          node_id: spec.nodeId,
          target: JSON.stringify(spec.target),
          remote_port: spec.remotePort,
          sealed_auth: sealed,
          revision,
          holder: null,
          status_revision: null,
          up: 0,
          last_error: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await bumpVersion(trx);
      return revision;
    });
  }

  private async waitOpen(nodeId: string, revision: number): Promise<void> {
    const deadline = Date.now() + OPEN_WAIT_MS;
    while (Date.now() < deadline) {
      const row = await this.db
        .selectFrom('ssh_tunnels')
        .select(['status_revision', 'up', 'last_error'])
        .where('node_id', '=', nodeId)
        .executeTakeFirst();
      if (row && Number(row.status_revision) === revision) {
        if (row.up) return;
        if (row.last_error) throw new FleetError('unavailable', `The reverse tunnel did not open: ${row.last_error}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new FleetError(
      'unavailable',
      `No FleetDeck instance opened the reverse tunnel within ${OPEN_WAIT_MS / 1000} s. The instance that keeps tunnels needs the cluster key: see GET /api/instances and its log.`,
    );
  }

  // ---- keeping them open (the lease holder) ------------------------------------------------

  /** This instance now keeps every tunnel open (it holds the `tunnels` lease). */
  async startKeeping(): Promise<void> {
    if (this.keeping) return;
    this.keeping = true;
    this.seenVersion = -1;
    this.kick();
    this.poll = setInterval(() => this.kick(), POLL_MS);
    this.poll.unref();
  }

  /** Closes every session (the lease is gone, or the master stops). */
  stopKeeping(): void {
    this.keeping = false;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    for (const live of this.live.values()) this.close(live);
    this.live.clear();
  }

  /** Reads the definitions (when they moved) and opens, replaces or closes sessions to match. */
  kick(): void {
    this.reconciling = this.reconciling
      .then(() => this.reconcile())
      .catch((err) => this.log.warn({ err }, 'could not read the reverse tunnels'));
  }

  private async reconcile(): Promise<void> {
    if (!this.keeping) return;
    const row = await this.db
      .selectFrom('config_versions')
      .select('version')
      .where('name', '=', VERSION_NAME)
      .executeTakeFirst();
    const version = Number(row?.version ?? 0);
    const full = ++this.polls % FULL_READ_EVERY === 0;
    if (version === this.seenVersion && !full) return;
    const rows = await this.db
      .selectFrom('ssh_tunnels')
      .select(['node_id', 'target', 'remote_port', 'sealed_auth', 'revision'])
      .execute();
    if (!this.keeping) return;
    this.seenVersion = version;
    const wanted = new Set(rows.map((r) => r.node_id));
    for (const [nodeId, live] of this.live) {
      if (!wanted.has(nodeId)) {
        this.close(live);
        this.live.delete(nodeId);
      }
    }
    for (const r of rows) {
      const current = this.live.get(r.node_id);
      if (current && current.revision === Number(r.revision)) continue;
      if (current) this.close(current);
      const spec = { nodeId: r.node_id, target: JSON.parse(r.target) as SshTarget, remotePort: r.remote_port };
      let auth: SshAuth;
      try {
        auth = JSON.parse(this.key.open(r.sealed_auth, tunnelContext(r.node_id))) as SshAuth;
      } catch (error) {
        this.live.delete(r.node_id);
        await this.report(r.node_id, Number(r.revision), false, (error as Error).message);
        continue;
      }
      const live: LiveTunnel = {
        spec,
        revision: Number(r.revision),
        auth,
        session: null,
        timer: null,
        delayMs: 1_000,
        closed: false,
      };
      this.live.set(r.node_id, live);
      void this.open(live);
    }
  }

  private async open(live: LiveTunnel): Promise<void> {
    try {
      const session = await SshSession.connect(live.spec.target, live.auth, this.knownHosts, { confirmed: new Set() });
      if (live.closed) {
        session.close();
        return;
      }
      live.session = session;
      session.onClose(() => void this.dropped(live, 'the SSH session closed'));
      await session.forwardIn('127.0.0.1', live.spec.remotePort, (stream) => this.carry(stream));
      live.delayMs = 1_000;
      await this.report(live.spec.nodeId, live.revision, true, null);
      this.log.info({ nodeId: live.spec.nodeId, host: live.spec.target.host }, 'reverse tunnel open');
    } catch (error) {
      live.session?.close();
      await this.dropped(live, (error as Error).message);
    }
  }

  /** One connection from the host's loopback, carried to this instance's gateway. */
  private carry(stream: Duplex): void {
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
  }

  private async dropped(live: LiveTunnel, reason: string): Promise<void> {
    live.session = null;
    if (live.closed || live.timer) return;
    await this.report(live.spec.nodeId, live.revision, false, reason);
    this.log.warn({ nodeId: live.spec.nodeId, reason, retryInMs: live.delayMs }, 'reverse tunnel down; reopening');
    live.timer = setTimeout(() => {
      live.timer = null;
      if (!live.closed) void this.open(live);
    }, live.delayMs);
    live.delayMs = Math.min(30_000, live.delayMs * 2);
  }

  private close(live: LiveTunnel): void {
    live.closed = true;
    if (live.timer) clearTimeout(live.timer);
    live.timer = null;
    live.session?.close();
    live.session = null;
  }

  /** The tunnel's status as this instance sees it, for the revision it opened. */
  private async report(nodeId: string, revision: number, up: boolean, error: string | null): Promise<void> {
    await this.db
      .updateTable('ssh_tunnels')
      .set({
        holder: this.instanceId,
        status_revision: revision,
        up: up ? 1 : 0,
        last_error: error?.slice(0, 1_000) ?? null,
        updated_at: Date.now(),
      })
      .where('node_id', '=', nodeId)
      .where('revision', '=', revision)
      .execute()
      .catch((err) => this.log.warn({ err, nodeId }, 'could not record the reverse tunnel status'));
  }
}
