// Contract handlers for commands (tasks and runs: tasks/handlers.ts).

import type { Handlers, ParsedInputOf } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import { type NodeLister, resolveTargets } from '../nodes/targets.js';
import type { CommandsTable, Db } from '../store/schema.js';
import { toCommandView } from './command-view.js';
import { claimFor, type IdempotencyClaim, IdempotentRequests } from './idempotency.js';
import type { CommandQueue } from './queue.js';
import { commandsByIds, listCommands } from './reads.js';

type QueueHandlerNames = 'enqueueCommands' | 'listCommands' | 'getCommand' | 'cancelCommand';

type EnqueueInput = Omit<ParsedInputOf<'enqueueCommands'>, 'idempotencyKey'>;

/** What a retry of a keyed enqueue answers from: the ids of the commands the first one created. */
const commandIdsOf = (rows: CommandsTable[]) => JSON.stringify({ commandIds: rows.map((r) => r.id) });

/** The commands a keyed enqueue created, in their current state and the first answer's order. */
async function commandsById(db: Db, reference: string) {
  const { commandIds } = JSON.parse(reference) as { commandIds: string[] };
  const rows = await commandsByIds(db, commandIds);
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
    listCommands: async ({ withOutput, ...filter }) =>
      (await listCommands(db, filter)).map((r) => toCommandView(r, withOutput ?? false)),
    getCommand: async ({ id }) => toCommandView(await queue.get(id)),
    cancelCommand: async ({ id }) => toCommandView(await queue.cancel(id)),
  };
}
