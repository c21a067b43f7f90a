// Contract handlers for commands, tasks and runs.
import type { Handlers } from '../../contract/contract.js';
import { FleetError } from '../errors.js';
import type { Db } from '../store/schema.js';
import type { TaskService } from '../tasks/tasks.js';
import { toCommandView } from './command-view.js';
import type { CommandQueue } from './queue.js';

type QueueHandlerNames =
  | 'enqueueCommands'
  | 'listCommands'
  | 'getCommand'
  | 'cancelCommand'
  | 'listTasks'
  | 'createTask'
  | 'getTask'
  | 'updateTask'
  | 'deleteTask'
  | 'runTask'
  | 'listTaskRuns'
  | 'getRun';

export function queueHandlers(queue: CommandQueue, tasks: TaskService, db: Db): Pick<Handlers, QueueHandlerNames> {
  return {
    enqueueCommands: async (input) => {
      const nodeIds = await tasks.resolveTargets({ nodeIds: input.nodeIds, selector: input.selector });
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
      );
      return { commands: rows.map((r) => toCommandView(r)) };
    },
    listCommands: async ({ nodeId, status, taskRunId, limit, before, withOutput }) => {
      let query = db.selectFrom('commands').selectAll().orderBy('id', 'desc').limit(limit);
      if (nodeId) query = query.where('node_id', '=', nodeId);
      if (status) query = query.where('status', '=', status);
      if (taskRunId) query = query.where('task_run_id', '=', taskRunId);
      if (before) query = query.where('id', '<', before);
      const rows = await query.execute();
      return rows.map((r) => toCommandView(r, withOutput ?? false));
    },
    getCommand: async ({ id }) => toCommandView(await queue.get(id)),
    cancelCommand: async ({ id }) => toCommandView(await queue.cancel(id)),
    listTasks: () => tasks.list(),
    createTask: (spec) => tasks.create(spec),
    getTask: ({ id }) => tasks.get(id),
    updateTask: ({ id, ...patch }) => tasks.update(id, patch),
    deleteTask: async ({ id }) => {
      await tasks.delete(id);
      return { ok: true as const };
    },
    runTask: ({ id }) => tasks.run(id, 'manual'),
    listTaskRuns: ({ id, limit }) => tasks.runs(id, limit),
    getRun: ({ id }) => tasks.runView(id, true),
  };
}
