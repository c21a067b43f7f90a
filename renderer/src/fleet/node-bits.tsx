// Small pieces the fleet's table and cards (and the node page) draw alike: the status badge that says
// how long a node has been away, the OS icon and a labelled usage bar.
import { Tooltip } from '@mantine/core';
import {
  IconBrandApple,
  IconBrandDebian,
  IconBrandRedhat,
  IconBrandUbuntu,
  IconBrandWindows,
  IconServer2,
} from '@tabler/icons-react';
import { type ComponentType, memo } from 'react';
import { useTranslation } from 'react-i18next';
import { dateTime, percent } from '../format';
import { NODE_STATUS_TONE, ToneBadge } from '../theme/status-badge';
import { type Node, type OsFamily, osFamily } from './fleet-model';

const OS_ICONS: Record<OsFamily, ComponentType<{ size?: number; stroke?: number; 'aria-hidden'?: boolean }>> = {
  ubuntu: IconBrandUbuntu,
  debian: IconBrandDebian,
  redhat: IconBrandRedhat,
  fedora: IconBrandRedhat,
  centos: IconBrandRedhat,
  apple: IconBrandApple,
  windows: IconBrandWindows,
  alpine: IconServer2,
  arch: IconServer2,
  suse: IconServer2,
  linux: IconServer2,
  freebsd: IconServer2,
  unknown: IconServer2,
};

export const OsIcon = memo(function OsIcon({
  node,
  size = 18,
}: {
  node: Pick<Node, 'os' | 'platform'>;
  size?: number;
}) {
  const family = osFamily(node);
  const Icon = OS_ICONS[family];
  return (
    <span className="os-icon" data-os={family} title={node.os ?? undefined}>
      <Icon size={size} stroke={1.5} aria-hidden />
    </span>
  );
});

/** "12 s", "3 min", "3 h", "2 d": how long ago, short enough for a badge. */
export function useShortAge(): (since: number | null, now: number) => string {
  const { t } = useTranslation('fleet');
  return (since, now) => {
    if (since === null) return '—';
    const s = Math.max(0, Math.round((now - since) / 1000));
    if (s < 60) return t('age.seconds', { count: s });
    if (s < 3600) return t('age.minutes', { count: Math.floor(s / 60) });
    if (s < 86_400) return t('age.hours', { count: Math.floor(s / 3600) });
    return t('age.days', { count: Math.floor(s / 86_400) });
  };
}

/**
 * Online, "offline 3 h", never connected or revoked. Memoized: only an offline node's badge changes as
 * the clock ticks.
 */
export const StatusBadge = memo(
  StatusBadgeOf,
  (a, b) => a.node === b.node && (a.node.status !== 'offline' || a.now === b.now),
);

function StatusBadgeOf({ node, now }: { node: Node; now: number }) {
  const { t } = useTranslation('fleet');
  const age = useShortAge();
  const text = node.revoked
    ? t('status.revoked')
    : node.status === 'offline'
      ? t('status.offlineFor', { age: age(node.lastSeenAt, now) })
      : t(`status.${node.status === 'online' ? 'online' : 'never'}`);
  const badge = (
    <ToneBadge
      tone={NODE_STATUS_TONE[node.revoked ? 'revoked' : node.status]}
      className="status-badge"
      status={node.status}
    >
      {text}
    </ToneBadge>
  );
  if (node.status !== 'offline' || node.lastSeenAt === null) return badge;
  return (
    <Tooltip label={t('status.lastSeenAt', { at: dateTime(node.lastSeenAt) })} withArrow>
      {badge}
    </Tooltip>
  );
}

/**
 * A labelled usage bar: "CPU ▆▆▆░░ 42%". A plain bar, not Mantine's Progress (two styled boxes with a
 * colour resolved per render): each card has three, and cards mount as the grid scrolls.
 */
export function Meter({ label, value, title }: { label: string; value: number | null; title?: string }) {
  const tone = value === null ? 'none' : value >= 90 ? 'high' : value >= 75 ? 'raised' : 'normal';
  const shown = Math.min(100, Math.max(0, value ?? 0));
  return (
    <div className="fleet-meter" title={title}>
      <span>{label}</span>
      <div
        className="fleet-bar"
        role="progressbar"
        aria-label={`${label} ${percent(value)}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value === null ? undefined : Math.round(shown)}
        data-tone={tone}
      >
        <div style={{ width: `${shown}%` }} />
      </div>
      <span className="value">{percent(value)}</span>
    </div>
  );
}
