// Pieces every view of a command's output shares: a log that follows new output unless the user
// scrolled up, the notice that output was cut at its cap (the agent stops collecting there, so a
// "succeeded" command's output may end mid-line), what a command that waits for its node says, a
// status badge, one node's output pane and the side-by-side / merged switch.
import { Button, Group, Paper, Text } from '@mantine/core';
import { type ReactNode, useLayoutEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { CommandStatus } from '../../../main/contract/command-status';
import type { CommandView } from '../../../main/contract/queue-schemas';
import { dateTime, number } from '../format';
import { i18n } from '../i18n';
import { COMMAND_STATUS_TONE, ToneBadge } from '../theme/status-badge';

/** Within this many pixels of the end counts as "at the end": following. */
const AT_END_PX = 8;

/**
 * A scrolling <pre> that stays at its end as output arrives, unless the user scrolled away from the
 * end; scrolling back to the end follows again. `content` is what changes when output arrives.
 */
export function FollowedLog({
  content,
  children,
  className,
  label,
}: {
  content: unknown;
  children: ReactNode;
  className?: string;
  label?: string;
}) {
  const ref = useRef<HTMLPreElement>(null);
  const following = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the content changes
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [content]);
  return (
    <pre
      ref={ref}
      className={className}
      role="log"
      aria-label={label}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling log must be reachable by keyboard (arrows scroll it)
      tabIndex={0}
      data-following={String(following.current)}
      onScroll={(e) => {
        const el = e.currentTarget;
        following.current = el.scrollTop + el.clientHeight >= el.scrollHeight - AT_END_PX;
        el.dataset.following = String(following.current);
      }}
    >
      {children}
    </pre>
  );
}

/** "output cut at 1,024 KiB (stored 1,048,671 bytes)", or null when the output was not cut. */
export function truncationText(command: Pick<CommandView, 'truncated' | 'outputLimitBytes' | 'outputBytes'>) {
  if (!command.truncated) return null;
  const limit = number(Math.round(command.outputLimitBytes / 1024));
  return command.outputBytes === null
    ? i18n.t('commands:output.cut', { limit })
    : i18n.t('commands:output.cutStored', { limit, stored: number(command.outputBytes) });
}

export function TruncationNotice({
  command,
  who,
}: {
  command: Pick<CommandView, 'truncated' | 'outputLimitBytes' | 'outputBytes'>;
  who?: string;
}) {
  const { t } = useTranslation('commands');
  const text = truncationText(command);
  if (!text) return null;
  return (
    <p className="truncated" role="status">
      ✂ {who ? `${who}: ` : ''}
      {text} — {t('output.restLost')}
    </p>
  );
}

/**
 * What an unfinished command of a node that is not online waits for: "waiting for web-2 (offline) —
 * expires 14:05:00" or "… — no deadline"; null when the node is online or the command moved on.
 */
export function waitingText(
  command: Pick<CommandView, 'status' | 'deadlineAt'>,
  node: { name: string; status: string } | undefined,
): string | null {
  if (command.status !== 'pending' && command.status !== 'dispatched') return null;
  if (!node || node.status === 'online') return null;
  const state = i18n.t(node.status === 'never-connected' ? 'commands:nodeState.never' : 'commands:nodeState.offline');
  return command.deadlineAt === null
    ? i18n.t('commands:output.waitingForever', { name: node.name, state })
    : i18n.t('commands:output.waitingUntil', { name: node.name, state, until: dateTime(command.deadlineAt) });
}

/** Command statuses, and the two more a task run can have (queued, skipped). */
type ShownStatus = CommandStatus | 'queued' | 'skipped';

/** A command's status in words, with its exit code once it has one: "succeeded (exit 0)". */
export function StatusBadge({ status, exitCode }: { status: string | undefined; exitCode?: number | null }) {
  const { t } = useTranslation('commands');
  if (!status) return null;
  const known = status in COMMAND_STATUS_TONE ? (status as ShownStatus) : null;
  return (
    <ToneBadge className={`badge ${status}`} tone={known ? COMMAND_STATUS_TONE[known] : 'muted'} status={status}>
      {known ? t(`status.${known}`) : status}
      {exitCode !== null && exitCode !== undefined ? ` ${t('output.exit', { code: exitCode })}` : ''}
    </ToneBadge>
  );
}

/** One node's output: its name and status above a followed log. */
export function OutputPane({
  commandId,
  name,
  status,
  exitCode,
  notice,
  content,
  focused,
  children,
}: {
  commandId: string;
  name: string;
  status: string | undefined;
  exitCode: number | null;
  notice?: ReactNode;
  content: unknown;
  focused?: boolean;
  children: ReactNode;
}) {
  return (
    <Paper withBorder component="article" className={focused ? 'output focused' : 'output'} data-command-id={commandId}>
      <Group component="header" gap="xs" justify="space-between" wrap="nowrap">
        <Text fw={600} truncate>
          {name}
        </Text>
        <StatusBadge status={status} exitCode={exitCode} />
      </Group>
      {notice}
      <FollowedLog content={content} label={name}>
        {children}
      </FollowedLog>
    </Paper>
  );
}

export type OutputView = 'side' | 'merged';

/** Side by side (a pane per node) or one merged log. */
export function SegmentedView({ view, onChange }: { view: OutputView; onChange: (view: OutputView) => void }) {
  const { t } = useTranslation('commands');
  return (
    <Button.Group>
      {(['side', 'merged'] as const).map((v) => (
        <Button
          key={v}
          size="xs"
          variant={view === v ? 'filled' : 'default'}
          aria-pressed={view === v}
          onClick={() => onChange(v)}
        >
          {t(v === 'side' ? 'output.sideBySide' : 'output.merged')}
        </Button>
      ))}
    </Button.Group>
  );
}

/** One line of a merged log: which node printed it, on which stream. */
export interface MergedLine {
  nodeId: string;
  stream: string;
  text: string;
}

/** Every node's output in one followed log, each line prefixed with its node's name. */
export function MergedLines({ lines, nameOf }: { lines: readonly MergedLine[]; nameOf: (nodeId: string) => string }) {
  const { t } = useTranslation('commands');
  return (
    <FollowedLog className="merged-log" label={t('output.mergedLabel')} content={lines.length}>
      {lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: log lines have no identity but their position
        <span key={i} className={line.stream === 'stderr' ? 'stderr' : undefined}>
          <span className="hint">[{nameOf(line.nodeId)}]</span> {line.text}
        </span>
      ))}
    </FollowedLog>
  );
}
