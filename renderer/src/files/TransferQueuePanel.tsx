// The transfer queue as the user sees it: one row per upload, download or copy, with progress, speed,
// time left and pause/resume/cancel; finished rows stay until cleared.
import { ActionIcon, Button, Group, Paper, Progress, Stack, Text, Title, Tooltip } from '@mantine/core';
import {
  IconArrowsLeftRight,
  IconDownload,
  IconPlayerPause,
  IconPlayerPlay,
  IconUpload,
  IconX,
} from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { bytes, number, rate } from '../format';
import { ToneBadge, TRANSFER_STATE_TONE } from '../theme/status-badge';
import type { Transport } from '../transport';
import classes from './files.module.css';
import { problemText } from './problems';
import { type TransferItem, transferQueueOf } from './transfer-queue';

const KIND_ICONS = { upload: IconUpload, download: IconDownload, copy: IconArrowsLeftRight } as const;
const STATE_COLOURS = {
  queued: 'gray',
  running: 'blue',
  paused: 'yellow',
  done: 'green',
  failed: 'red',
  cancelled: 'gray',
} as const;

/** "12 s left", "4 min left", "2 h left". */
function timeLeft(t: TFunction<'files'>, sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '';
  if (sec < 60) return t('queue.leftSeconds', { count: Math.max(1, Math.round(sec)) });
  if (sec < 3600) return t('queue.leftMinutes', { count: Math.round(sec / 60) });
  return t('queue.leftHours', { value: number(sec / 3600, 1) });
}

export function TransferQueuePanel({ transport }: { transport: Transport }) {
  const { t } = useTranslation('files');
  const queue = transferQueueOf(transport);
  const items = useSyncExternalStore(queue.subscribe, queue.snapshot);
  if (items.length === 0) return null;
  const finished = items.filter((i) => i.state === 'done' || i.state === 'failed' || i.state === 'cancelled');
  const active = items.length - finished.length;
  return (
    <Paper withBorder p="sm" component="section" aria-label={t('queue.label')} className={classes.queue}>
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          {t('queue.title')}{' '}
          <Text span c="dimmed" size="sm">
            {t('queue.summary', { count: active, active: number(active) })}
          </Text>
        </Title>
        {finished.length > 0 && (
          <Button size="xs" variant="subtle" onClick={() => queue.clearFinished()}>
            {t('queue.clear')}
          </Button>
        )}
      </Group>
      <Stack gap={6} component="ul" className={classes.queueList}>
        {items.map((item) => (
          <QueueRow key={item.key} item={item} t={t} onControl={(action) => void queue[action](item.key)} />
        ))}
      </Stack>
    </Paper>
  );
}

function QueueRow({
  item,
  t,
  onControl,
}: {
  item: TransferItem;
  t: TFunction<'files'>;
  onControl: (action: 'pause' | 'resume' | 'cancel') => void;
}) {
  const Icon = KIND_ICONS[item.kind];
  const pct = item.total ? Math.min(100, (item.bytes / item.total) * 100) : item.state === 'done' ? 100 : 0;
  const open = item.state === 'queued' || item.state === 'running' || item.state === 'paused';
  const amount =
    item.total !== null ? t('queue.of', { done: bytes(item.bytes), total: bytes(item.total) }) : bytes(item.bytes);
  return (
    <li className={classes.queueRow} data-transfer={item.key} data-kind={item.kind} data-state={item.state}>
      <Icon size={18} aria-label={t(`queue.kind.${item.kind}`)} />
      <div className={classes.queueName}>
        <Text size="sm" fw={500} truncate title={item.name}>
          {item.name}
        </Text>
        <Text size="xs" c="dimmed" truncate title={item.where}>
          {item.where}
        </Text>
      </div>
      <div className={classes.queueProgress}>
        <Progress
          value={pct}
          color={STATE_COLOURS[item.state]}
          striped={item.state === 'running'}
          aria-label={t('queue.progressOf', { name: item.name })}
        />
        <Text size="xs" c={item.state === 'failed' ? 'red' : 'dimmed'} className={classes.queueDetail}>
          {item.state === 'failed' && item.error
            ? problemText(t, item.error, item.name)
            : item.state === 'running'
              ? [amount, item.rate > 0 ? rate(item.rate) : '', timeLeft(t, item.eta)].filter(Boolean).join(' · ')
              : amount}
        </Text>
      </div>
      <ToneBadge tone={TRANSFER_STATE_TONE[item.state]} className={classes.queueState} status={item.state}>
        {t(`queue.state.${item.state}`)}
      </ToneBadge>
      <Group gap={4} wrap="nowrap" className={classes.queueButtons}>
        {open && item.state !== 'paused' && (
          <Tooltip label={t('queue.pause')}>
            <ActionIcon
              variant="subtle"
              aria-label={t('queue.pauseName', { name: item.name })}
              onClick={() => onControl('pause')}
            >
              <IconPlayerPause size={16} />
            </ActionIcon>
          </Tooltip>
        )}
        {item.state === 'paused' && (
          <Tooltip label={t('queue.resume')}>
            <ActionIcon
              variant="subtle"
              aria-label={t('queue.resumeName', { name: item.name })}
              onClick={() => onControl('resume')}
            >
              <IconPlayerPlay size={16} />
            </ActionIcon>
          </Tooltip>
        )}
        {open && (
          <Tooltip label={t('queue.cancel')}>
            <ActionIcon
              variant="subtle"
              color="red"
              aria-label={t('queue.cancelName', { name: item.name })}
              onClick={() => onControl('cancel')}
            >
              <IconX size={16} />
            </ActionIcon>
          </Tooltip>
        )}
      </Group>
    </li>
  );
}
