// In-band agent upgrades: a staged rollout of the master's agent to nodes, and its progress.
import { z } from 'zod';
import { NodeId } from './schemas.js';

export const StartAgentRollout = z.object({
  nodeIds: z
    .array(NodeId)
    .min(1)
    .max(100_000)
    .optional()
    .describe('the nodes to upgrade (default: every agent node of the fleet)'),
  batchSize: z.number().int().min(1).max(1000).optional().describe('nodes upgraded at once (default 5)'),
  maxFailures: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .optional()
    .describe('the rollout stops after a stage once more nodes than this failed (default 0: the first failure)'),
  timeoutSec: z
    .number()
    .int()
    .min(10)
    .max(3600)
    .optional()
    .describe('how long an upgraded agent has to come back connected before it rolls back on its own (default 120)'),
});

export const RolloutNodeState = z.enum(['pending', 'upgrading', 'upgraded', 'current', 'failed', 'not-started']);

export const AgentRolloutView = z.object({
  id: z.string(),
  version: z.string().describe('the agent version offered'),
  state: z
    .enum(['running', 'succeeded', 'stopped', 'interrupted'])
    .describe('interrupted: its master stopped while it ran (the nodes it had not reached were left alone)'),
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
  batchSize: z.number(),
  maxFailures: z.number(),
  timeoutSec: z.number(),
  total: z.number(),
  /** Nodes done: upgraded, already current, or failed. */
  done: z.number(),
  failed: z.number(),
  message: z.string().nullable(),
  nodes: z.array(
    z.object({
      nodeId: z.string(),
      name: z.string(),
      from: z.string().nullable(),
      state: RolloutNodeState,
      error: z.string().nullable(),
    }),
  ),
});
export type AgentRolloutView = z.infer<typeof AgentRolloutView>;
