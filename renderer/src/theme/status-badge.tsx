// Every status badge in the app, one look: a tint of the status's hue, text in the scheme's own text
// colour (Mantine's light greens, yellows and oranges are under 4.5:1 at badge size) and a dot in the
// status colour, written in the case the words are written (no capitals). Each screen's statuses are
// mapped to a tone here, so "failed" is the same red on the command, task, SSH and delivery screens.
import { Badge, ColorSwatch } from '@mantine/core';
import type { ReactNode } from 'react';

export type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'muted';

/** Mantine's hue for a tone's tint; the dot takes the scheme's status colour (theme.ts, colours.ts). */
const TINT: Record<Tone, string> = { ok: 'green', bad: 'red', warn: 'orange', info: 'blue', muted: 'gray' };

export function ToneBadge({
  tone,
  children,
  className,
  status,
}: {
  tone: Tone;
  children: ReactNode;
  className?: string;
  /** Kept as data-status, for styles and tests that look for a status. */
  status?: string;
}) {
  return (
    <Badge
      variant="light"
      color={TINT[tone]}
      c="var(--mantine-color-text)"
      size="sm"
      radius="sm"
      tt="none"
      fw={600}
      className={className}
      data-status={status}
      data-tone={tone}
      leftSection={<ColorSwatch color={`var(--${tone})`} size={8} withShadow={false} aria-hidden />}
    >
      {children}
    </Badge>
  );
}

// The statuses of each screen, as tones. One table per vocabulary, all here.
export const NODE_STATUS_TONE = { online: 'ok', offline: 'bad', 'never-connected': 'muted', revoked: 'muted' } as const;
export const COMMAND_STATUS_TONE = {
  queued: 'muted',
  skipped: 'muted',
  pending: 'muted',
  dispatched: 'info',
  running: 'info',
  succeeded: 'ok',
  failed: 'bad',
  timed_out: 'bad',
  cancelled: 'muted',
  expired: 'warn',
  lost: 'bad',
} as const satisfies Record<string, Tone>;
export const HOST_INSTALL_TONE = { pending: 'muted', running: 'info', done: 'ok', failed: 'bad' } as const;
export const PROBE_STATE_TONE = { up: 'ok', down: 'bad', unknown: 'muted' } as const;
export const AUDIT_OUTCOME_TONE = { ok: 'ok', error: 'bad', attempt: 'muted' } as const;
export const TRANSFER_STATE_TONE = {
  queued: 'muted',
  running: 'info',
  paused: 'warn',
  done: 'ok',
  failed: 'bad',
  cancelled: 'muted',
} as const;
export const SEVERITY_TONE = { info: 'info', warning: 'warn', critical: 'bad' } as const;
export const ALERT_STATE_TONE = { pending: 'warn', firing: 'bad', resolved: 'ok' } as const;
export const DELIVERY_STATUS_TONE = { pending: 'warn', delivered: 'ok', failed: 'bad', expired: 'bad' } as const;
export const CHANNEL_HEALTH_TONE = { ok: 'ok', failing: 'bad', untested: 'muted' } as const;
