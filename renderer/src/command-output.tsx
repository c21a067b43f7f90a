// Pieces every view of a command's output shares: a log that follows new output unless the user
// scrolled up, the notice that output was cut at its cap (the agent stops collecting there, so a
// "succeeded" command's output may end mid-line), and what a command that waits for its node says.
import { type ReactNode, useLayoutEffect, useRef } from 'react';
import type { CommandView } from '../../main/contract/queue-schemas';

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

const INTEGER = new Intl.NumberFormat('en-US');

/** "output cut at 1,024 KiB (stored 1,048,671 bytes)", or null when the output was not cut. */
export function truncationText(command: Pick<CommandView, 'truncated' | 'outputLimitBytes' | 'outputBytes'>) {
  if (!command.truncated) return null;
  const limit = `${INTEGER.format(Math.round(command.outputLimitBytes / 1024))} KiB`;
  const stored = command.outputBytes === null ? '' : ` (stored ${INTEGER.format(command.outputBytes)} bytes)`;
  return `output cut at ${limit}${stored}`;
}

export function TruncationNotice({
  command,
  who,
}: {
  command: Pick<CommandView, 'truncated' | 'outputLimitBytes' | 'outputBytes'>;
  who?: string;
}) {
  const text = truncationText(command);
  if (!text) return null;
  return (
    <p className="truncated" role="status">
      ✂ {who ? `${who}: ` : ''}
      {text} — the rest was not kept
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
  const state = node.status === 'never-connected' ? 'never connected' : node.status;
  const until =
    command.deadlineAt === null
      ? 'no deadline: it runs whenever the node connects'
      : `expires ${new Date(command.deadlineAt).toLocaleString()}`;
  return `waiting for ${node.name} (${state}) — ${until}`;
}

/** One line of a merged log: which node printed it, on which stream. */
export interface MergedLine {
  nodeId: string;
  stream: string;
  text: string;
}

/** Every node's output in one followed log, each line prefixed with its node's name. */
export function MergedLines({ lines, nameOf }: { lines: readonly MergedLine[]; nameOf: (nodeId: string) => string }) {
  return (
    <FollowedLog className="merged-log" label="Merged output" content={lines.length}>
      {lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: log lines have no identity but their position
        <span key={i} className={line.stream === 'stderr' ? 'stderr' : undefined}>
          <span className="hint">[{nameOf(line.nodeId)}]</span> {line.text}
        </span>
      ))}
    </FollowedLog>
  );
}
