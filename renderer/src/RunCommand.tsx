import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import type { Client, OutputOf } from '../../main/contract/contract';
import type { Transport } from './transport';

type Command = OutputOf<'enqueueCommands'>['commands'][number];
type Live = { status: string; exitCode: number | null; stdout: string; stderr: string };

const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'expired', 'lost']);
const MAX_LIVE_CHARS = 200_000;

export function RunCommand({ client, transport }: { client: Client; transport: Transport }) {
  const nodes = useQuery({ queryKey: ['nodes'], queryFn: () => client.listNodes({}) });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [text, setText] = useState('');
  const [timeoutSec, setTimeoutSec] = useState(300);
  const [commands, setCommands] = useState<Command[]>([]);
  const [live, setLive] = useState<Record<string, Live>>({});

  useEffect(
    () =>
      transport.subscribe((message) => {
        if (message.event === 'commandStatus') {
          const { id, status, exitCode } = message.data;
          setLive((all) => (all[id] ? { ...all, [id]: { ...all[id], status, exitCode } } : all));
        } else if (message.event === 'commandOutput') {
          const { id, stream, data } = message.data;
          setLive((all) => {
            const current = all[id];
            if (!current) return all;
            return { ...all, [id]: { ...current, [stream]: (current[stream] + data).slice(-MAX_LIVE_CHARS) } };
          });
        }
      }),
    [transport],
  );

  const run = useMutation({
    mutationFn: () => client.enqueueCommands({ nodeIds: [...selected], exec: { command: text }, timeoutSec }),
    onSuccess: ({ commands: created }) => {
      setCommands(created);
      setLive(
        Object.fromEntries(created.map((c) => [c.id, { status: c.status, exitCode: null, stdout: '', stderr: '' }])),
      );
    },
  });
  const cancelAll = () => {
    for (const c of commands)
      if (!TERMINAL.has(live[c.id]?.status ?? '')) void client.cancelCommand({ id: c.id }).catch(() => undefined);
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

  const done = commands.filter((c) => TERMINAL.has(live[c.id]?.status ?? '')).length;
  const failed = commands.filter((c) => {
    const status = live[c.id]?.status;
    return status !== undefined && TERMINAL.has(status) && status !== 'succeeded';
  }).length;
  const nameOf = (id: string) => nodes.data?.find((n) => n.id === id)?.name ?? id;

  return (
    <section className="run-command">
      <form onSubmit={submit}>
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
          <button type="submit" disabled={!text.trim() || selected.size === 0 || run.isPending}>
            Run on {selected.size} node{selected.size === 1 ? '' : 's'} (Ctrl+Enter)
          </button>
          {commands.length > 0 && done < commands.length && (
            <button type="button" onClick={cancelAll}>
              Cancel
            </button>
          )}
        </div>
        {run.error && (
          <p role="alert" className="error">
            {run.error.message}
          </p>
        )}
      </form>
      {commands.length > 0 && (
        <p className="progress" aria-live="polite">
          {done} of {commands.length} done{failed > 0 ? `, ${failed} not succeeded` : ''}
        </p>
      )}
      <div className="outputs">
        {commands.map((c) => {
          const state = live[c.id];
          return (
            <article key={c.id} className="output" data-command-id={c.id}>
              <header>
                <strong>{nameOf(c.nodeId)}</strong>{' '}
                <span className={`badge ${state?.status}`}>
                  {state?.status}
                  {state?.exitCode !== null && state?.exitCode !== undefined ? ` (exit ${state.exitCode})` : ''}
                </span>
              </header>
              <pre>
                {state?.stdout}
                {state?.stderr && <span className="stderr">{state.stderr}</span>}
              </pre>
            </article>
          );
        })}
      </div>
    </section>
  );
}
