// The node's top processes by CPU and by memory, measured over a second when the user asks (never
// polled: each list costs the host a scan of /proc). Refused plainly when the agent does not share
// its processes.
import { Alert, Button, Group, Paper, Table, Tabs, Text, Title } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { bytes, percent, timeOfDay } from '../format';

const LIMIT = 15;
type ProcessList = OutputOf<'topProcesses'>;

export function TopProcesses({
  client,
  node,
}: {
  client: Client;
  node: Pick<OutputOf<'getNode'>, 'id' | 'name' | 'status' | 'capabilities'>;
}) {
  const { t } = useTranslation('node');
  const list = useMutation({ mutationFn: () => client.topProcesses({ id: node.id, limit: LIMIT }) });
  const shared = node.capabilities?.processes === true;
  return (
    <Paper withBorder p="sm" component="section" aria-label={t('processes.title')}>
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Title order={2} size="h4">
          {t('processes.title')}
        </Title>
        {shared && (
          <Button
            size="xs"
            variant="light"
            leftSection={<IconRefresh size={14} aria-hidden />}
            loading={list.isPending}
            disabled={node.status !== 'online'}
            onClick={() => list.mutate()}
          >
            {list.data ? t('processes.refresh') : t('processes.show')}
          </Button>
        )}
      </Group>
      {!shared ? (
        <Text size="sm" c="dimmed">
          {t('processes.notShared', { name: node.name })}
        </Text>
      ) : node.status !== 'online' && !list.data ? (
        <Text size="sm" c="dimmed">
          {t('processes.offline', { name: node.name })}
        </Text>
      ) : !list.data && !list.isError ? (
        <Text size="sm" c="dimmed">
          {t('processes.onDemand')}
        </Text>
      ) : null}
      {list.isError && (
        <Alert color="red" role="alert" mb="xs">
          {list.error.message}
        </Alert>
      )}
      {list.data && <Lists data={list.data} />}
    </Paper>
  );
}

function Lists({ data }: { data: ProcessList }) {
  const { t } = useTranslation('node');
  return (
    <>
      <Text size="xs" c="dimmed" mb={4}>
        {t('processes.sampled', { time: timeOfDay(data.sampledAt), count: data.count })}
      </Text>
      <Tabs defaultValue="cpu" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="cpu">{t('processes.byCpu')}</Tabs.Tab>
          <Tabs.Tab value="memory">{t('processes.byMemory')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="cpu" pt="xs">
          <ProcessTable rows={data.byCpu} testId="processes-cpu" />
        </Tabs.Panel>
        <Tabs.Panel value="memory" pt="xs">
          <ProcessTable rows={data.byMemory} testId="processes-memory" />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

function ProcessTable({ rows, testId }: { rows: ProcessList['byCpu']; testId: string }) {
  const { t } = useTranslation('node');
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table verticalSpacing={2} striped data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('processes.pid')}</Table.Th>
            <Table.Th>{t('processes.user')}</Table.Th>
            <Table.Th>{t('processes.cpu')}</Table.Th>
            <Table.Th>{t('processes.memory')}</Table.Th>
            <Table.Th>{t('processes.command')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((p) => (
            <Table.Tr key={p.pid} data-pid={p.pid}>
              <Table.Td>{p.pid}</Table.Td>
              <Table.Td>{p.user ?? '—'}</Table.Td>
              <Table.Td>{percent(p.cpu)}</Table.Td>
              <Table.Td>
                {bytes(p.memoryBytes)}{' '}
                <Text span size="xs" c="dimmed">
                  ({percent(p.memory)})
                </Text>
              </Table.Td>
              <Table.Td ff="monospace" fz="xs" style={{ wordBreak: 'break-all' }} title={p.command}>
                {p.command}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
