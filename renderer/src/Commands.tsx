// The command history: every command with who asked, what, when, its node, status, duration and exit
// code; filters (node, status, text, task run) and paging by cursor; live through the event hub
// (sync.ts patches rows by id and refetches lists for new commands). A command opens its fan-out —
// every command of the same enqueue — with streamed output, cancel and re-run.
import { useInfiniteQuery, useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useEffect, useMemo, useState } from 'react';
import { COMMAND_STATUSES, isTerminalStatus } from '../../main/contract/command-status';
import type { Client } from '../../main/contract/contract';
import { type CommandView, commandTextOf } from '../../main/contract/queue-schemas';
import { useNow } from './clock';
import { FollowedLog, MergedLines, TruncationNotice, waitingText } from './command-output';
import { useDialogs } from './dialogs';
import { latestError } from './errors';
import { ago } from './format';
import { liveClipped, type OutputChunk, textsOf, useLiveOutput } from './live-output';
import { nodesQuery } from './sync';

export interface CommandFilters {
  nodeId?: string;
  status?: CommandView['status'];
  q?: string;
  taskRunId?: string;
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
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function StatusCell({ command, node }: { command: CommandView; node: NodeLite | undefined }) {
  const waiting = waitingText(command, node);
  return (
    <>
      <span className={`badge ${command.status}`}>{command.status}</span>
      {command.truncated && <span className="hint"> ✂ cut</span>}
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
      <p role="alert" className="error">
        {list.error.message}
      </p>
    );
  }
  if (list.isPending) return <p className="hint">Loading commands…</p>;
  if (rows.length === 0) return <p className="empty">No commands match.</p>;
  return (
    <>
      <table className="plain commands-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Command</th>
            {showNode && <th>Node</th>}
            <th>Status</th>
            <th>Exit</th>
            <th>Duration</th>
            <th>Who</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr
              key={c.id}
              data-command-id={c.id}
              data-status={c.status}
              tabIndex={0}
              className="command-row"
              onClick={() => onOpen(c.id)}
              onKeyDown={(e) => open(e, c.id)}
            >
              <td title={new Date(c.createdAt).toLocaleString()}>{ago(c.createdAt, now)}</td>
              <td className="command-text">
                <code>{commandTextOf(c.exec)}</code>
              </td>
              {showNode && <td>{nodes.get(c.nodeId)?.name ?? c.nodeId}</td>}
              <td>
                <StatusCell command={c} node={nodes.get(c.nodeId)} />
              </td>
              <td>{c.exitCode ?? (c.signal ? c.signal : '—')}</td>
              <td>{seconds(c.durationMs)}</td>
              <td className="hint">{c.origin}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.hasNextPage && (
        <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'Older commands'}
        </button>
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
    <main className="commands">
      <h1>Commands</h1>
      <div className="toolbar">
        <label>
          Node{' '}
          <select value={nodeId} onChange={(e) => setNodeId(e.target.value)}>
            <option value="">All nodes</option>
            {(nodes.data ?? []).map((n) => (
              <option key={n.id} value={n.id}>
                {n.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any status</option>
            {COMMAND_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Command text <input type="search" value={text} maxLength={200} onChange={(e) => setText(e.target.value)} />
        </label>
        <label>
          Task run{' '}
          <input value={taskRunId} maxLength={64} placeholder="run_…" onChange={(e) => setTaskRunId(e.target.value)} />
        </label>
      </div>
      <CommandList client={client} filters={filters} onOpen={onOpen} />
    </main>
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
  const dialogs = useDialogs();
  const nodes = useNodeIndex(client);
  const [view, setView] = useState<'side' | 'merged'>('side');
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
  const nameOf = (nodeId: string) => nodes.get(nodeId)?.name ?? nodeId;

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
      title: one ? `Cancel the command on ${nameOf(one.nodeId)}?` : `Cancel ${targets.length} unfinished commands?`,
      message:
        running.length > 0
          ? `${running.length} already started: ${running.length === 1 ? 'its' : 'their'} processes get SIGTERM, then SIGKILL after 5 s. The others will not run.`
          : 'Not started yet: it will not run.',
      confirmLabel: one ? 'Cancel command' : 'Cancel commands',
      danger: true,
    });
    if (yes) cancel.mutate(targets);
  };
  const askRerun = async (first: CommandView) => {
    const targets = [...new Set(members.map((m) => m.nodeId))];
    const away = targets.filter((n) => nodes.get(n)?.status !== 'online').map(nameOf);
    const yes = await dialogs.confirm({
      title: `Run it again on ${targets.length} node${targets.length === 1 ? '' : 's'}?`,
      message: (
        <>
          <code>{commandTextOf(first.exec)}</code>
          {away.length > 0 && (
            <p>
              {away.join(', ')} {away.length === 1 ? 'is' : 'are'} not online: the command waits until the node
              connects, with no deadline (Run command offers one).
            </p>
          )}
        </>
      ),
      confirmLabel: 'Run again',
    });
    if (yes) rerun.mutate(first);
  };

  const first = members[0] ?? opened.data;
  const unfinished = members.filter((m) => !isTerminalStatus(m.status));
  const done = members.length - unfinished.length;
  const outputs = new Map(shown.map((m) => [m.id, outputOf(m, stored.get(m.id), live.get(m.id) ?? [])]));
  return (
    <main className="command-detail">
      <div className="row">
        <button type="button" onClick={onBack}>
          ← All commands
        </button>
        <h1>
          <code>{first ? commandTextOf(first.exec) : '…'}</code>
        </h1>
      </div>
      {first && (
        <p className="hint">
          {first.origin} · {new Date(first.createdAt).toLocaleString()} ·{' '}
          {members.length > 1 ? `fan-out of ${members.length} commands` : 'one node'}
          {first.taskRunId ? ` · task run ${first.taskRunId}` : ''}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      <div className="row">
        <p className="progress" aria-live="polite">
          {done} of {members.length} done
        </p>
        <button type="button" aria-pressed={view === 'side'} onClick={() => setView('side')}>
          Side by side
        </button>
        <button type="button" aria-pressed={view === 'merged'} onClick={() => setView('merged')}>
          Merged log
        </button>
        {unfinished.length > 0 && (
          <button type="button" className="danger" onClick={() => void askCancel(unfinished)}>
            {unfinished.length === 1 ? 'Cancel' : `Cancel ${unfinished.length} unfinished`}
          </button>
        )}
        {first && (
          <button type="button" onClick={() => void askRerun(first)} disabled={rerun.isPending}>
            Re-run
          </button>
        )}
      </div>
      {members.length > shown.length && (
        <p className="hint">
          Showing {shown.length} of {members.length}; filter the list by node for the others.
        </p>
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
    </main>
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
  const finished = isTerminalStatus(command.status);
  const waiting = waitingText(command, node);
  return (
    <article className={focused ? 'output focused' : 'output'} data-command-id={command.id}>
      <header>
        <strong>{node?.name ?? command.nodeId}</strong>{' '}
        <span className={`badge ${command.status}`}>
          {command.status}
          {command.exitCode !== null ? ` (exit ${command.exitCode})` : ''}
        </span>{' '}
        <span className="hint">{seconds(command.durationMs)}</span>
        {!finished && (
          <button type="button" className="link" onClick={onCancel}>
            Cancel
          </button>
        )}
      </header>
      {waiting && <p className="waiting">{waiting}</p>}
      <TruncationNotice command={command} />
      {command.error && <p className="hint">{command.error}</p>}
      {!finished && !waiting && output.chunks.length === 0 && (
        <p className="hint">
          Output appears here as it arrives; what it printed before this page opened is shown when it finishes.
        </p>
      )}
      {!output.stored && liveClipped(command.id) && (
        <p className="hint">Earlier output is left out here (the newest 200,000 characters are shown).</p>
      )}
      <FollowedLog content={output.stdout.length + output.stderr.length}>
        {output.stdout}
        {output.stderr && <span className="stderr">{output.stderr}</span>}
      </FollowedLog>
    </article>
  );
}
