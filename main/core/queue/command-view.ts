// Row ⇄ API shape for commands.
import type { ExecPayload } from '../../../agent/protocol.js';
import type { CommandView } from '../../contract/queue-schemas.js';
import type { CommandsTable } from '../store/schema.js';

const num = (v: number | null) => (v === null ? null : Number(v));

/** Bytes of output the master stored (null until the result came: output is stored with it). */
function storedBytes(row: CommandsTable): number | null {
  if (row.stdout === null && row.stderr === null) return null;
  return Buffer.byteLength(row.stdout ?? '') + Buffer.byteLength(row.stderr ?? '');
}

export function toCommandView(row: CommandsTable, withOutput = true): CommandView {
  const startedAt = num(row.started_at);
  const finishedAt = num(row.finished_at);
  return {
    id: row.id,
    nodeId: row.node_id,
    taskRunId: row.task_run_id,
    retryOf: row.retry_of,
    batchId: row.batch_id,
    origin: row.origin ?? 'unrecorded',
    launchedBy: row.launched_by,
    kind: row.kind,
    exec: JSON.parse(row.payload) as ExecPayload,
    status: row.status,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    deadlineAt: num(row.deadline_at),
    createdAt: Number(row.created_at),
    dispatchedAt: num(row.dispatched_at),
    startedAt,
    finishedAt,
    durationMs: startedAt !== null && finishedAt !== null ? finishedAt - startedAt : null,
    exitCode: row.exit_code,
    signal: row.signal,
    stdout: withOutput ? row.stdout : null,
    stderr: withOutput ? row.stderr : null,
    truncated: Boolean(row.truncated),
    outputLimitBytes: row.output_limit,
    outputBytes: storedBytes(row),
    error: row.error,
  };
}
