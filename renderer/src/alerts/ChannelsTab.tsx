// Channels: where alerts go, each with its health (failing after repeated failed attempts, messages
// still waiting), a test button, and the delivery log below.
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { IconPencil, IconPlus, IconSend, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { useDialogs } from '../dialogs';
import { ago } from '../format';
import { toastError, toastSuccess } from '../shell/toasts';
import { CHANNEL_HEALTH_TONE, ToneBadge } from '../theme/status-badge';
import { ChannelForm } from './ChannelForm';
import type { ChannelView } from './channel-fields';
import { DeliveryLog } from './DeliveryLog';

export const channelsQuery = (client: Client) => ({
  queryKey: ['notifyChannels'],
  queryFn: () => client.listChannels({}),
  // Delivery events refetch it (sync.ts); the interval catches what another instance delivered.
  refetchInterval: 15_000,
});

export function ChannelsTab({ client }: { client: Client }) {
  const { t } = useTranslation('alerts');
  const channels = useQuery(channelsQuery(client));
  const [editing, setEditing] = useState<ChannelView | 'new' | null>(null);
  const [logChannel, setLogChannel] = useState<string | null>(null);
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text c="dimmed" size="sm">
          {t('channels.intro')}
        </Text>
        <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
          {t('channels.addButton')}
        </Button>
      </Group>
      {channels.error && (
        <Alert color="red" role="alert">
          {channels.error.message}
        </Alert>
      )}
      {channels.data?.length === 0 && <Text>{t('channels.none')}</Text>}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {channels.data?.map((channel) => (
          <ChannelCard
            key={channel.id}
            client={client}
            channel={channel}
            onEdit={() => setEditing(channel)}
            onShowLog={() => setLogChannel(channel.id)}
          />
        ))}
      </SimpleGrid>
      <Title order={3} size="h4">
        {t('log.title')}
      </Title>
      <DeliveryLog
        client={client}
        channels={channels.data ?? []}
        channelId={logChannel}
        onChannelChange={setLogChannel}
      />
      {editing && (
        <ChannelForm client={client} channel={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </Stack>
  );
}

function HealthBadge({ channel }: { channel: ChannelView }) {
  const { t } = useTranslation('alerts');
  if (!channel.enabled) return <ToneBadge tone="muted">{t('channels.health.disabled')}</ToneBadge>;
  const { state } = channel.health;
  return <ToneBadge tone={CHANNEL_HEALTH_TONE[state]}>{t(`channels.health.${state}`)}</ToneBadge>;
}

function ChannelCard({
  client,
  channel,
  onEdit,
  onShowLog,
}: {
  client: Client;
  channel: ChannelView;
  onEdit: () => void;
  onShowLog: () => void;
}) {
  const { t } = useTranslation('alerts');
  const queryClient = useQueryClient();
  const dialogs = useDialogs();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['notifyChannels'] });
    void queryClient.invalidateQueries({ queryKey: ['notifyDeliveries'] });
  };
  const test = useMutation({
    mutationFn: () => client.testChannel({ id: channel.id }),
    onSuccess: (result) => {
      refresh();
      if (result.ok) toastSuccess(t('channels.testOk', { name: channel.name, ms: result.durationMs }));
      else toastError(result.error ?? '', t('channels.testFailed', { name: channel.name }));
    },
    onError: (error) => toastError(error),
  });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => client.updateChannel({ id: channel.id, enabled }),
    onSettled: refresh,
    onError: (error) => toastError(error),
  });
  const remove = useMutation({
    mutationFn: () => client.deleteChannel({ id: channel.id }),
    onSuccess: () => {
      refresh();
      toastSuccess(t('channels.deleted', { name: channel.name }));
    },
    onError: (error) => toastError(error),
  });
  const { health } = channel;
  return (
    <Card
      withBorder
      padding="md"
      aria-label={t('channels.cardLabel', { name: channel.name })}
      data-channel={channel.name}
    >
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
            <Text fw={600} truncate>
              {channel.name}
            </Text>
            <Badge variant="light">{t(`channels.kinds.${channel.kind}` as never)}</Badge>
            <HealthBadge channel={channel} />
          </Group>
          <Group gap={4} wrap="nowrap">
            <Tooltip label={t('channels.test')}>
              <ActionIcon
                variant="subtle"
                aria-label={t('channels.testOf', { name: channel.name })}
                loading={test.isPending}
                onClick={() => test.mutate()}
              >
                <IconSend size={18} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label={t('channels.edit')}>
              <ActionIcon variant="subtle" aria-label={t('channels.editOf', { name: channel.name })} onClick={onEdit}>
                <IconPencil size={18} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label={t('channels.delete')}>
              <ActionIcon
                variant="subtle"
                color="red"
                aria-label={t('channels.deleteOf', { name: channel.name })}
                onClick={async () => {
                  const sure = await dialogs.confirm({
                    title: t('channels.deleteTitle', { name: channel.name }),
                    message: t('channels.deleteMessage'),
                    confirmLabel: t('channels.delete'),
                    danger: true,
                  });
                  if (sure) remove.mutate();
                }}
              >
                <IconTrash size={18} />
              </ActionIcon>
            </Tooltip>
          </Group>
        </Group>
        <Text size="sm" c="dimmed" truncate>
          {channel.target}
        </Text>
        {health.state === 'failing' && (
          <Alert color="red" p="xs" role="status">
            {t('channels.failingSince', { count: health.failures, when: ago(health.lastFailureAt) })}
            {health.lastError && (
              <Text size="sm" mt={4} style={{ overflowWrap: 'anywhere' }}>
                {health.lastError}
              </Text>
            )}
          </Alert>
        )}
        <Group justify="space-between">
          <Text size="sm">
            {health.pending > 0 ? t('channels.pending', { count: health.pending }) : t('channels.nothingPending')}
            {health.lastSuccessAt ? ` · ${t('channels.lastDelivered', { when: ago(health.lastSuccessAt) })}` : ''}
          </Text>
          <Group gap="sm">
            <Button variant="subtle" size="compact-sm" onClick={onShowLog}>
              {t('channels.showLog')}
            </Button>
            <Switch
              label={t('channels.enabled')}
              checked={channel.enabled}
              disabled={toggle.isPending}
              onChange={(e) => toggle.mutate(e.currentTarget.checked)}
            />
          </Group>
        </Group>
      </Stack>
    </Card>
  );
}
