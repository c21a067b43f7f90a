// Tasks: saved commands with targets, limits and an optional schedule. Create and edit with a preview
// of the next runs, run now, and follow each run's progress and per-node output.
import {
  Alert,
  Anchor,
  Button,
  Group,
  NumberInput,
  Paper,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Cron } from 'croner';
import { type FormEvent, useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { useAccess } from '../access';
import { useNow } from '../clock';
import { StatusBadge } from '../commands/command-output';
import { NodePicker } from '../commands/NodePicker';
import { useDialogs } from '../dialogs';
import { userMessage } from '../errors';
import { dateTime } from '../format';
import { i18n } from '../i18n';
import { type PaletteAction, usePaletteActions } from '../shell/palette';
import { ScrollTable } from '../shell/ScrollTable';
import { nodesQuery } from '../sync';

type Task = OutputOf<'listTasks'>[number];
type Run = OutputOf<'listTaskRuns'>[number];
const NO_NODES: never[] = [];

function previewRuns(schedule: string, timezone: string): { runs: Date[]; error: string | null } {
  if (!schedule.trim()) return { runs: [], error: null };
  try {
    return { runs: new Cron(schedule, { paused: true, timezone: timezone || 'UTC' }).nextRuns(5), error: null };
  } catch (error) {
    return { runs: [], error: i18n.t('tasks:form.badSchedule', { reason: (error as Error).message }) };
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
  const { t } = useTranslation(['tasks', 'common']);
  const queryClient = useQueryClient();
  // A viewer reads tasks and their runs; running and changing them is an operator's.
  const operate = useAccess().may('operator');
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
  const error = tasks.error ?? run.error;
  usePaletteActions(
    useMemo<PaletteAction[]>(
      () => [
        {
          id: 'tasks:new',
          group: t('common:palette.groups.actions'),
          label: t('list.new'),
          shortcut: 'alt+shift+n',
          run: () => setEditing('new'),
        },
      ],
      [t],
    ),
  );
  return (
    <Stack className="tasks" gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t('common:nav.tasks')}
        </Title>
        {operate && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            {t('list.new')}
          </Button>
        )}
      </Group>
      {error && (
        <Alert role="alert" color="red">
          {userMessage(error)}
        </Alert>
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
      {tasks.data?.length === 0 && !editing && <p className="empty">{t('list.empty')}</p>}
      <ScrollTable label={t('list.region')} minWidth={720}>
        <Table className="plain">
          <Table.Tbody>
            {(tasks.data ?? []).map((task) => {
              const next = task.enabled ? nextRunAfter(task, now) : null;
              return (
                <Table.Tr key={task.id} aria-selected={selected === task.id}>
                  <Table.Td>
                    <Anchor component="button" type="button" className="link" onClick={() => setSelected(task.id)}>
                      {task.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <code>{task.exec.command ?? task.exec.argv?.join(' ')}</code>
                  </Table.Td>
                  <Table.Td>
                    {task.schedule ? `${task.schedule} (${task.timezone ?? 'UTC'})` : t('list.onDemand')}
                    {!task.enabled && ` · ${t('list.disabled')}`}
                  </Table.Td>
                  <Table.Td className="hint next-run">
                    {next !== null ? t('list.next', { at: dateTime(next) }) : ''}
                  </Table.Td>
                  <Table.Td className="actions">
                    {operate && (
                      <Group gap="xs" wrap="nowrap">
                        <Button size="xs" onClick={() => run.mutate(task.id)}>
                          {t('list.runNow')}
                        </Button>
                        <Button size="xs" variant="default" onClick={() => setEditing(task)}>
                          {t('list.edit')}
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </ScrollTable>
      {selected && <RunHistory client={client} taskId={selected} />}
    </Stack>
  );
}

function TaskForm({ client, task, onDone }: { client: Client; task: Task | null; onDone: () => void }) {
  const { t } = useTranslation(['tasks', 'common']);
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
  const toggle = useCallback(
    (id: string) =>
      setNodeIds((current) => {
        const next = new Set(current);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    [],
  );
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
  const error = save.error ?? remove.error;
  return (
    <Paper withBorder p="md" component="form" className="task-form" onSubmit={submit} maw={1100}>
      <Stack gap="sm">
        <Title order={2} size="h4">
          {task ? t('form.editTitle', { name: task.name }) : t('form.newTitle')}
        </Title>
        <TextInput
          label={t('form.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          required
          // Both fields are needed and the browser says so on submit; no asterisk (it would join the label).
          withAsterisk={false}
        />
        <Textarea
          label={t('form.command')}
          autosize
          minRows={3}
          ff="monospace"
          value={command}
          onChange={(e) => setCommand(e.currentTarget.value)}
          required
          withAsterisk={false}
        />
        <NodePicker legend={t('form.targets')} nodes={nodes.data ?? NO_NODES} selected={nodeIds} onToggle={toggle} />
        <TextInput
          label={t('form.selector')}
          value={selector}
          placeholder="role=web, env=prod"
          onChange={(e) => setSelector(e.currentTarget.value)}
        />
        <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }}>
          <TextInput
            label={t('form.schedule')}
            value={schedule}
            placeholder="*/5 * * * *"
            onChange={(e) => setSchedule(e.currentTarget.value)}
            error={preview.error}
            errorProps={{ className: 'error' }}
          />
          <TextInput label={t('form.timezone')} value={timezone} onChange={(e) => setTimezone(e.currentTarget.value)} />
          <NumberInput
            label={t('form.timeout')}
            min={1}
            value={timeoutSec}
            onChange={(v) => setTimeoutSec(Number(v) || 1)}
          />
          <NumberInput
            label={t('form.deadline')}
            description={t('form.deadlineHint')}
            min={1}
            max={7 * 1_440}
            value={deadlineMin}
            onChange={(v) => setDeadlineMin(Number(v) || 1)}
          />
          <NumberInput
            label={t('form.concurrency')}
            min={1}
            value={concurrency}
            placeholder={t('form.concurrencyAll')}
            onChange={(v) => setConcurrency(v === '' ? '' : String(v))}
          />
          <Switch
            label={t('form.enabled')}
            checked={enabled}
            onChange={(e) => setEnabled(e.currentTarget.checked)}
            mt="xl"
          />
        </SimpleGrid>
        {!preview.error && preview.runs.length > 0 && (
          <Text size="sm" c="dimmed" className="hint next-runs">
            {t('form.nextRuns', { runs: preview.runs.map((d) => dateTime(d.getTime())).join(' · ') })}
          </Text>
        )}
        {error && (
          <Alert role="alert" color="red">
            {userMessage(error)}
          </Alert>
        )}
        <Group gap="sm">
          <Button type="submit" loading={save.isPending} disabled={Boolean(preview.error)}>
            {task ? t('form.save') : t('form.create')}
          </Button>
          <Button variant="default" onClick={onDone}>
            {t('common:dialogs.cancel')}
          </Button>
          {task && (
            <Button
              color="red"
              variant="light"
              onClick={async () => {
                const yes = await dialogs.confirm({
                  title: t('form.deleteTitle', { name: task.name }),
                  message: t('form.deleteMessage'),
                  confirmLabel: t('form.delete'),
                  danger: true,
                });
                if (yes) remove.mutate();
              }}
            >
              {t('form.delete')}
            </Button>
          )}
        </Group>
      </Stack>
    </Paper>
  );
}

function RunHistory({ client, taskId }: { client: Client; taskId: string }) {
  const { t } = useTranslation(['tasks', 'commands']);
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
      title: t('runs.cancelTitle'),
      message: t('runs.cancelMessage'),
      confirmLabel: t('runs.cancel'),
    });
    if (yes) cancel.mutate(r.id);
  };
  const countText = (status: string) =>
    status in STATUS_WORDS ? t(`commands:status.${status as keyof typeof STATUS_WORDS}`) : status;
  return (
    <Stack component="section" className="runs" aria-label={t('runs.region')} gap="sm">
      <Title order={2} size="h3">
        {t('runs.title')}
      </Title>
      {cancel.error && (
        <Alert role="alert" color="red">
          {userMessage(cancel.error)}
        </Alert>
      )}
      {runs.data?.length === 0 && <p className="empty">{t('runs.empty')}</p>}
      <ScrollTable label={t('runs.title')} minWidth={640}>
        <Table className="plain">
          <Table.Tbody>
            {(runs.data ?? []).map((r: Run) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  <Anchor
                    component="button"
                    type="button"
                    className="link"
                    aria-expanded={open === r.id}
                    onClick={() => setOpen(open === r.id ? null : r.id)}
                  >
                    {dateTime(r.createdAt)}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={r.status} /> ({t(`runs.trigger.${r.trigger}`)}
                  {r.launchedBy && r.trigger === 'manual' ? ` · ${r.launchedBy}` : ''})
                </Table.Td>
                <Table.Td className="hint">
                  {t('runs.counts', {
                    counts: Object.entries(r.counts)
                      .map(([k, v]) => `${v} ${countText(k)}`)
                      .join(', '),
                    total: r.total,
                  })}
                  {r.reason && <span className="run-reason"> · {r.reason}</span>}
                </Table.Td>
                <Table.Td>
                  {(r.status === 'running' || r.status === 'queued') && (
                    <Button
                      size="xs"
                      variant="light"
                      color="red"
                      disabled={cancel.isPending}
                      onClick={() => void askCancel(r)}
                    >
                      {t('runs.cancel')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
      {open && <RunDetail client={client} runId={open} />}
    </Stack>
  );
}

/** The command statuses a run counts (their words live in the commands namespace). */
const STATUS_WORDS = {
  pending: 1,
  dispatched: 1,
  running: 1,
  succeeded: 1,
  failed: 1,
  timed_out: 1,
  cancelled: 1,
  expired: 1,
  lost: 1,
} as const;

function RunDetail({ client, runId }: { client: Client; runId: string }) {
  const { t } = useTranslation('commands');
  // Follows its commands' status events (sync.ts).
  const run = useQuery({ queryKey: ['run', runId], queryFn: () => client.getRun({ id: runId }) });
  const nodes = useQuery(nodesQuery(client));
  const names = new Map((nodes.data ?? []).map((n) => [n.id, n.name]));
  return (
    <div className="outputs">
      {(run.data?.commands ?? []).map((c) => (
        <Paper withBorder component="article" key={c.id} className="output">
          <Group component="header" gap="xs" justify="space-between" wrap="nowrap">
            <Text fw={600} truncate>
              {names.get(c.nodeId) ?? t('list.removedNode')}
            </Text>
            <StatusBadge status={c.status} exitCode={c.exitCode} />
          </Group>
          <pre>
            {c.stdout}
            {c.stderr && <span className="stderr">{c.stderr}</span>}
          </pre>
        </Paper>
      ))}
    </div>
  );
}
