// Staged in-band upgrades: the master offers its agent (the files the gateway serves) to nodes, a
// stage of `batchSize` at a time, over their connections (agent/upgrade.ts does the rest). A node
// counts as upgraded once it is connected again, since the offer, running the offered version; as
// failed when it refuses (nothing changed), comes back on another version (it rolled back on its own),
// or stays away past its timeout. After a stage with more failures than `maxFailures` the rollout
// stops and the remaining nodes are not touched. Rollouts are kept in the store (agent_rollouts,
// migration 26; the list shows the last 50 of the cluster): the running instance writes its progress
// there at most every SAVE_MS and at every end, and a rollout that was running when its instance
// stopped is marked `interrupted` by that instance's next start — its nodes not reached are left
// alone, one caught mid-upgrade counts as failed (its agent rolls back on its own if it does not come
// back) — never resumed behind the operator's back: starting a new rollout finishes the job.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { UpgradeMessage, UpgradeStatusMessage } from '../../../agent/protocol.js';
import { FleetError } from '../../contract/errors.js';
import { AgentRolloutView, type StartAgentRollout } from '../../contract/rollout-schemas.js';
import type { AgentArtifacts } from '../enroll/artifacts.js';
import type { EventBus } from '../events.js';
import type { NodeLinks } from '../gateway/links.js';
import type { Logger } from '../log.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { AgentRolloutsTable } from '../store/migrations/26-install.js';
import type { Database } from '../store/schema.js';

type RolloutNode = AgentRolloutView['nodes'][number];
const MAX_ROLLOUTS = 50;
/** After the agent's own deadline, what the master still waits for it (a restart, a slow dial). */
const GRACE_MS = 15_000;
const POLL_MS = 250;
/** Progress is written at most this often while nodes change (every end is written at once). */
const SAVE_MS = 1_000;
const NodesJson = AgentRolloutView.shape.nodes;

