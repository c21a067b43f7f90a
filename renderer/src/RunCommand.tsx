import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { isTerminalStatus } from '../../main/contract/command-status';
import type { AnyEvent, Client, OutputOf } from '../../main/contract/contract';
import { matchesLabelFilter } from '../../main/contract/labels';
import { FollowedLog, MergedLines, TruncationNotice } from './command-output';
import { nodesQuery } from './sync';
import type { Transport } from './transport';

type Command = OutputOf<'enqueueCommands'>['commands'][number];
type Live = { status: string; exitCode: number | null; stdout: string; stderr: string };
type CommandEvent = Extract<AnyEvent, { event: 'commandStatus' | 'commandOutput' }>;

const MAX_LIVE_CHARS = 200_000;
const MAX_MERGED_LINES = 5_000;
const MAX_EARLY_EVENTS = 1_000;

function withEvent(all: Record<string, Live>, event: CommandEvent): Record<string, Live> {
  const current = all[event.data.id];
  if (!current) return all;
  if (event.event === 'commandStatus') {
    const { status, exitCode } = event.data;
    return { ...all, [event.data.id]: { ...current, status, exitCode } };
  }
  const { stream, data } = event.data;
  return { ...all, [event.data.id]: { ...current, [stream]: (current[stream] + data).slice(-MAX_LIVE_CHARS) } };
}

