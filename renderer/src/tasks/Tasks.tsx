// Tasks: saved commands with targets, limits and an optional schedule. Create and edit with a preview
// of the next runs, run now, and follow each run's progress and per-node output.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Cron } from 'croner';
import { type FormEvent, useMemo, useState } from 'react';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { useNow } from '../clock';
import { useDialogs } from '../dialogs';
import { nodesQuery } from '../sync';

type Task = OutputOf<'listTasks'>[number];
type Run = OutputOf<'listTaskRuns'>[number];

function previewRuns(schedule: string, timezone: string): { runs: Date[]; error: string | null } {
  if (!schedule.trim()) return { runs: [], error: null };
  try {
    return { runs: new Cron(schedule, { paused: true, timezone: timezone || 'UTC' }).nextRuns(5), error: null };
  } catch (error) {
    return { runs: [], error: (error as Error).message };
  }
}

function parseSelector(text: string): Record<string, string> | undefined {
  const pairs = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((p) => p.split('='));
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(pairs.map(([k, ...v]) => [k?.trim() ?? '', v.join('=').trim()]));
}

/** The first of a task's next runs still ahead (the list is as of its fetch). */
export function nextRunAfter(task: Pick<Task, 'nextRuns'>, now: number): number | null {
  return task.nextRuns.find((t) => t > now) ?? null;
}

/** Refetch once the earliest shown next run has passed, so the list moves on with the schedule. */
function untilNextRun(tasks: Task[] | undefined): number | false {
  const now = Date.now();
  const next = Math.min(...(tasks ?? []).map((t) => nextRunAfter(t, now) ?? Number.POSITIVE_INFINITY));
  return Number.isFinite(next) ? Math.min(60_000, Math.max(1_000, next - now + 500)) : false;
}

