// The node registry: nodes, their tokens, their live status and its history.
import { randomUUID } from 'node:crypto';
import type { Capabilities, HelloMessage } from '../../../agent/protocol.js';
import { FleetError, notFound } from '../../contract/errors.js';
import type { NodeStatus, NodeView, StatusEvent } from '../../contract/schemas.js';
import { noteAuditTargets } from '../audit/context.js';
import type { EventBus } from '../events.js';
import { GroupCommit } from '../group-commit.js';
import type { Db, NodesTable } from '../store/schema.js';
import {
  bumpCredentialsVersion,
  type CredentialRow,
  credentialsVersion,
  readCredentials,
  tokenStanding,
} from './credentials.js';
import { generateToken, hashToken, looksLikeToken } from './tokens.js';

export const DEFAULT_TOKEN_OVERLAP_MS = 5 * 60_000;

/** Counts work that blocks deleting a node. The queue registers itself here. */
export type PendingWorkCounter = (nodeId: string) => Promise<number>;

export interface Authenticated {
  nodeId: string;
  name: string;
  /** The hash of the token this connection used: it is re-checked against the node on every change. */
  tokenHash: string;
  /** Set when the token is a rotated-out one still inside its overlap. */
  expiresAt: number | null;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

interface OnlineWrite {
  kind: 'online';
  nodeId: string;
  at: number;
  reason: string;
  hello: HelloMessage;
  remoteAddress: string;
}
interface OfflineWrite {
  kind: 'offline';
  nodeId: string;
  at: number;
  reason: string;
  lastSeen: number;
  /** The instance that must still hold the node (this one, or a dead one being released). */
  holder: string | null;
}
type StatusWrite = OnlineWrite | OfflineWrite;
/**
 * What a status write did: `changed` the status (and recorded the event), `back` online again with the
 * hello it had (only the status and times moved: facts, version, capabilities, address and instance are
 * as before), `unchanged` status, or the node is `missing`.
 */
type StatusOutcome = 'changed' | 'back' | 'unchanged' | 'missing';

interface NewNode {
  name: string;
  labels?: Record<string, string>;
  kind?: 'agent' | 'local';
  id?: string;
}

/** Nodes per transaction when last-seen times are persisted. */
const LAST_SEEN_GROUP = 500;

export class NodeRegistry {
  private readonly lastSeen = new Map<string, number>();
  private readonly statusWrites = new GroupCommit<StatusWrite, StatusOutcome>(
    (items) => this.commitStatus(items),
    1_000,
  );
  private readonly pendingWorkCounters: PendingWorkCounter[] = [];

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly now: () => number = Date.now,
    /** This master's instance; nodes record where their agent is connected. */
    private readonly instanceId: string | null = null,
  ) {}

  addPendingWorkCounter(counter: PendingWorkCounter): void {
    this.pendingWorkCounters.push(counter);
  }

  async create(input: NewNode) {
    const { row, token } = this.newRow(input, this.now());
    // The createNode entry, written when this insert commits, names the node (its input has no id).
    noteAuditTargets([{ id: row.id, name: row.name }]);
    await this.db.insertInto('nodes').values(row).execute();
    this.bus.emit('nodeChanged', { nodeId: row.id });
    return { node: this.toView(row), token };
  }

