// Settings: this window's look (colour theme, language), how this master is set up (storage, gateway,
// certificate, retention, billing) and, with a shared database, every instance of the cluster and which
// one leads. The master's values are changed with the command-line flags shown next to them.
import { Alert, Code, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { userMessage } from '../errors';
import { ago } from '../format';
import { ScrollTable } from '../shell/ScrollTable';
import { MyAccount, People } from './Accounts';
import { ApiTokens } from './ApiTokens';
import { Appearance } from './Appearance';
import { StatusPageSettings } from './StatusPageSettings';

export function Settings({ client }: { client: Client }) {
  const { t } = useTranslation(['settings', 'common']);
  const info = useQuery({ queryKey: ['masterInfo'], queryFn: () => client.masterInfo({}) });
  const instances = useQuery({
    queryKey: ['instances'],
    queryFn: () => client.listInstances({}),
    refetchInterval: 5_000,
  });
  const health = useQuery({ queryKey: ['health'], queryFn: () => client.health({}), refetchInterval: 10_000 });
  const s = info.data?.settings;
  const days = (count: number) => t('master.days', { count });
  const rows: Array<[string, string, string]> =
    info.data && s
      ? [
          [t('master.version'), info.data.version, ''],
          [t('master.role'), s.role, '--role'],
          [
            t('master.storage'),
            `${s.database.dialect === 'sqlite' ? 'SQLite' : 'MariaDB'} — ${s.database.location}`,
            '--db',
          ],
          [t('master.gateway'), info.data.agentUrl, '--agent-listen, --agent-url'],
          [t('master.fingerprint'), info.data.fingerprint ?? t('master.noFingerprint'), t('master.pinned')],
          [t('master.dataDir'), info.data.dataDir, '--data-dir'],
          [
            t('master.billing'),
            t('master.billingValue', { day: s.billingDay, zone: s.billingTimeZone }),
            '--billing-day, --billing-tz',
          ],
          [t('master.flush'), t('master.flushValue', { seconds: s.metricsFlushSec }), '--metrics-flush-sec'],
          [t('master.commandsKept'), days(s.retention.commandsDays), '--command-retention-days'],
          [
            t('master.minuteKept'),
            t('master.hours', { count: s.retention.minuteRollupHours }),
            '--minute-retention-hours',
          ],
          [t('master.hourKept'), days(s.retention.hourRollupDays), '--hour-retention-days'],
          [t('master.dailyKept'), days(s.retention.dailyTrafficDays), '--day-retention-days'],
        ]
      : [];
  const error = info.error ?? instances.error;
  return (
    <Stack className="settings" gap="md">
      <Title order={1} size="h2">
        {t('common:nav.settings')}
      </Title>
      <Appearance />
      <MyAccount client={client} />
      <People client={client} />
      <ApiTokens client={client} />
      <Title order={2} size="h3">
        {t('master.title')}
      </Title>
      {error && (
        <Alert role="alert" color="red">
          {userMessage(error)}
        </Alert>
      )}
      {health.data && !health.data.ok && (
        <Alert role="alert" color="red">
          {t('master.databaseDown', { error: health.data.database.error })}
        </Alert>
      )}
      <ScrollTable label={t('master.title')} minWidth={320}>
        <Table className="plain" verticalSpacing={6}>
          <Table.Tbody>
            {rows.map(([k, v, flag]) => (
              <Table.Tr key={k}>
                <Table.Th scope="row" w="28%">
                  {k}
                </Table.Th>
                <Table.Td style={{ wordBreak: 'break-word' }}>{v}</Table.Td>
                <Table.Td>{flag && <Code>{flag}</Code>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
      <StatusPageSettings client={client} />
      <Title order={2} size="h3">
        {t('instances.title')}
      </Title>
      <Text size="sm" c="dimmed">
        {t('instances.hint')}
      </Text>
      <ScrollTable label={t('instances.title')} minWidth={720}>
        <Table className="plain" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('instances.instance')}</Table.Th>
              <Table.Th>{t('instances.host')}</Table.Th>
              <Table.Th>{t('instances.role')}</Table.Th>
              <Table.Th>{t('instances.state')}</Table.Th>
              <Table.Th>{t('instances.agentUrl')}</Table.Th>
              <Table.Th>{t('instances.heartbeat')}</Table.Th>
              <Table.Th>{t('instances.lastError')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(instances.data ?? []).map((i) => (
              <Table.Tr key={i.id}>
                <Table.Td>
                  {i.id.slice(0, 8)}
                  {i.self ? ` ${t('instances.self')}` : ''}
                </Table.Td>
                <Table.Td>{i.hostname}</Table.Td>
                <Table.Td>{i.role}</Table.Td>
                <Table.Td>
                  <span className={`status ${i.alive ? 'online' : 'offline'}`}>
                    {i.alive ? t('instances.alive') : t('instances.gone')}
                  </span>
                  {i.leader && <strong>{` · ${t('instances.leader')}`}</strong>}
                </Table.Td>
                <Table.Td style={{ wordBreak: 'break-all' }}>{i.agentUrl}</Table.Td>
                <Table.Td>{ago(i.heartbeatAt)}</Table.Td>
                <Table.Td>{i.lastError ?? '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
    </Stack>
  );
}
