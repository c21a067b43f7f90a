// Staged in-band upgrades: the master offers its agent (the files the gateway serves) to nodes, a
// stage of `batchSize` at a time, over their connections (agent/upgrade.ts does the rest). A node
// counts as upgraded once it is connected again, since the offer, running the offered version; as
// failed when it refuses (nothing changed), comes back on another version (it rolled back on its own),
// or stays away past its timeout. After a stage with more failures than `maxFailures` the rollout
// stops and the remaining nodes are not touched. Rollouts live in this master's memory (last 50).
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { UpgradeMessage, UpgradeStatusMessage } from '../../../agent/protocol.js';
import { FleetError } from '../../contract/errors.js';
import type { AgentRolloutView, StartAgentRollout } from '../../contract/rollout-schemas.js';
import type { AgentArtifacts } from '../enroll/artifacts.js';
import type { EventBus } from '../events.js';
import type { NodeLinks } from '../gateway/links.js';
import type { Logger } from '../log.js';
import type { NodeRegistry } from '../nodes/registry.js';

type RolloutNode = AgentRolloutView['nodes'][number];
const MAX_ROLLOUTS = 50;
/** After the agent's own deadline, what the master still waits for it (a restart, a slow dial). */
const GRACE_MS = 15_000;
const POLL_MS = 250;

export class AgentRollouts {
  private readonly rollouts = new Map<string, AgentRolloutView>();
  /** Offers in flight: the upgrade id → its node and what the agent answered. */
  private readonly offers = new Map<string, { nodeId: string; refused: string | null }>();

  constructor(
    private readonly registry: NodeRegistry,
    private readonly links: NodeLinks,
    private readonly artifacts: AgentArtifacts,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  list(): AgentRolloutView[] {
    return [...this.rollouts.values()].reverse();
  }

  get(id: string): AgentRolloutView {
    const rollout = this.rollouts.get(id);
    if (!rollout) throw new FleetError('not_found', `No agent rollout ${id} (rollouts are kept in memory).`);
    return rollout;
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
    this.rollouts.set(rollout.id, rollout);
    if (this.rollouts.size > MAX_ROLLOUTS) this.rollouts.delete(this.rollouts.keys().next().value as string);
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
  }
}