  /**
   * Many agent nodes in one transaction (one fsync instead of one per node), inserted 500 rows per
   * statement to stay under the databases' placeholder limits. Tokens are made and hashed as `create` does.
   */
  async createMany(inputs: Array<Omit<NewNode, 'kind' | 'id'>>) {
    const at = this.now();
    const created = inputs.map((input) => this.newRow(input, at));
    noteAuditTargets(created.map(({ row }) => ({ id: row.id, name: row.name })));
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < created.length; i += 500) {
        await trx
          .insertInto('nodes')
          .values(created.slice(i, i + 500).map((c) => c.row))
          .execute();
      }
    });
    for (const { row } of created) this.bus.emit('nodeChanged', { nodeId: row.id });
    return created.map(({ row, token }) => ({ node: this.toView(row), token: token as string }));
  }

  private newRow(input: NewNode, at: number): { row: NodesTable; token: string | null } {
    const token = input.kind === 'local' ? null : generateToken();
    const row: NodesTable = {
      id: input.id ?? randomUUID(),
      name: input.name,
      labels: JSON.stringify(input.labels ?? {}),
      kind: input.kind ?? 'agent',
      token_hash: token ? hashToken(token) : null,
      prev_token_hash: null,
      prev_token_expires_at: null,
      revoked_at: null,
      status: 'never-connected',
      hostname: null,
      os: null,
      platform: null,
      arch: null,
      kernel: null,
      boot_id: null,
      agent_version: null,
      remote_addr: null,
      capabilities: null,
      connected_since: null,
      last_seen_at: null,
      created_at: at,
      updated_at: at,
      instance_id: null,
    };
    return { row, token };
  }

  async list(): Promise<NodeView[]> {
    const rows = await this.db.selectFrom('nodes').selectAll().orderBy('created_at').execute();
    return rows.map((row) => this.toView(row));
  }

  /**
   * One page of the fleet, by id: a reader that walks every node (the alert rules' index) takes it
   * in pages and yields between them, as one read of 10,000 rows blocks the event loop 100–300 ms.
   */
  async listPage(afterId: string | null, limit: number): Promise<NodeView[]> {
    let query = this.db.selectFrom('nodes').selectAll().orderBy('id').limit(limit);
    if (afterId !== null) query = query.where('id', '>', afterId);
    const rows = await query.execute();
    return rows.map((row) => this.toView(row));
  }

  async get(id: string): Promise<NodeView> {
    return this.toView(await this.row(id));
  }

  async update(id: string, patch: { name?: string; labels?: Record<string, string> }): Promise<NodeView> {
    await this.row(id);
    const values: Partial<NodesTable> = { updated_at: this.now() };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.labels !== undefined) values.labels = JSON.stringify(patch.labels);
    await this.db.updateTable('nodes').set(values).where('id', '=', id).execute();
    this.bus.emit('nodeChanged', { nodeId: id });
    return this.get(id);
  }

  /** New token now; the previous one stays valid until the overlap ends, so a fleet can roll. */
  async rotateToken(id: string, overlapMs = DEFAULT_TOKEN_OVERLAP_MS) {
    const row = await this.agentRow(id);
    const token = generateToken();
    const at = this.now();
    const overlapUntil = row.token_hash && overlapMs > 0 ? at + overlapMs : null;
    await this.changeCredentials(id, {
      token_hash: hashToken(token),
      prev_token_hash: overlapUntil ? row.token_hash : null,
      prev_token_expires_at: overlapUntil,
      revoked_at: null,
      updated_at: at,
    });
    this.bus.emit('nodeChanged', { nodeId: id });
    // The hash a connected agent uses now: it is offered the new token over that connection.
    return { node: await this.get(id), token, overlapUntil, previousHash: row.token_hash };
  }

  async revoke(id: string): Promise<NodeView> {
    await this.agentRow(id);
    await this.changeCredentials(id, {
      token_hash: null,
      prev_token_hash: null,
      prev_token_expires_at: null,
      revoked_at: this.now(),
      updated_at: this.now(),
    });
    this.bus.emit('nodeChanged', { nodeId: id });
    return this.get(id);
  }

  /** A token change and the signal that tells every instance to re-check its connections, together. */
  private async changeCredentials(id: string, values: Partial<NodesTable>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('nodes').set(values).where('id', '=', id).execute();
      await bumpCredentialsVersion(trx);
    });
  }

  async delete(id: string, force = false): Promise<void> {
    const row = await this.row(id);
    if (row.kind === 'local') {
      throw new FleetError('conflict', 'The local node is built in and cannot be deleted.');
    }
    if (!force) {
      let pending = 0;
      for (const count of this.pendingWorkCounters) pending += await count(id);
      if (pending > 0) {
        throw new FleetError(
          'conflict',
          `Node "${row.name}" has ${pending} pending or running command(s) or scheduled task(s). ` +
            'Wait for them, cancel them, or delete with force=true.',
        );
      }
    }
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('nodes').where('id', '=', id).execute();
      await bumpCredentialsVersion(trx);
    });
    this.lastSeen.delete(id);
    this.bus.emit('nodeDeleted', { nodeId: id });
  }

  /** Returns the node a token belongs to, or null. Expired overlap tokens and revoked nodes fail. */
  async authenticate(token: string): Promise<Authenticated | null> {
    if (!looksLikeToken(token)) return null;
    const tokenHash = hashToken(token);
    const row = await this.db
      .selectFrom('nodes')
      .select(['id', 'name', 'token_hash', 'prev_token_hash', 'prev_token_expires_at', 'revoked_at'])
      .where((eb) => eb.or([eb('token_hash', '=', tokenHash), eb('prev_token_hash', '=', tokenHash)]))
      .executeTakeFirst();
    const standing = tokenStanding(row, tokenHash, this.now());
    if (!row || !standing.valid) return null;
    return { nodeId: row.id, name: row.name, tokenHash, expiresAt: standing.expiresAt };
  }

  /** The token columns of these nodes (absent: deleted), for re-checking live connections. */
  credentialsOf(nodeIds: string[]): Promise<Map<string, CredentialRow>> {
    return readCredentials(this.db, nodeIds);
  }

  /** Moves with every revoke, rotation and delete, on any instance. */
  credentialsVersion(): Promise<number> {
    return credentialsVersion(this.db);
  }

  /** Records the agent's connection; with many connecting at once they share one commit. */
  async markOnline(nodeId: string, hello: HelloMessage, remoteAddress: string, reason: string) {
    const at = this.now();
    const outcome = await this.statusWrites.push({ kind: 'online', nodeId, at, reason, hello, remoteAddress });
    if (outcome === 'missing') throw notFound('node', nodeId);
    this.lastSeen.set(nodeId, at);
    // Back as it was: the event says so, and a screen patches the status instead of fetching the node
    // (a reconnect storm of 10,000 agents otherwise refetched the whole list every second).
    if (outcome === 'changed' || outcome === 'back') {
      this.bus.emit('nodeStatus', {
        nodeId,
        status: 'online',
        at,
        reason,
        ...(outcome === 'back' && { sameHello: true }),
      });
    } else this.bus.emit('nodeChanged', { nodeId });
  }

  /** Nodes recorded as connected to instances that are gone: offline, with a status event each. */
  async releaseNodesOf(instanceIds: string[], reason: string): Promise<void> {
    const rows = await this.db
      .selectFrom('nodes')
      .select(['id', 'instance_id', 'last_seen_at'])
      .where('status', '=', 'online')
      .where('instance_id', 'in', instanceIds)
      .execute();
    // Thousands of nodes of a dead instance share the status group commit's transactions.
    await Promise.all(
      rows.map(async (row) => {
        const at = row.last_seen_at === null ? this.now() : Number(row.last_seen_at);
        const write: OfflineWrite = {
          kind: 'offline',
          nodeId: row.id,
          at,
          reason,
          lastSeen: at,
          holder: row.instance_id,
        };
        if ((await this.statusWrites.push(write)) === 'changed')
          this.bus.emit('nodeStatus', { nodeId: row.id, status: 'offline', at, reason });
      }),
    );
  }

  async markOffline(nodeId: string, reason: string, at = this.now()): Promise<void> {
    const lastSeen = this.lastSeen.get(nodeId);
    this.lastSeen.delete(nodeId);
    const outcome = await this.statusWrites.push({
      kind: 'offline',
      nodeId,
      at,
      reason,
      lastSeen: lastSeen ?? at,
      holder: this.instanceId,
    });
    if (outcome === 'changed') this.bus.emit('nodeStatus', { nodeId, status: 'offline', at, reason });
  }

  /**
   * One transaction for every status change that arrived since the last commit: a reconnect
   * storm of thousands of agents costs a few fsyncs, not one per agent. Each item's outcome is
   * its own; applied in arrival order.
   */
  private async commitStatus(items: StatusWrite[]): Promise<StatusOutcome[]> {
    return this.db.transaction().execute(async (trx) => {
      const outcomes: StatusOutcome[] = [];
      for (const item of items) {
        if (item.kind === 'online') outcomes.push(await this.writeOnline(trx, item));
        else outcomes.push(await this.writeOffline(trx, item));
      }
      return outcomes;
    });
  }

  private async writeOnline(trx: Db, item: OnlineWrite): Promise<StatusOutcome> {
    const { nodeId, at, hello } = item;
    const record = {
      hostname: hello.facts.hostname,
      os: hello.facts.os,
      platform: hello.facts.platform,
      arch: hello.facts.arch,
      kernel: hello.facts.kernel,
      boot_id: hello.facts.bootId,
      agent_version: hello.agentVersion,
      capabilities: JSON.stringify(hello.capabilities),
      remote_addr: item.remoteAddress,
      instance_id: this.instanceId,
    };
    const columns = Object.keys(record) as Array<keyof typeof record>;
    const row = await trx
      .selectFrom('nodes')
      .select(['status', ...columns])
      .where('id', '=', nodeId)
      .executeTakeFirst();
    if (!row) return 'missing';
    await trx
      .updateTable('nodes')
      .set({ status: 'online', ...record, connected_since: at, last_seen_at: at, updated_at: at })
      .where('id', '=', nodeId)
      .execute();
    if (row.status === 'online') return 'unchanged';
    await trx
      .insertInto('node_status_events')
      .values({ node_id: nodeId, status: 'online', at, reason: item.reason })
      .execute();
    return columns.every((c) => row[c] === record[c]) ? 'back' : 'changed';
  }

  private async writeOffline(trx: Db, item: OfflineWrite): Promise<StatusOutcome> {
    const { nodeId, at } = item;
    const result = await trx
      .updateTable('nodes')
      .set({ status: 'offline', connected_since: null, last_seen_at: item.lastSeen, updated_at: this.now() })
      .where('id', '=', nodeId)
      .where('status', '=', 'online')
      // In shared mode the agent may already be connected to another instance: not the holder's to mark.
      .where((eb) => eb.or([eb('instance_id', 'is', null), eb('instance_id', '=', item.holder)]))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return 'unchanged';
    await trx
      .insertInto('node_status_events')
      .values({ node_id: nodeId, status: 'offline', at, reason: item.reason })
      .execute();
    return 'changed';
  }

  /** Called on every frame or pong; memory only, persisted in batches by flushLastSeen. */
  touch(nodeId: string, at = this.now()): void {
    if (this.lastSeen.has(nodeId)) this.lastSeen.set(nodeId, at);
  }

  /**
   * Persists the last-seen times in groups of LAST_SEEN_GROUP nodes, a transaction each, yielding
   * between them: on SQLite one transaction of 10,000 updates held the event loop ~200 ms (samples,
   * heartbeats and the UI waited). A time is a hint for the next start, so groups need not commit as one.
   */
  async flushLastSeen(): Promise<void> {
    if (this.lastSeen.size === 0) return;
    const entries = [...this.lastSeen];
    for (let i = 0; i < entries.length; i += LAST_SEEN_GROUP) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      await this.db.transaction().execute(async (trx) => {
        for (const [id, at] of entries.slice(i, i + LAST_SEEN_GROUP)) {
          await trx.updateTable('nodes').set({ last_seen_at: at }).where('id', '=', id).execute();
        }
      });
    }
  }

  /** Nodes the database believes online: after a restart they get a grace window to reconnect. */
  async onlineNodeIds(filter: { kind: 'agent' | 'local' }): Promise<string[]> {
    const rows = await this.db
      .selectFrom('nodes')
      .select('id')
      .where('status', '=', 'online')
      .where('kind', '=', filter.kind)
      .execute();
    return rows.map((r) => r.id);
  }

  /** Offline as of the last time the node was heard, which a previous master persisted. */
  async markOfflineSinceLastSeen(nodeId: string, reason: string): Promise<void> {
    const row = await this.db.selectFrom('nodes').select('last_seen_at').where('id', '=', nodeId).executeTakeFirst();
    if (!row) return;
    await this.markOffline(nodeId, reason, row.last_seen_at === null ? this.now() : Number(row.last_seen_at));
  }

  async uptime(nodeId: string, hours = 24) {
    await this.row(nodeId); // not_found for an unknown node
    const to = this.now();
    const from = to - hours * 3_600_000;
    const events = await this.db
      .selectFrom('node_status_events')
      .select(['node_id', 'status', 'at', 'reason'])
      .where('node_id', '=', nodeId)
      .where('at', '>=', from)
      .orderBy('at')
      .orderBy('id')
      .execute();
    const before = await this.db
      .selectFrom('node_status_events')
      .select('status')
      .where('node_id', '=', nodeId)
      .where('at', '<', from)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    const onlineMs = onlineDuration(before?.status === 'online', events, from, to);
    // The span starts at the first connect: the time before it is not downtime. An event before the
    // window means the node had connected by then.
    const firstOnline = events.find((e) => e.status === 'online');
    const spanStart = before ? from : firstOnline ? Math.max(from, Number(firstOnline.at)) : to;
    const span = Math.max(1, to - spanStart);
    return {
      nodeId,
      from,
      to,
      onlineMs,
      ratio: Math.min(1, onlineMs / span),
      events: events.map(
        (e): StatusEvent => ({ nodeId: e.node_id, status: e.status, at: Number(e.at), reason: e.reason }),
      ),
    };
  }

  private async row(id: string): Promise<NodesTable> {
    const row = await this.db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('node', id);
    return row;
  }

  private async agentRow(id: string): Promise<NodesTable> {
    const row = await this.row(id);
    if (row.kind === 'local') {
      throw new FleetError('conflict', 'The local node runs inside the master and has no token.');
    }
    return row;
  }

  private toView(row: NodesTable): NodeView {
    const live = this.lastSeen.get(row.id);
    return {
      id: row.id,
      name: row.name,
      labels: parseJson<Record<string, string>>(row.labels, {}),
      kind: row.kind,
      status: row.status as NodeStatus,
      revoked: row.revoked_at !== null,
      hostname: row.hostname,
      os: row.os,
      platform: row.platform,
      arch: row.arch,
      kernel: row.kernel,
      agentVersion: row.agent_version,
      remoteAddress: row.remote_addr,
      connectedSince: row.connected_since === null ? null : Number(row.connected_since),
      lastSeenAt: live ?? (row.last_seen_at === null ? null : Number(row.last_seen_at)),
      capabilities: parseJson<Capabilities | null>(row.capabilities, null),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }
}

/** Milliseconds online within [from, to], given the status before `from` and the transitions after. */
export function onlineDuration(
  onlineAtStart: boolean,
  events: ReadonlyArray<{ status: string; at: number }>,
  from: number,
  to: number,
): number {
  let total = 0;
  let onlineSince: number | null = onlineAtStart ? from : null;
  for (const event of events) {
    const at = Math.min(Math.max(Number(event.at), from), to);
    if (event.status === 'online' && onlineSince === null) onlineSince = at;
    if (event.status === 'offline' && onlineSince !== null) {
      total += at - onlineSince;
      onlineSince = null;
    }
  }
  if (onlineSince !== null) total += to - onlineSince;
  return total;
}
