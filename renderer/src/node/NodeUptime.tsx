// The node's availability: uptime over 24 hours (hourly bars), 30 or 90 days (daily bars; hover or arrow
// through a bar to see its outages) and the last 24 hours' connects and disconnects.
import { Group, Paper, SegmentedControl, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UptimePeriod } from '../../../main/contract/availability-schemas';
import type { Client } from '../../../main/contract/contract';
import { barName, UPTIME_PERIODS, uptimeDaysQuery } from '../fleet/fleet-data';
import { UptimeBar } from '../fleet/UptimeBar';
import { dateTime, percent } from '../format';
import { NODE_STATUS_TONE, ToneBadge } from '../theme/status-badge';

export function NodeUptime({ client, nodeId, name }: { client: Client; nodeId: string; name: string }) {
  const { t } = useTranslation('node');
  const [period, setPeriod] = useState<UptimePeriod>('30d');
  const daily = useQuery(uptimeDaysQuery(client, nodeId, period));
  const bars = useMemo(
    () => daily.data?.days.map((d) => ({ ...d, day: barName(d, daily.data.unit) })) ?? [],
    [daily.data],
  );
  const periodText = t(`uptime.periods.${period}`);
  // Refetched on this node's status events (sync.ts) and as the 24 h window moves.
  const recent = useQuery({
    queryKey: ['uptime', nodeId],
    queryFn: () => client.nodeUptime({ id: nodeId, hours: 24 }),
    refetchInterval: 60_000,
  });
  const ratio = daily.data?.ratio ?? null;
  return (
    <Paper withBorder p="sm" component="section" aria-labelledby={`uptime-${nodeId}`} className="node-uptime">
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Title order={2} size="h4" id={`uptime-${nodeId}`}>
          {t('uptime.title')}
        </Title>
        <Group gap="sm">
          <Text size="sm" data-testid="uptime-ratio">
            {ratio === null
              ? t('uptime.none')
              : t('uptime.ratioPeriod', {
                  value: percent(ratio * 100),
                  period: periodText,
                  count: daily.data?.outageCount ?? 0,
                })}
          </Text>
          <SegmentedControl
            size="xs"
            aria-label={t('uptime.window')}
            value={period}
            onChange={(v) => setPeriod(UPTIME_PERIODS.find((p) => p === v) ?? '30d')}
            data={UPTIME_PERIODS.map((p) => ({ value: p, label: t(`uptime.periods.${p}`) }))}
          />
        </Group>
      </Group>
      {daily.isError && (
        <Text c="red" role="alert" size="sm">
          {daily.error.message}
        </Text>
      )}
      {daily.data && (
        <UptimeBar days={bars} height={28} label={t('uptime.barLabelPeriod', { name, period: periodText })} />
      )}
      <Text size="xs" c="dimmed" mt={4}>
        {daily.data?.unit === 'hour'
          ? t('uptime.hintHours')
          : t('uptime.hint', { zone: daily.data?.timeZone ?? 'UTC' })}
      </Text>
      <Title order={3} size="h5" mt="md" mb={4}>
        {t('uptime.recent')}
      </Title>
      {(recent.data?.events.length ?? 0) === 0 ? (
        <Text size="sm" c="dimmed">
          {t('uptime.noTransitions')}
        </Text>
      ) : (
        <ul className="status-history">
          {[...(recent.data?.events ?? [])]
            .reverse()
            .slice(0, 20)
            .map((e) => (
              <li key={`${e.at}-${e.status}`}>
                <ToneBadge tone={NODE_STATUS_TONE[e.status]} className="status-badge" status={e.status}>
                  {t(`uptime.${e.status}`)}
                </ToneBadge>{' '}
                <Text span size="sm">
                  {dateTime(e.at)}
                </Text>{' '}
                <Text span size="sm" c="dimmed">
                  {e.reason}
                </Text>
              </li>
            ))}
        </ul>
      )}
    </Paper>
  );
}
