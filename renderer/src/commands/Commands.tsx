// The command history: every command with who asked, what, when, its node, status, duration and exit
// code; filters (node, status, text, task run) and paging by cursor; live through the event hub
// (sync.ts patches rows by id and refetches lists for new commands). A command opens its fan-out —
// every command of the same enqueue — with streamed output, cancel and re-run.
import {
  Alert,
  Anchor,
  Button,
  Code,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconArrowLeft, IconSearch } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { COMMAND_STATUSES, isTerminalStatus } from '../../../main/contract/command-status';
import type { Client } from '../../../main/contract/contract';
import { type CommandView, commandTextOf } from '../../../main/contract/queue-schemas';
import { useAccess } from '../access';
import { useNow } from '../clock';
import { useDialogs } from '../dialogs';
import { latestError, userMessage } from '../errors';
import { ago, dateTime, number } from '../format';
import { i18n } from '../i18n';
import { liveClipped, type OutputChunk, textsOf, useLiveOutput } from '../live-output';
import { ScrollTable } from '../shell/ScrollTable';
import { nodesQuery } from '../sync';
import {
  FollowedLog,
  MergedLines,
  type OutputView,
  SegmentedView,
  StatusBadge,
  TruncationNotice,
  waitingText,
} from './command-output';

export interface CommandFilters {
  nodeId?: string;
  status?: CommandView['status'];
  q?: string;
  taskRunId?: string;
}

/** Who launched it (the audit log's caller name) and, for a task's command, which task. */
function whoOf(c: CommandView): string {
  if (!c.launchedBy) return c.origin;
  return c.taskRunId ? `${c.launchedBy} · ${c.origin}` : c.launchedBy;
}

const PAGE = 50;
/** A fan-out shows this many output panes; its other commands are reached by filtering the list. */
const MAX_PANES = 100;
const MAX_MERGED_LINES = 5_000;

type NodeLite = { id: string; name: string; status: string };

function useNodeIndex(client: Client): Map<string, NodeLite> {
  const nodes = useQuery(nodesQuery(client));
  return useMemo(() => new Map((nodes.data ?? []).map((n) => [n.id, n])), [nodes.data]);
}

function seconds(ms: number | null): string {
  if (ms === null) return '—';
  return i18n.t('commands:seconds', { value: ms < 10_000 ? number(ms / 1000, 1) : number(Math.round(ms / 1000)) });
}

function StatusCell({ command, node }: { command: CommandView; node: NodeLite | undefined }) {
  const { t } = useTranslation('commands');
  const waiting = waitingText(command, node);
  return (
    <>
      <StatusBadge status={command.status} />
      {command.truncated && <span className="hint"> ✂ {t('list.cut')}</span>}
      {waiting && <div className="waiting">{waiting}</div>}
    </>
  );
}

/** A paged, live list of commands (the Commands screen and a node's page share it). */
export function CommandList({
  client,
  filters,
  onOpen,
  pageSize = PAGE,
  showNode = true,
}: {
  client: Client;
  filters: CommandFilters;
  onOpen: (id: string) => void;
  pageSize?: number;
  showNode?: boolean;
}) {
  const { t } = useTranslation('commands');
  const nodes = useNodeIndex(client);
  const now = useNow();
  const list = useInfiniteQuery({
    queryKey: ['commands', 'list', filters, pageSize],
    queryFn: ({ pageParam }) => client.listCommands({ ...filters, limit: pageSize, before: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.length === pageSize ? last.at(-1)?.id : undefined),
  });
  const rows = list.data?.pages.flat() ?? [];
  const open = (event: KeyboardEvent, id: string) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      onOpen(id);
    }
  };
  if (list.error) {
    return (
      <Alert role="alert" color="red">
        {userMessage(list.error)}
      </Alert>
    );
  }
  if (list.isPending) return <p className="hint">{t('list.loading')}</p>;
  if (rows.length === 0) return <p className="empty">{t('list.empty')}</p>;
  return (
    <>
      <ScrollTable label={t('list.region')} minWidth={760}>
        <Table className="plain commands-table" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('list.when')}</Table.Th>
              <Table.Th>{t('list.command')}</Table.Th>
              {showNode && <Table.Th>{t('list.node')}</Table.Th>}
              <Table.Th>{t('list.status')}</Table.Th>
              <Table.Th>{t('list.exit')}</Table.Th>
              <Table.Th>{t('list.duration')}</Table.Th>
              <Table.Th>{t('list.who')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr
                key={c.id}
                data-command-id={c.id}
                data-status={c.status}
                tabIndex={0}
                className="command-row"
                onClick={() => onOpen(c.id)}
                onKeyDown={(e) => open(e, c.id)}
              >
                <Table.Td title={dateTime(c.createdAt)}>{ago(c.createdAt, now)}</Table.Td>
                <Table.Td className="command-text">
                  <code>{commandTextOf(c.exec)}</code>
                </Table.Td>
                {showNode && <Table.Td>{nodes.get(c.nodeId)?.name ?? t('list.removedNode')}</Table.Td>}
                <Table.Td>
                  <StatusCell command={c} node={nodes.get(c.nodeId)} />
                </Table.Td>
                <Table.Td>{c.exitCode ?? (c.signal ? c.signal : '—')}</Table.Td>
                <Table.Td>{seconds(c.durationMs)}</Table.Td>
                <Table.Td className="hint" data-launched-by={c.launchedBy ?? ''}>
                  {whoOf(c)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
      {list.hasNextPage && (
        <Button variant="default" mt="sm" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
          {t('list.older')}
        </Button>
      )}
    </>
  );
}

