import { Alert, Button, Group, NumberInput, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isTerminalStatus } from '../../../main/contract/command-status';
import type { AnyEvent, Client, OutputOf } from '../../../main/contract/contract';
import { matchesLabelFilter } from '../../../main/contract/labels';
import { userMessage } from '../errors';
import { type PaletteAction, Shortcut, usePaletteActions } from '../shell/palette';
import { nodesQuery } from '../sync';
import type { Transport } from '../transport';
import { MergedLines, OutputPane, SegmentedView, TruncationNotice } from './command-output';
import { NodePicker } from './NodePicker';

type Command = OutputOf<'enqueueCommands'>['commands'][number];
type Live = { status: string; exitCode: number | null; stdout: string; stderr: string };
type CommandEvent = Extract<AnyEvent, { event: 'commandStatus' | 'commandOutput' }>;

const MAX_LIVE_CHARS = 200_000;
const NO_NODES: never[] = [];
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
  const { t } = useTranslation(['commands', 'common']);
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
  const latestSubmit = useRef(submit);
  latestSubmit.current = submit;
  usePaletteActions(
    useMemo<PaletteAction[]>(
      () => [
        {
          id: 'run:submit',
          group: t('common:palette.groups.actions'),
          label: t('palette.run'),
          // The command field's own Ctrl/Cmd+Enter: listed, not bound over every other field.
          shortcut: 'mod+enter',
          listedOnly: true,
          run: () => latestSubmit.current(),
        },
      ],
      [t],
    ),
  );
  const toggle = useCallback(
    (id: string) =>
      setSelected((s) => {
        const next = new Set(s);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    [],
  );

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
    deadlineSec !== null && !(deadlineSec >= 60 && deadlineSec <= 30 * 86_400) ? t('run.deadlineRange') : null;
  const allNodes = nodes.data ?? NO_NODES;

  return (
    <Stack className="run-command" gap="md">
      <Title order={1} size="h2">
        {t('common:nav.run')}
      </Title>
      <form onSubmit={submit}>
        <Stack gap="sm" maw={960}>
          <Group align="flex-end" gap="sm">
            <TextInput
              label={t('run.byLabel')}
              value={labelFilter}
              placeholder="role=web, env=prod"
              onChange={(e) => setLabelFilter(e.currentTarget.value)}
              style={{ flex: '1 1 16rem' }}
            />
            <Button
              variant="default"
              onClick={() =>
                setSelected(new Set(allNodes.filter((n) => matchesLabelFilter(labelFilter, n.labels)).map((n) => n.id)))
              }
            >
              {t('run.selectMatching')}
            </Button>
          </Group>
          <NodePicker legend={t('run.nodes')} nodes={allNodes} selected={selected} onToggle={toggle} />
          <Textarea
            id="command-text"
            label={t('run.command')}
            description={t('run.commandHint')}
            autosize
            minRows={3}
            maxRows={12}
            placeholder="uptime"
            ff="monospace"
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit();
            }}
          />
          <Group align="flex-end" gap="sm">
            <NumberInput
              label={t('run.timeout')}
              min={1}
              w={140}
              value={timeoutSec}
              onChange={(value) => setTimeoutSec(Number(value) || 1)}
            />
            <Button
              type="submit"
              loading={run.isPending}
              disabled={!text.trim() || selected.size === 0 || deadlineProblem !== null}
              rightSection={<Shortcut keys="mod+enter" />}
            >
              {t('run.submit', { count: selected.size })}
            </Button>
            {commands.length > 0 && done < commands.length && (
              <Button variant="default" color="red" onClick={cancelAll}>
                {t('common:dialogs.cancel')}
              </Button>
            )}
          </Group>
          {offline.length > 0 && (
            <Alert className="offline-warning" role="status" color="yellow" variant="light">
              <Stack gap="xs">
                <Text size="sm">
                  {t('run.offline', { count: offline.length, names: offline.map((n) => n.name).join(', ') })}
                </Text>
                <NumberInput
                  label={t('run.deadline')}
                  min={1}
                  max={43_200}
                  w={{ base: '100%', sm: 320 }}
                  value={deadlineMin}
                  placeholder={t('run.noDeadline')}
                  onChange={(value) => setDeadlineMin(value === '' ? '' : String(value))}
                  error={deadlineProblem}
                />
                {!deadlineProblem && (
                  <Text size="sm" c="dimmed">
                    {deadlineSec === null ? t('run.noDeadlineHint') : t('run.deadlineHint')}
                  </Text>
                )}
              </Stack>
            </Alert>
          )}
          {run.error && (
            <Alert role="alert" color="red">
              {userMessage(run.error)}
            </Alert>
          )}
        </Stack>
      </form>
      {commands.length > 0 && (
        <Group gap="sm">
          <Text className="progress" aria-live="polite">
            {failed > 0
              ? t('run.progressFailed', { done, total: commands.length, failed })
              : t('run.progress', { done, total: commands.length })}
          </Text>
          <SegmentedView view={view} onChange={setView} />
          {onOpenCommand && commands[0] && (
            <Button variant="subtle" onClick={() => onOpenCommand(commands[0]?.id as string)}>
              {t('run.openInCommands')}
            </Button>
          )}
        </Group>
      )}
      {/* One view at a time: the merged log replaces the panes. */}
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
              <OutputPane
                key={c.id}
                commandId={c.id}
                name={nameOf(c.nodeId)}
                status={state?.status}
                exitCode={state?.exitCode ?? null}
                notice={final && <TruncationNotice command={final} />}
                content={(stdout?.length ?? 0) + (stderr?.length ?? 0)}
              >
                {stdout}
                {stderr && <span className="stderr">{stderr}</span>}
              </OutputPane>
            );
          })}
        </div>
      )}
    </Stack>
  );
}
