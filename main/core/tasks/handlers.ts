// Contract handlers for saved tasks and their runs.
import type { Handlers } from '../../contract/contract.js';
import { claimFor, IdempotentRequests } from '../queue/idempotency.js';
import type { CommandsTable, Db } from '../store/schema.js';
import type { TaskService } from './tasks.js';

type TaskHandlerNames =
  | 'listTasks'
  | 'createTask'
  | 'getTask'
  | 'updateTask'
  | 'deleteTask'
  | 'runTask'
  | 'listTaskRuns'
  | 'getRun'
  | 'cancelRun';

/** What a retry of a keyed task run answers from: the run the first one started. */
export const runIdOf = (rows: CommandsTable[]) => JSON.stringify({ runId: rows[0]?.task_run_id ?? null });

export function taskHandlers(tasks: TaskService, db: Db): Pick<Handlers, TaskHandlerNames> {
  const keyed = new IdempotentRequests(db);
  return {
    listTasks: () => tasks.list(),
    createTask: (spec) => tasks.create(spec),
    getTask: ({ id }) => tasks.get(id),
    updateTask: ({ id, ...patch }) => tasks.update(id, patch),
    deleteTask: async ({ id }) => {
      await tasks.delete(id);
      return { ok: true as const };
    },
    runTask: async ({ id, idempotencyKey }) => {
      if (idempotencyKey === undefined) return tasks.run(id, 'manual');
      const claim = claimFor('runTask', idempotencyKey, { id }, runIdOf);
      return keyed.once(
        claim,
        () => tasks.run(id, 'manual', null, claim),
        (reference) => tasks.runView((JSON.parse(reference) as { runId: string }).runId),
      );
    },
    listTaskRuns: ({ id, limit }) => tasks.runs(id, limit),
    getRun: ({ id }) => tasks.runView(id, true),
    cancelRun: ({ id }) => tasks.cancelRun(id),
  };
}