export function RunCommand({
  client,
  transport,
  onOpenCommand,
  preselected = [],
}: {
  client: Client;
  transport: Transport;
  /** Opens a command (and its fan-out) on the Commands screen. */
  onOpenCommand?: (id: string) => void;
  /** Targets ticked when the screen opens ("Run a command on…" in the palette). */
  preselected?: readonly string[];
}) {
  const nodes = useQuery(nodesQuery(client));
  const [selected, setSelected] = useState<Set<string>>(() => new Set(preselected));
  const [text, setText] = useState('');
  const [timeoutSec, setTimeoutSec] = useState(300);
  const [commands, setCommands] = useState<Command[]>([]);
  const commandsRef = useRef<Set<string>>(new Set());
  const [live, setLive] = useState<Record<string, Live>>({});
  const [merged, setMerged] = useState<Array<{ nodeId: string; stream: string; text: string }>>([]);
  const [view, setView] = useState<'side' | 'merged'>('side');
  const [labelFilter, setLabelFilter] = useState('');
  /** Minutes an offline target may take to start it (empty: no deadline). */
  const [deadlineMin, setDeadlineMin] = useState('');
  /** Finished commands as stored: the truncation flag, the stored size and the output with its marker. */
  const [finals, setFinals] = useState<Record<string, Command>>({});

  // A fast command's output can arrive before the response that names it: keep recent events of
  // commands not (yet) ours and replay them once the enqueue answers.
  const early = useRef<CommandEvent[]>([]);

  const apply = useCallback(
    (events: CommandEvent[]) => {
      const ours = events.filter((e) => commandsRef.current.has(e.data.id));
      if (ours.length === 0) return;
      for (const e of ours) {
        if (e.event !== 'commandStatus' || !isTerminalStatus(e.data.status)) continue;
        const { id } = e.data;
        void client
          .getCommand({ id })
          .then((stored) => {
            if (commandsRef.current.has(id)) setFinals((all) => ({ ...all, [id]: stored }));
          })
          .catch(() => undefined);
      }
      setLive((all) => ours.reduce(withEvent, all));
      const lines = ours.flatMap((e) =>
        e.event === 'commandOutput'
          ? e.data.data.split(/(?<=\n)/).map((text) => ({ nodeId: e.data.nodeId, stream: e.data.stream, text }))
          : [],
      );
      if (lines.length > 0) setMerged((all) => all.concat(lines).slice(-MAX_MERGED_LINES));
    },
    [client],
  );

  useEffect(
    () =>
      transport.subscribe((message) => {
        if (message.event !== 'commandStatus' && message.event !== 'commandOutput') return;
        if (commandsRef.current.has(message.data.id)) apply([message]);
        else early.current = [...early.current, message].slice(-MAX_EARLY_EVENTS);
      }),
    [transport, apply],
  );

  const run = useMutation({
    mutationFn: () =>
      client.enqueueCommands({
        nodeIds: [...selected],
        exec: { command: text },
        timeoutSec,
        ...(offline.length > 0 && deadlineSec !== null ? { deadlineSec } : {}),
      }),
    onSuccess: ({ commands: created }) => {
      commandsRef.current = new Set(created.map((c) => c.id));
      setMerged([]);
      setFinals({});
      setCommands(created);
      setLive(
        Object.fromEntries(created.map((c) => [c.id, { status: c.status, exitCode: null, stdout: '', stderr: '' }])),
      );
      const replay = early.current.filter((e) => commandsRef.current.has(e.data.id));
      early.current = early.current.filter((e) => !commandsRef.current.has(e.data.id));
      apply(replay);
    },
  });
  const cancelAll = () => {
    for (const c of commands)
      if (!isTerminalStatus(live[c.id]?.status ?? '')) void client.cancelCommand({ id: c.id }).catch(() => undefined);
  };
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (text.trim() && selected.size > 0) run.mutate();
  };
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const done = commands.filter((c) => isTerminalStatus(live[c.id]?.status ?? '')).length;
  const failed = commands.filter((c) => {
    const status = live[c.id]?.status;
    return status !== undefined && isTerminalStatus(status) && status !== 'succeeded';
  }).length;
  const nameOf = (id: string) => nodes.data?.find((n) => n.id === id)?.name ?? id;
  // Targets that are not connected: their command waits for them, so say so before it is queued.
  const offline = (nodes.data ?? []).filter((n) => selected.has(n.id) && n.status !== 'online');
  const deadlineSec = deadlineMin.trim() === '' ? null : Math.round(Number(deadlineMin) * 60);
  const deadlineProblem =
    deadlineSec !== null && !(deadlineSec >= 60 && deadlineSec <= 30 * 86_400)
      ? 'a deadline is 1 minute to 30 days'
      : null;

  return (
    <section className="run-command">
      <form onSubmit={submit}>
        <div className="row">
          <label>
            Select by label{' '}
            <input
              value={labelFilter}
              placeholder="role=web, env=prod"
              onChange={(e) => setLabelFilter(e.target.value)}
            />
          </label>
          <button
            type="button"
            onClick={() =>
              setSelected(
                new Set((nodes.data ?? []).filter((n) => matchesLabelFilter(labelFilter, n.labels)).map((n) => n.id)),
              )
            }
          >
            Select matching
          </button>
        </div>
        <fieldset className="node-picker">
          <legend>Nodes</legend>
          {(nodes.data ?? []).map((node) => (
            <label key={node.id} className={node.status}>
              <input type="checkbox" checked={selected.has(node.id)} onChange={() => toggle(node.id)} />
              {node.name}
            </label>
          ))}
        </fieldset>
        <label htmlFor="command-text">Command</label>
        <textarea
          id="command-text"
          rows={3}
          placeholder="uptime"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit();
          }}
        />
        <div className="row">
          <label>
            Timeout (s){' '}
            <input type="number" min={1} value={timeoutSec} onChange={(e) => setTimeoutSec(Number(e.target.value))} />
          </label>
          <button
            type="submit"
            disabled={!text.trim() || selected.size === 0 || run.isPending || deadlineProblem !== null}
          >
            Run on {selected.size} node{selected.size === 1 ? '' : 's'} (Ctrl+Enter)
          </button>
          {commands.length > 0 && done < commands.length && (
            <button type="button" onClick={cancelAll}>
              Cancel
            </button>
          )}
        </div>
        {offline.length > 0 && (
          <div className="offline-warning" role="status">
            <p>
              {offline.map((n) => n.name).join(', ')} {offline.length === 1 ? 'is' : 'are'} not online: the command
              waits on the master and runs when the node connects.
            </p>
            <label>
              Give up if not started within (minutes){' '}
              <input
                type="number"
                min={1}
                max={43_200}
                value={deadlineMin}
                placeholder="no deadline"
                onChange={(e) => setDeadlineMin(e.target.value)}
              />
            </label>{' '}
            <span className={deadlineProblem ? 'error' : 'hint'}>
              {deadlineProblem ??
                (deadlineSec === null
                  ? 'No deadline: it runs whenever the node connects, even hours later.'
                  : 'Not started by then: it ends expired.')}
            </span>
          </div>
        )}
        {run.error && (
          <p role="alert" className="error">
            {run.error.message}
          </p>
        )}
      </form>
      {commands.length > 0 && (
        <div className="row">
          <p className="progress" aria-live="polite">
            {done} of {commands.length} done{failed > 0 ? `, ${failed} not succeeded` : ''}
          </p>
          <button type="button" aria-pressed={view === 'side'} onClick={() => setView('side')}>
            Side by side
          </button>
          <button type="button" aria-pressed={view === 'merged'} onClick={() => setView('merged')}>
            Merged log
          </button>
          {onOpenCommand && commands[0] && (
            <button type="button" className="link" onClick={() => onOpenCommand(commands[0]?.id as string)}>
              Open in Commands
            </button>
          )}
        </div>
      )}
      {/* One view at a time: the merged log replaces the panes (a hidden attribute lost to .outputs' display). */}
      {view === 'merged' ? (
        <>
          {commands.map((c) => {
            const final = finals[c.id];
            return final && <TruncationNotice key={c.id} command={final} who={nameOf(c.nodeId)} />;
          })}
          <MergedLines lines={merged} nameOf={nameOf} />
        </>
      ) : (
        <div className="outputs">
          {commands.map((c) => {
            const state = live[c.id];
            const final = finals[c.id];
            // Finished: the stored output, which ends with the agent's truncation marker when it was cut.
            const stdout = final?.stdout ?? state?.stdout;
            const stderr = final?.stderr ?? state?.stderr;
            return (
              <article key={c.id} className="output" data-command-id={c.id}>
                <header>
                  <strong>{nameOf(c.nodeId)}</strong>{' '}
                  <span className={`badge ${state?.status}`}>
                    {state?.status}
                    {state?.exitCode !== null && state?.exitCode !== undefined ? ` (exit ${state.exitCode})` : ''}
                  </span>
                </header>
                {final && <TruncationNotice command={final} />}
                <FollowedLog content={(stdout?.length ?? 0) + (stderr?.length ?? 0)}>
                  {stdout}
                  {stderr && <span className="stderr">{stderr}</span>}
                </FollowedLog>
              </article>
            );
          })}
        </div>
      )}
    </section>
  );
}
