// Contract handlers for commands (tasks and runs: tasks/handlers.ts).

import { sql } from 'kysely';
import type { Handlers, ParsedInputOf } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import { type NodeLister, resolveTargets } from '../nodes/targets.js';
import type { CommandsTable, Db } from '../store/schema.js';
import { toCommandView } from './command-view.js';
import { claimFor, type IdempotencyClaim, IdempotentRequests } from './idempotency.js';
import type { CommandQueue } from './queue.js';

type QueueHandlerNames = 'enqueueCommands' | 'listCommands' | 'getCommand' | 'cancelCommand';

type EnqueueInput = Omit<ParsedInputOf<'enqueueCommands'>, 'idempotencyKey'>;

/**
 * A LIKE pattern matching text that contains `needle` literally. `!` escapes (the same on SQLite and
 * MariaDB, where a backslash would mean different things), so `%`, `_` and `!` in the needle match
 * themselves. The pattern is a bound parameter.
 */
export function containing(needle: string): string {
  return `%${needle.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** What a retry of a keyed enqueue answers from: the ids of the commands the first one created. */
const commandIdsOf = (rows: CommandsTable[]) => JSON.stringify({ commandIds: rows.map((r) => r.id) });

/** The commands a keyed enqueue created, in their current state and the first answer's order. */
async function commandsById(db: Db, reference: string) {
  const { commandIds } = JSON.parse(reference) as { commandIds: string[] };
  const rows: CommandsTable[] = [];
  for (let i = 0; i < commandIds.length; i += 500) {
    const chunk = commandIds.slice(i, i + 500);
    rows.push(...(await db.selectFrom('commands').selectAll().where('id', 'in', chunk).execute()));
  }
  const byId = new Map(rows.map((r) => [r.id, r]));
  // A command deleted since (its node was deleted) is left out.
  return { commands: commandIds.flatMap((id) => (byId.has(id) ? [toCommandView(byId.get(id) as CommandsTable)] : [])) };
}

export function queueHandlers(queue: CommandQueue, registry: NodeLister, db: Db): Pick<Handlers, QueueHandlerNames> {
  const keyed = new IdempotentRequests(db);
  const enqueue = async (input: EnqueueInput, claim?: IdempotencyClaim) => {
    const nodeIds = await resolveTargets(registry, { nodeIds: input.nodeIds, selector: input.selector });
    if (nodeIds.length === 0) throw new FleetError('bad_request', 'No node matches the selector.');
    const now = Date.now();
    const rows = await queue.enqueue(
      nodeIds.map((nodeId) => ({
        nodeId,
        exec: input.exec,
        timeoutMs: input.timeoutSec * 1000,
        outputLimit: input.outputLimitBytes,
        deadlineAt: input.deadlineSec ? now + input.deadlineSec * 1000 : null,
        retry: input.retry ?? null,
      })),
      undefined,
      claim,
    );
    return { commands: rows.map((r) => toCommandView(r)) };
  };
  return {
    enqueueCommands: async ({ idempotencyKey, ...input }) => {
      if (idempotencyKey === undefined) return enqueue(input);
      const claim = claimFor('enqueueCommands', idempotencyKey, input, commandIdsOf);
      return keyed.once(
        claim,
        () => enqueue(input, claim),
        (reference) => commandsById(db, reference),
      );
    },
    listCommands: async ({ nodeId, status, taskRunId, batchId, q, limit, before, withOutput }) => {
      let query = db.selectFrom('commands').selectAll().orderBy('id', 'desc').limit(limit);
      if (nodeId) query = query.where('node_id', '=', nodeId);
      if (status) query = query.where('status', '=', status);
      if (taskRunId) query = query.where('task_run_id', '=', taskRunId);
      if (batchId) query = query.where('batch_id', '=', batchId);
      if (q) query = query.where(sql<boolean>`command_text like ${containing(q)} escape '!'`);
      if (before) query = query.where('id', '<', before);
      const rows = await query.execute();
      return rows.map((r) => toCommandView(r, withOutput ?? false));
    },
    getCommand: async ({ id }) => toCommandView(await queue.get(id)),
    cancelCommand: async ({ id }) => toCommandView(await queue.cancel(id)),
  };
}