export function Tasks({ client }: { client: Client }) {
  const queryClient = useQueryClient();
  // Runs and next-run times also refetch on task events (sync.ts).
  const tasks = useQuery({
    queryKey: ['tasks'],
    queryFn: () => client.listTasks({}),
    refetchInterval: (query) => untilNextRun(query.state.data),
  });
  const [editing, setEditing] = useState<Task | 'new' | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const now = useNow();
  const run = useMutation({
    mutationFn: (id: string) => client.runTask({ id }),
    onSuccess: (r) => {
      setSelected(r.taskId);
      void queryClient.invalidateQueries({ queryKey: ['taskRuns', r.taskId] });
    },
  });
  return (
    <main className="tasks">
      <div className="row">
        <h1>Tasks</h1>
        <button type="button" onClick={() => setEditing('new')}>
          New task
        </button>
      </div>
      {(tasks.error ?? run.error) && (
        <p role="alert" className="error">
          {(tasks.error ?? run.error)?.message}
        </p>
      )}
      {editing && (
        <TaskForm
          client={client}
          task={editing === 'new' ? null : editing}
          onDone={() => {
            setEditing(null);
            void queryClient.invalidateQueries({ queryKey: ['tasks'] });
          }}
        />
      )}
      {tasks.data?.length === 0 && !editing && (
        <p className="empty">
          No tasks yet. A task is a saved command for chosen nodes, run on demand or on a schedule.
        </p>
      )}
      <table className="plain">
        <tbody>
          {(tasks.data ?? []).map((t) => (
            <tr key={t.id} aria-selected={selected === t.id}>
              <td>
                <button type="button" className="link" onClick={() => setSelected(t.id)}>
                  {t.name}
                </button>
              </td>
              <td>
                <code>{t.exec.command ?? t.exec.argv?.join(' ')}</code>
              </td>
              <td>
                {t.schedule ? `${t.schedule} (${t.timezone ?? 'UTC'})` : 'on demand'}
                {!t.enabled && ' · disabled'}
              </td>
              <td className="hint next-run">
                {t.enabled && nextRunAfter(t, now) !== null
                  ? `next ${new Date(nextRunAfter(t, now) as number).toLocaleString()}`
                  : ''}
              </td>
              <td className="actions">
                <button type="button" onClick={() => run.mutate(t.id)}>
                  Run now
                </button>
                <button type="button" onClick={() => setEditing(t)}>
                  Edit
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {selected && <RunHistory client={client} taskId={selected} />}
    </main>
  );
}

function TaskForm({ client, task, onDone }: { client: Client; task: Task | null; onDone: () => void }) {
  const nodes = useQuery(nodesQuery(client));
  const [name, setName] = useState(task?.name ?? '');
  const [command, setCommand] = useState(task?.exec.command ?? '');
  const [nodeIds, setNodeIds] = useState<Set<string>>(new Set(task?.targets.nodeIds ?? []));
  const [selector, setSelector] = useState(
    Object.entries(task?.targets.selector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
  );
  const [schedule, setSchedule] = useState(task?.schedule ?? '');
  const [timezone, setTimezone] = useState(task?.timezone ?? 'UTC');
  const [timeoutSec, setTimeoutSec] = useState(task?.timeoutSec ?? 300);
  const [concurrency, setConcurrency] = useState<string>(task?.concurrency ? String(task.concurrency) : '');
  const [enabled, setEnabled] = useState(task?.enabled ?? true);
  // Minutes in the form; a target whose command has not reached its node by then ends expired.
  const [deadlineMin, setDeadlineMin] = useState(Math.round((task?.deadlineSec ?? 3_600) / 60));
  const preview = useMemo(() => previewRuns(schedule, timezone), [schedule, timezone]);
  const save = useMutation({
    mutationFn: () => {
      const body = {
        name,
        exec: { command },
        targets: { nodeIds: nodeIds.size ? [...nodeIds] : undefined, selector: parseSelector(selector) },
        timeoutSec,
        enabled,
        deadlineSec: Math.min(7 * 1_440, Math.max(1, Math.round(deadlineMin))) * 60,
      };
      const limit = concurrency ? Number(concurrency) : undefined;
      return task
        ? client.updateTask({
            id: task.id,
            ...body,
            schedule: schedule || null,
            timezone: schedule ? timezone : null,
            concurrency: limit ?? null,
          })
        : client.createTask({
            ...body,
            schedule: schedule || undefined,
            timezone: schedule ? timezone : undefined,
            concurrency: limit,
          });
    },
    onSuccess: onDone,
  });
  const dialogs = useDialogs();
  const remove = useMutation({ mutationFn: () => client.deleteTask({ id: task?.id as string }), onSuccess: onDone });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="task-form" onSubmit={submit}>
      <label>
        Name <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label>
        Command <textarea rows={3} value={command} onChange={(e) => setCommand(e.target.value)} required />
      </label>
      <fieldset>
        <legend>Targets</legend>
        <div className="node-picker">
          {(nodes.data ?? []).map((n) => (
            <label key={n.id}>
              <input
                type="checkbox"
                checked={nodeIds.has(n.id)}
                onChange={(e) => {
                  const next = new Set(nodeIds);
                  if (e.target.checked) next.add(n.id);
                  else next.delete(n.id);
                  setNodeIds(next);
                }}
              />
              {n.name}
            </label>
          ))}
        </div>
        <label>
          and nodes labelled{' '}
          <input value={selector} placeholder="role=web, env=prod" onChange={(e) => setSelector(e.target.value)} />
        </label>
      </fieldset>
      <div className="row">
        <label>
          Schedule (cron){' '}
          <input value={schedule} placeholder="*/5 * * * *" onChange={(e) => setSchedule(e.target.value)} />
        </label>
        <label>
          Time zone <input value={timezone} onChange={(e) => setTimezone(e.target.value)} />
        </label>
        <label>
          Timeout (s){' '}
          <input type="number" min={1} value={timeoutSec} onChange={(e) => setTimeoutSec(Number(e.target.value))} />
        </label>
        <label title="A target that does not take its command by then (offline) ends expired, so the run ends.">
          Deadline per target (min){' '}
          <input
            type="number"
            min={1}
            max={7 * 1_440}
            value={deadlineMin}
            onChange={(e) => setDeadlineMin(Number(e.target.value))}
          />
        </label>
        <label>
          At most at once{' '}
          <input
            type="number"
            min={1}
            value={concurrency}
            placeholder="all"
            onChange={(e) => setConcurrency(e.target.value)}
          />
        </label>
        <label>
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
        </label>
      </div>
      {preview.error ? (
        <p className="error">Schedule: {preview.error}</p>
      ) : (
        preview.runs.length > 0 && (
          <p className="hint next-runs">Next runs: {preview.runs.map((d) => d.toLocaleString()).join(' · ')}</p>
        )
      )}
      {(save.error ?? remove.error) && (
        <p role="alert" className="error">
          {(save.error ?? remove.error)?.message}
        </p>
      )}
      <div className="row">
        <button type="submit" disabled={save.isPending || Boolean(preview.error)}>
          {task ? 'Save task' : 'Create task'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        {task && (
          <button
            type="button"
            className="danger"
            onClick={async () => {
              const yes = await dialogs.confirm({
                title: `Delete the task ${task.name}?`,
                message: 'Its schedule stops; commands it already queued keep their history.',
                confirmLabel: 'Delete task',
                danger: true,
              });
              if (yes) remove.mutate();
            }}
          >
            Delete task
          </button>
        )}
      </div>
    </form>
  );
}

function RunHistory({ client, taskId }: { client: Client; taskId: string }) {
  // The header counts follow command events (sync.ts refetches ['taskRuns'] at most once a second).
  const runs = useQuery({
    queryKey: ['taskRuns', taskId],
    queryFn: () => client.listTaskRuns({ id: taskId, limit: 50 }),
  });
  const [open, setOpen] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const dialogs = useDialogs();
  const cancel = useMutation({
    mutationFn: (id: string) => client.cancelRun({ id }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['taskRuns', taskId] }),
  });
  const askCancel = async (r: Run) => {
    const yes = await dialogs.confirm({
      title: 'Cancel this run?',
      message:
        'Its commands that have not finished are cancelled (running ones are asked to stop); the run ends cancelled.',
      confirmLabel: 'Cancel run',
    });
    if (yes) cancel.mutate(r.id);
  };
  return (
    <section className="runs" aria-label="Run history">
      <h2>Runs</h2>
      {cancel.error && (
        <p role="alert" className="error">
          {cancel.error.message}
        </p>
      )}
      {runs.data?.length === 0 && <p className="empty">No runs yet.</p>}
      <table className="plain">
        <tbody>
          {(runs.data ?? []).map((r: Run) => (
            <tr key={r.id}>
              <td>
                <button type="button" className="link" onClick={() => setOpen(open === r.id ? null : r.id)}>
                  {new Date(r.createdAt).toLocaleString()}
                </button>
              </td>
              <td>
                <span className={`badge ${r.status}`}>{r.status}</span> ({r.trigger})
              </td>
              <td className="hint">
                {Object.entries(r.counts)
                  .map(([k, v]) => `${v} ${k}`)
                  .join(', ')}{' '}
                of {r.total}
                {r.reason && <span className="run-reason"> · {r.reason}</span>}
              </td>
              <td>
                {(r.status === 'running' || r.status === 'queued') && (
                  <button type="button" disabled={cancel.isPending} onClick={() => void askCancel(r)}>
                    Cancel run
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open && <RunDetail client={client} runId={open} />}
    </section>
  );
}

function RunDetail({ client, runId }: { client: Client; runId: string }) {
  // Follows its commands' status events (sync.ts).
  const run = useQuery({ queryKey: ['run', runId], queryFn: () => client.getRun({ id: runId }) });
  const nodes = useQuery(nodesQuery(client));
  const names = new Map((nodes.data ?? []).map((n) => [n.id, n.name]));
  return (
    <div className="outputs">
      {(run.data?.commands ?? []).map((c) => (
        <article key={c.id} className="output">
          <header>
            {names.get(c.nodeId) ?? c.nodeId} · <span className={`badge ${c.status}`}>{c.status}</span>
            {c.exitCode !== null && ` · exit ${c.exitCode}`}
          </header>
          <pre>
            {c.stdout}
            {c.stderr && <span className="stderr">{c.stderr}</span>}
          </pre>
        </article>
      ))}
    </div>
  );
}
