// The delivery log: every message newest first with its attempts (delivered, failed and why, cut off
// by a stop), filtered by channel and status.
import { Alert, Group, Select, Stack, Table, Text, UnstyledButton } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { dateTime, timeOfDay } from '../format';
import { DELIVERY_STATUS_TONE, ToneBadge } from '../theme/status-badge';
import type { ChannelView } from './channel-fields';

type Delivery = OutputOf<'listDeliveries'>[number];
type Status = Delivery['status'];

export function DeliveryLog({
  client,
  channels,
  channelId,
  onChannelChange,
}: {
  client: Client;
  channels: readonly ChannelView[];
  channelId: string | null;
  onChannelChange: (id: string | null) => void;
}) {
  const { t } = useTranslation('alerts');
  const [status, setStatus] = useState<Status | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const log = useQuery({
    queryKey: ['notifyDeliveries', channelId, status],
    queryFn: () =>
      client.listDeliveries({ limit: 100, ...(channelId ? { channelId } : {}), ...(status ? { status } : {}) }),
    refetchInterval: 15_000,
  });
  return (
    <Stack gap="sm">
      <Group>
        <Select
          label={t('log.channel')}
          placeholder={t('log.allChannels')}
          clearable
          value={channelId}
          onChange={onChannelChange}
          data={channels.map((c) => ({ value: c.id, label: c.name }))}
        />
        <Select
          label={t('log.status')}
          placeholder={t('log.allStatuses')}
          clearable
          value={status}
          onChange={(value) => setStatus(value as Status | null)}
          data={(['pending', 'delivered', 'failed', 'expired'] as const).map((s) => ({
            value: s,
            label: t(`log.statuses.${s}`),
          }))}
        />
      </Group>
      {log.error && (
        <Alert color="red" role="alert">
          {log.error.message}
        </Alert>
      )}
      {log.data?.length === 0 && <Text c="dimmed">{t('log.empty')}</Text>}
      {log.data && log.data.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table striped highlightOnHover aria-label={t('log.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('log.when')}</Table.Th>
                <Table.Th>{t('log.channel')}</Table.Th>
                <Table.Th>{t('log.message')}</Table.Th>
                <Table.Th>{t('log.status')}</Table.Th>
                <Table.Th>{t('log.attempts')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {log.data.map((d) => (
                <Fragment key={d.id}>
                  <Table.Tr>
                    <Table.Td>{dateTime(d.createdAt)}</Table.Td>
                    <Table.Td>{d.channelName}</Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      <UnstyledButton
                        aria-expanded={open === d.id}
                        onClick={() => setOpen(open === d.id ? null : d.id)}
                        style={{ textAlign: 'start' }}
                      >
                        <Text size="sm" td="underline" style={{ textDecorationStyle: 'dotted' }}>
                          {d.title}
                        </Text>
                      </UnstyledButton>
                    </Table.Td>
                    <Table.Td>
                      <ToneBadge tone={DELIVERY_STATUS_TONE[d.status]}>{t(`log.statuses.${d.status}`)}</ToneBadge>
                    </Table.Td>
                    <Table.Td>{d.attempts.length}</Table.Td>
                  </Table.Tr>
                  {open === d.id && (
                    <Table.Tr>
                      <Table.Td colSpan={5}>
                        <Attempts delivery={d} />
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

function Attempts({ delivery }: { delivery: Delivery }) {
  const { t } = useTranslation('alerts');
  return (
    <Stack gap={4}>
      <Text size="sm" c="dimmed">
        {t('log.key', { key: delivery.id })}
        {delivery.nextAttemptAt ? ` · ${t('log.nextAttempt', { when: timeOfDay(delivery.nextAttemptAt) })}` : ''}
      </Text>
      {delivery.attempts.map((a) => (
        <Text key={a.attempt} size="sm" style={{ overflowWrap: 'anywhere' }}>
          {t('log.attemptLine', {
            n: a.attempt,
            when: timeOfDay(a.startedAt),
            outcome: t(`log.outcomes.${a.outcome ?? 'inFlight'}`),
          })}
          {a.statusCode ? ` (${a.statusCode})` : ''}
          {a.error ? ` — ${a.error}` : ''}
        </Text>
      ))}
    </Stack>
  );
}