/** The text filter goes to the server once typing pauses. */
function useDebounced(value: string, ms = 300): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function Commands({
  client,
  openId,
  onOpen,
  onClose,
}: {
  client: Client;
  openId: string | null;
  onOpen: (id: string) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation(['commands', 'common']);
  const nodes = useQuery(nodesQuery(client));
  const [nodeId, setNodeId] = useState('');
  const [status, setStatus] = useState('');
  const [text, setText] = useState('');
  const [taskRunId, setTaskRunId] = useState('');
  const q = useDebounced(text.trim());
  const run = useDebounced(taskRunId.trim());
  const filters: CommandFilters = {
    ...(nodeId ? { nodeId } : {}),
    ...(status ? { status: status as CommandView['status'] } : {}),
    ...(q ? { q } : {}),
    ...(run ? { taskRunId: run } : {}),
  };
  if (openId) return <CommandDetail client={client} id={openId} onBack={onClose} onOpen={onOpen} />;
  return (
    <Stack className="commands" gap="md">
      <Title order={1} size="h2">
        {t('common:nav.commands')}
      </Title>
      <Group className="toolbar" gap="sm" align="flex-end">
        <NativeSelect
          label={t('filters.node')}
          value={nodeId}
          onChange={(e) => setNodeId(e.currentTarget.value)}
          data={[
            { value: '', label: t('filters.allNodes') },
            ...(nodes.data ?? []).map((n) => ({ value: n.id, label: n.name })),
          ]}
        />
        <NativeSelect
          label={t('filters.status')}
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value)}
          data={[
            { value: '', label: t('filters.anyStatus') },
            ...COMMAND_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
          ]}
        />
        <TextInput
          type="search"
          label={t('filters.text')}
          value={text}
          maxLength={200}
          leftSection={<IconSearch size={16} stroke={1.5} />}
          onChange={(e) => setText(e.currentTarget.value)}
        />
        <TextInput
          label={t('filters.taskRun')}
          value={taskRunId}
          maxLength={64}
          placeholder="run_…"
          onChange={(e) => setTaskRunId(e.currentTarget.value)}
        />
      </Group>
      <CommandList client={client} filters={filters} onOpen={onOpen} />
    </Stack>
  );
}

/** Lines of a merged log: every chunk split at newlines, each tagged with its node. */
function mergedLines(chunks: Array<OutputChunk & { nodeId: string }>) {
  const sorted = [...chunks].sort((a, b) => a.at - b.at || a.seq - b.seq);
  const lines = sorted.flatMap((c) =>
    c.data.split(/(?<=\n)/).map((text) => ({ nodeId: c.nodeId, stream: c.stream, text })),
  );
  return lines.slice(-MAX_MERGED_LINES);
}

/** What a pane shows: the stored output once the command finished, the live output until then. */
function outputOf(member: CommandView, stored: CommandView | undefined, live: readonly OutputChunk[]) {
  if (isTerminalStatus(member.status) && stored && stored.stdout !== null) {
    const at = stored.finishedAt ?? stored.createdAt;
    return {
      stdout: stored.stdout ?? '',
      stderr: stored.stderr ?? '',
      chunks: [
        { seq: 0, at, stream: 'stdout' as const, data: stored.stdout ?? '' },
        { seq: 1, at, stream: 'stderr' as const, data: stored.stderr ?? '' },
      ].filter((c) => c.data),
      stored: true,
    };
  }
  return { ...textsOf(live), chunks: [...live], stored: false };
}

