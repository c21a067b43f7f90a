// What explains a spike: traffic per network interface (rates now and bytes since boot, each with its
// share of the node's traffic) and space per mounted filesystem. From the latest live sample.
import { Paper, Progress, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { OutputOf } from '../../../main/contract/contract';
import { bytes, number, percent, rate, share } from '../format';

type Latest = NonNullable<OutputOf<'liveMetrics'>['latest']>;

export function Interfaces({ latest }: { latest: Latest | null | undefined }) {
  const { t } = useTranslation('node');
  const list = [...(latest?.net?.interfaces ?? [])].sort(
    (a, b) => (b.rxBps ?? 0) + (b.txBps ?? 0) - ((a.rxBps ?? 0) + (a.txBps ?? 0)) || a.name.localeCompare(b.name),
  );
  const total = list.reduce((s, i) => s + (i.rxBps ?? 0) + (i.txBps ?? 0), 0);
  return (
    <Paper withBorder p="sm" component="section" aria-label={t('interfaces.title')}>
      <Title order={2} size="h4" mb="xs">
        {t('interfaces.title')}
      </Title>
      {list.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('interfaces.none')}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={520}>
          <Table striped highlightOnHover verticalSpacing={4} data-testid="interfaces">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('interfaces.name')}</Table.Th>
                <Table.Th>{t('interfaces.received')}</Table.Th>
                <Table.Th>{t('interfaces.sent')}</Table.Th>
                <Table.Th>{t('interfaces.share')}</Table.Th>
                <Table.Th>{t('interfaces.sinceBoot')}</Table.Th>
                <Table.Th>{t('interfaces.speed')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((i) => {
                const part = total > 0 ? (((i.rxBps ?? 0) + (i.txBps ?? 0)) / total) * 100 : null;
                return (
                  <Table.Tr key={i.name} data-interface={i.name}>
                    <Table.Td ff="monospace">{i.name}</Table.Td>
                    <Table.Td>{rate(i.rxBps)}</Table.Td>
                    <Table.Td>{rate(i.txBps)}</Table.Td>
                    <Table.Td miw={110}>
                      <Progress value={part ?? 0} size="sm" aria-label={t('interfaces.shareOf', { name: i.name })} />
                      <Text size="xs">{percent(part)}</Text>
                    </Table.Td>
                    <Table.Td>
                      ↓ {bytes(i.rxBytes)} ↑ {bytes(i.txBytes)}
                    </Table.Td>
                    <Table.Td>
                      {i.speedMbps ? t('interfaces.mbps', { value: number(i.speedMbps) }) : t('interfaces.unknown')}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}

export function Disks({ latest }: { latest: Latest | null | undefined }) {
  const { t } = useTranslation('node');
  const disks = latest?.disks ?? [];
  return (
    <Paper withBorder p="sm" component="section" aria-label={t('disks.title')}>
      <Title order={2} size="h4" mb="xs">
        {t('disks.title')}
      </Title>
      {disks.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('disks.none')}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={420}>
          <Table verticalSpacing={4} data-testid="disks">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('disks.mount')}</Table.Th>
                <Table.Th>{t('disks.fs')}</Table.Th>
                <Table.Th>{t('disks.used')}</Table.Th>
                <Table.Th>{t('disks.free')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {disks.map((d) => {
                const used = share(d.used, d.total);
                return (
                  <Table.Tr key={d.mount} data-mount={d.mount}>
                    <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
                      {d.mount}
                    </Table.Td>
                    <Table.Td>{d.fs}</Table.Td>
                    <Table.Td miw={160}>
                      <Progress
                        value={used ?? 0}
                        size="sm"
                        color={used !== null && used >= 90 ? 'red' : used !== null && used >= 75 ? 'orange' : 'blue'}
                        aria-label={t('disks.usedOf', { mount: d.mount })}
                      />
                      <Text size="xs">
                        {t('disks.usedValue', { used: bytes(d.used), total: bytes(d.total), share: percent(used) })}
                      </Text>
                    </Table.Td>
                    <Table.Td>{bytes(d.free)}</Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}