export class AgentRollouts {
  /** The rollouts this instance runs now (the store has every other). */
  private readonly rollouts = new Map<string, AgentRolloutView>();
  /** Offers in flight: the upgrade id → its node and what the agent answered. */
  private readonly offers = new Map<string, { nodeId: string; refused: string | null }>();
  private readonly unsaved = new Set<string>();
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: NodeRegistry,
    private readonly links: NodeLinks,
    private readonly artifacts: AgentArtifacts,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly db: Kysely<Database>,
    private readonly instanceId: string,
  ) {}

  /**
   * At start: rollouts this instance was running when it stopped are marked interrupted, with what
   * they had done. Returns how many.
   */
  async recover(now = Date.now()): Promise<number> {
    const rows = await this.db
      .selectFrom('agent_rollouts')
      .selectAll()
      .where('instance_id', '=', this.instanceId)
      .where('state', '=', 'running')
      .execute();
    for (const row of rows) {
      const rollout = fromRow(row);
      let caught = 0;
      for (const node of rollout.nodes) {
        if (node.state === 'pending') node.state = 'not-started';
        if (node.state === 'upgrading') {
          node.state = 'failed';
          node.error =
            'the master restarted during its upgrade: see its version (it rolls back on its own if it did not come back)';
          rollout.done += 1;
          rollout.failed += 1;
          caught += 1;
        }
      }
      rollout.state = 'interrupted';
      rollout.finishedAt = now;
      rollout.message =
        `Interrupted: the master restarted with ${rollout.done} of ${rollout.total} nodes done` +
        (caught > 0 ? ` (${caught} caught mid-upgrade, counted as failed)` : '') +
        '; the rest were not touched. Start a new rollout to finish.';
      await this.write(rollout, now);
    }
    if (rows.length > 0) this.log.warn({ rollouts: rows.length }, 'agent rollouts interrupted by a restart');
    return rows.length;
  }

  /** The last 50 rollouts of the cluster, newest first (this instance's running ones as they are now). */
  async list(): Promise<AgentRolloutView[]> {
    const rows = await this.db
      .selectFrom('agent_rollouts')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(MAX_ROLLOUTS)
      .execute();
    return rows.map((row) => this.rollouts.get(row.id) ?? fromRow(row));
  }

  async get(id: string): Promise<AgentRolloutView> {
    const live = this.rollouts.get(id);
    if (live) return live;
    const row = await this.db.selectFrom('agent_rollouts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new FleetError('not_found', `No agent rollout ${id}.`);
    return fromRow(row);
  }

  /** Writes what is unsaved (at stop: a rollout still running is marked interrupted by the next start). */
  async stop(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.flush();
  }

  async start(input: z.output<typeof StartAgentRollout>): Promise<AgentRolloutView> {
    const offer = await this.offer();
    const all = (await this.registry.list()).filter((n) => n.kind !== 'local');
    const targets = input.nodeIds ? input.nodeIds.map((id) => all.find((n) => n.id === id)) : all;
    const missing = input.nodeIds?.filter((_, i) => !targets[i]) ?? [];
    if (missing.length > 0) throw new FleetError('not_found', `No agent node ${missing.join(', ')}.`);
    const rollout: AgentRolloutView = {
      id: randomUUID(),
      version: offer.version,
      state: 'running',
      createdAt: Date.now(),
      finishedAt: null,
      batchSize: input.batchSize ?? 5,
      maxFailures: input.maxFailures ?? 0,
      timeoutSec: input.timeoutSec ?? 120,
      total: targets.length,
      done: 0,
      failed: 0,
      message: null,
      nodes: targets.map((n) => ({
        nodeId: n?.id as string,
        name: n?.name as string,
        from: n?.agentVersion ?? null,
        state: 'pending',
        error: null,
      })),
    };
    await this.write(rollout, rollout.createdAt, true);
    this.rollouts.set(rollout.id, rollout);
    void this.run(rollout, offer).catch((err) => this.log.error({ err }, 'agent rollout failed'));
    return rollout;
  }

  /** An agent's answer to an offer: only the node the offer went to may answer it. */
  onStatus(nodeId: string, message: UpgradeStatusMessage): void {
    const offer = this.offers.get(message.id);
    if (!offer || offer.nodeId !== nodeId) return;
    if (message.phase === 'failed') offer.refused = message.error ?? 'refused';
  }

  private async offer(): Promise<Omit<UpgradeMessage, 'type' | 'id' | 'timeoutSec'>> {
    const files = await this.artifacts.list();
    const version = await this.artifacts.version();
    if (files.length === 0 || !version) {
      throw new FleetError('conflict', 'This master has no agent to offer: build it (npm run build) and try again.');
    }
    return { version, artifacts: Object.fromEntries(files.map((a) => [a.name, { sha256: a.sha256, size: a.size }])) };
  }

  private async run(rollout: AgentRolloutView, offer: Omit<UpgradeMessage, 'type' | 'id' | 'timeoutSec'>) {
    this.changed(rollout);
    for (let i = 0; i < rollout.nodes.length; i += rollout.batchSize) {
      const stage = rollout.nodes.slice(i, i + rollout.batchSize);
      await Promise.all(stage.map((node) => this.upgradeOne(rollout, node, offer)));
      if (rollout.failed > rollout.maxFailures) {
        for (const node of rollout.nodes.slice(i + rollout.batchSize)) node.state = 'not-started';
        rollout.state = 'stopped';
        rollout.message = `Stopped after ${rollout.failed} failed node(s) (allowed: ${rollout.maxFailures}); the rest were not touched.`;
        break;
      }
    }
    if (rollout.state === 'running') rollout.state = 'succeeded';
    rollout.finishedAt = Date.now();
    this.changed(rollout);
    await this.flush();
    this.rollouts.delete(rollout.id);
  }

  private async upgradeOne(
    rollout: AgentRolloutView,
    node: RolloutNode,
    offer: Omit<UpgradeMessage, 'type' | 'id' | 'timeoutSec'>,
  ): Promise<void> {
    const finish = (state: RolloutNode['state'], error: string | null = null) => {
      node.state = state;
      node.error = error;
      rollout.done += 1;
      if (state === 'failed') rollout.failed += 1;
      this.changed(rollout);
    };
    const before = await this.registry.get(node.nodeId).catch(() => null);
    if (!before) return finish('failed', 'the node was deleted');
    if (before.agentVersion === offer.version && before.status === 'online') return finish('current');
    const id = randomUUID();
    const sentAt = Date.now();
    this.offers.set(id, { nodeId: node.nodeId, refused: null });
    node.state = 'upgrading';
    this.changed(rollout);
    try {
      const message: UpgradeMessage = { type: 'upgrade', id, ...offer, timeoutSec: rollout.timeoutSec };
      if (!this.links.send(node.nodeId, message)) {
        return finish('failed', 'not connected to this master (upgrade it when it is, or over SSH)');
      }
      const deadline = sentAt + rollout.timeoutSec * 1000 + GRACE_MS;
      while (Date.now() < deadline) {
        const refused = this.offers.get(id)?.refused;
        if (refused) return finish('failed', `the agent refused it: ${refused}`);
        const now = await this.registry.get(node.nodeId);
        if (now.status === 'online' && (now.connectedSince ?? 0) >= sentAt) {
          if (now.agentVersion === offer.version) return finish('upgraded');
          return finish('failed', `came back running ${now.agentVersion ?? 'an unknown version'}: it rolled back`);
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      finish('failed', `not back within ${rollout.timeoutSec + GRACE_MS / 1000} s`);
    } finally {
      this.offers.delete(id);
    }
  }

  private changed(rollout: AgentRolloutView): void {
    this.bus.emit('agentRollout', structuredClone(rollout));
    this.unsaved.add(rollout.id);
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = null;
      void this.flush();
    }, SAVE_MS);
  }

  /** Writes every rollout changed since the last write, one write at a time. */
  private flush(): Promise<void> {
    this.saving = this.saving.then(async () => {
      const ids = [...this.unsaved];
      this.unsaved.clear();
      for (const id of ids) {
        const rollout = this.rollouts.get(id);
        if (!rollout) continue;
        await this.write(rollout, Date.now()).catch((err) => {
          // Kept for the next write: progress in the store lags, the rollout itself goes on.
          this.unsaved.add(id);
          this.log.warn({ err, rollout: id }, 'could not save agent rollout progress');
        });
      }
    });
    return this.saving;
  }

  private async write(rollout: AgentRolloutView, now: number, insert = false): Promise<void> {
    const values = {
      state: rollout.state,
      updated_at: now,
      finished_at: rollout.finishedAt,
      done: rollout.done,
      failed: rollout.failed,
      message: rollout.message,
      nodes: JSON.stringify(rollout.nodes),
    };
    if (!insert) {
      await this.db.updateTable('agent_rollouts').set(values).where('id', '=', rollout.id).execute();
      return;
    }
    await this.db
      .insertInto('agent_rollouts')
      .values({
        ...values,
        id: rollout.id,
        instance_id: this.instanceId,
        version: rollout.version,
        created_at: rollout.createdAt,
        batch_size: rollout.batchSize,
        max_failures: rollout.maxFailures,
        timeout_sec: rollout.timeoutSec,
        total: rollout.total,
      })
      .execute();
  }
}

function fromRow(row: AgentRolloutsTable): AgentRolloutView {
  return {
    id: row.id,
    version: row.version,
    state: row.state,
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    batchSize: row.batch_size,
    maxFailures: row.max_failures,
    timeoutSec: row.timeout_sec,
    total: row.total,
    done: row.done,
    failed: row.failed,
    message: row.message,
    nodes: NodesJson.parse(JSON.parse(row.nodes)),
  };
}
