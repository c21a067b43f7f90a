// The Files screen: pick a connected node that shares files, browse it (Browser), and follow every
// transfer in the queue below, which keeps running while other screens are open.
import { Alert, Group, Select, Stack, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { nodesQuery } from '../sync';
import type { Transport } from '../transport';
import { Browser } from './Browser';
import classes from './files.module.css';
import { TransferQueuePanel } from './TransferQueuePanel';

export function Files({
  client,
  transport,
  nodeId,
  onNodeChange,
}: {
  client: Client;
  transport: Transport;
  nodeId: string | null;
  onNodeChange: (id: string) => void;
}) {
  const { t } = useTranslation('files');
  const nodes = useQuery(nodesQuery(client));
  const browsable = (nodes.data ?? []).filter((n) => n.capabilities?.files && n.status === 'online');
  const node = browsable.find((n) => n.id === nodeId) ?? null;
  useEffect(() => {
    if (!node && browsable[0]) onNodeChange(browsable[0].id);
  }, [node, browsable, onNodeChange]);
  return (
    <Stack component="main" className={classes.screen} gap="sm">
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('title')}</Title>
        <Select
          label={t('node.label')}
          className={classes.nodePicker}
          data={browsable.map((n) => ({ value: n.id, label: n.name }))}
          value={node?.id ?? null}
          onChange={(id) => id && onNodeChange(id)}
          allowDeselect={false}
          searchable
          nothingFoundMessage={t('node.none')}
        />
      </Group>
      {browsable.length === 0 && !nodes.isLoading && (
        <Alert color="gray" title={t('node.emptyTitle')}>
          {t('node.empty')}
        </Alert>
      )}
      {node?.capabilities && (
        <Browser
          key={node.id}
          client={client}
          transport={transport}
          node={{ id: node.id, name: node.name }}
          roots={node.capabilities.roots}
          writable={node.capabilities.filesWrite}
          nodes={browsable}
        />
      )}
      <TransferQueuePanel transport={transport} />
    </Stack>
  );
}