function CommandDetail({
  client,
  id,
  onBack,
  onOpen,
}: {
  client: Client;
  id: string;
  onBack: () => void;
  onOpen: (id: string) => void;
}) {
  const { t } = useTranslation(['commands', 'common']);
  const dialogs = useDialogs();
  const nodes = useNodeIndex(client);
  // Cancel and run again are an operator's (the master refuses them to a viewer anyway).
  const operate = useAccess().may('operator');
  const [view, setView] = useState<OutputView>('side');
  const opened = useQuery({ queryKey: ['command', id], queryFn: () => client.getCommand({ id }) });
  const batchId = opened.data?.batchId ?? null;
  const batch = useQuery({
    queryKey: ['commands', 'batch', batchId],
    queryFn: () => client.listCommands({ batchId: batchId as string, limit: 1000 }),
    enabled: batchId !== null,
  });
  const members = useMemo(() => {
    const rows = batch.data ?? (opened.data ? [opened.data] : []);
    return [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
  }, [batch.data, opened.data]);
  const shown = members.slice(0, MAX_PANES);
  const live = useLiveOutput(shown.map((m) => m.id));
  // List rows carry no output: a finished command's stored output is fetched once (and again on its
  // terminal event, sync.ts).
  const storedQueries = useQueries({
    queries: shown.map((m) => ({
      queryKey: ['command', m.id],
      queryFn: () => client.getCommand({ id: m.id }),
      enabled: isTerminalStatus(m.status),
    })),
  });
  const stored = new Map(shown.map((m, i) => [m.id, storedQueries[i]?.data]));
  const nameOf = (nodeId: string) => nodes.get(nodeId)?.name ?? t('list.removedNode');

  const cancel = useMutation({
    mutationFn: async (targets: CommandView[]) => {
      for (const c of targets) await client.cancelCommand({ id: c.id });
    },
  });
  const rerun = useMutation({
    mutationFn: (first: CommandView) =>
      client.enqueueCommands({
        nodeIds: [...new Set(members.map((m) => m.nodeId))],
        exec: first.exec,
        timeoutSec: Math.max(1, Math.round(first.timeoutMs / 1000)),
        outputLimitBytes: first.outputLimitBytes,
      }),
    onSuccess: ({ commands }) => {
      const next = commands[0];
      if (next) onOpen(next.id);
    },
  });
  const error = latestError([cancel, rerun]) ?? opened.error ?? batch.error;

  const askCancel = async (targets: CommandView[]) => {
    const running = targets.filter((c) => c.status === 'running' || c.status === 'dispatched');
    const one = targets.length === 1 ? targets[0] : undefined;
    const yes = await dialogs.confirm({
      title: one
        ? t('cancel.titleOne', { name: nameOf(one.nodeId) })
        : t('cancel.titleMany', { count: targets.length }),
      message: running.length > 0 ? t('cancel.running', { count: running.length }) : t('cancel.notStarted'),
      confirmLabel: one ? t('cancel.confirmOne') : t('cancel.confirmMany'),
      danger: true,
    });
    if (yes) cancel.mutate(targets);
  };
  const askRerun = async (first: CommandView) => {
    const targets = [...new Set(members.map((m) => m.nodeId))];
    const away = targets.filter((n) => nodes.get(n)?.status !== 'online').map(nameOf);
    const yes = await dialogs.confirm({
      title: t('rerun.title', { count: targets.length }),
      message: (
        <>
          <Code block>{commandTextOf(first.exec)}</Code>
          {away.length > 0 && <p>{t('rerun.offline', { count: away.length, names: away.join(', ') })}</p>}
        </>
      ),
      confirmLabel: t('rerun.confirm'),
    });
    if (yes) rerun.mutate(first);
  };

  const first = members[0] ?? opened.data;
  const unfinished = members.filter((m) => !isTerminalStatus(m.status));
  const done = members.length - unfinished.length;
  const outputs = new Map(shown.map((m) => [m.id, outputOf(m, stored.get(m.id), live.get(m.id) ?? [])]));
  return (
    <Stack className="command-detail" gap="sm">
      <Group gap="sm" wrap="nowrap">
        <Button variant="subtle" leftSection={<IconArrowLeft size={16} />} onClick={onBack}>
          {t('detail.back')}
        </Button>
        <Title order={1} size="h3" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
          <code>{first ? commandTextOf(first.exec) : '…'}</code>
        </Title>
      </Group>
      {first && (
        <Text size="sm" c="dimmed">
          {whoOf(first)} · {dateTime(first.createdAt)} ·{' '}
          {members.length > 1 ? t('detail.fanOut', { count: members.length }) : t('detail.oneNode')}
          {first.taskRunId ? ` · ${t('detail.taskRun', { id: first.taskRunId })}` : ''}
        </Text>
      )}
      {error && (
        <Alert role="alert" color="red">
          {userMessage(error)}
        </Alert>
      )}
      <Group className="row" gap="sm">
        <Text className="progress" aria-live="polite">
          {t('detail.progress', { done, total: members.length })}
        </Text>
        <SegmentedView view={view} onChange={setView} />
        {operate && unfinished.length > 0 && (
          <Button color="red" variant="light" onClick={() => void askCancel(unfinished)}>
            {unfinished.length === 1
              ? t('common:dialogs.cancel')
              : t('detail.cancelMany', { count: unfinished.length })}
          </Button>
        )}
        {operate && first && (
          <Button variant="default" onClick={() => void askRerun(first)} loading={rerun.isPending}>
            {t('detail.rerun')}
          </Button>
        )}
      </Group>
      {members.length > shown.length && (
        <Text size="sm" c="dimmed">
          {t('detail.partial', { shown: shown.length, total: members.length })}
        </Text>
      )}
      {view === 'merged' ? (
        <MergedLog members={shown} outputs={outputs} nameOf={nameOf} />
      ) : (
        <div className="outputs">
          {shown.map((m) => (
            <CommandPane
              key={m.id}
              command={stored.get(m.id) ?? m}
              output={outputs.get(m.id) ?? outputOf(m, undefined, [])}
              focused={m.id === id}
              node={nodes.get(m.nodeId)}
              onCancel={() => void askCancel([m])}
            />
          ))}
        </div>
      )}
    </Stack>
  );
}

function MergedLog({
  members,
  outputs,
  nameOf,
}: {
  members: CommandView[];
  outputs: Map<string, ReturnType<typeof outputOf>>;
  nameOf: (nodeId: string) => string;
}) {
  const lines = mergedLines(
    members.flatMap((m) => (outputs.get(m.id)?.chunks ?? []).map((c) => ({ ...c, nodeId: m.nodeId }))),
  );
  return (
    <>
      {members.map((m) => (
        <TruncationNotice key={m.id} command={m} who={nameOf(m.nodeId)} />
      ))}
      <MergedLines lines={lines} nameOf={nameOf} />
    </>
  );
}

/** One command of a fan-out: status, times, output (stored once finished, live until then). */
function CommandPane({
  command,
  output,
  focused,
  node,
  onCancel,
}: {
  command: CommandView;
  output: ReturnType<typeof outputOf>;
  focused: boolean;
  node: NodeLite | undefined;
  onCancel: () => void;
}) {
  const { t } = useTranslation('commands');
  const finished = isTerminalStatus(command.status);
  const waiting = waitingText(command, node);
  const name = node?.name ?? t('list.removedNode');
  return (
    <Paper
      withBorder
      component="article"
      className={focused ? 'output focused' : 'output'}
      data-command-id={command.id}
    >
      <Group component="header" gap="xs" justify="space-between" wrap="nowrap">
        <Text fw={600} truncate>
          {name}
        </Text>
        <Group gap="xs" wrap="nowrap">
          <StatusBadge status={command.status} exitCode={command.exitCode} />
          <span className="hint">{seconds(command.durationMs)}</span>
          {!finished && (
            <Anchor component="button" type="button" size="sm" c="red" onClick={onCancel}>
              {t('detail.cancelOne')}
            </Anchor>
          )}
        </Group>
      </Group>
      {waiting && <p className="waiting">{waiting}</p>}
      <TruncationNotice command={command} />
      {command.error && <p className="hint">{command.error}</p>}
      {!finished && !waiting && output.chunks.length === 0 && <p className="hint">{t('detail.outputSoon')}</p>}
      {!output.stored && liveClipped(command.id) && <p className="hint">{t('detail.clipped')}</p>}
      <FollowedLog content={output.stdout.length + output.stderr.length} label={name}>
        {output.stdout}
        {output.stderr && <span className="stderr">{output.stderr}</span>}
      </FollowedLog>
    </Paper>
  );
}
