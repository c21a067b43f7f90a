// The node's facts (host, agent, capabilities, labels) and what an admin does to it: rename and
// relabel, rotate its token, revoke or delete it — each change confirmed in the app.
import { Alert, Button, Group, Paper, Stack, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { parseLabels } from '../../../main/contract/labels';
import type { Credentials } from '../AddNode';
import { useDialogs } from '../dialogs';
import { latestError } from '../errors';

type Node = OutputOf<'getNode'>;

export function Facts({ node }: { node: Node }) {
  const { t } = useTranslation('node');
  const caps = node.capabilities;
  const capabilities = caps
    ? [
        caps.exec && t('facts.cap.exec'),
        caps.files && t('facts.cap.files'),
        caps.filesWrite && t('facts.cap.filesWrite'),
        caps.processes && t('facts.cap.processes'),
      ]
        .filter(Boolean)
        .join(', ') || t('facts.cap.none')
    : '—';
  const rows: Array<[string, string]> = [
    [t('facts.hostname'), node.hostname ?? '—'],
    [t('facts.os'), `${node.os ?? '—'} ${node.arch ?? ''}`],
    [t('facts.kernel'), node.kernel ?? '—'],
    [t('facts.agent'), node.agentVersion ?? '—'],
    [t('facts.address'), node.remoteAddress ?? '—'],
    [t('facts.capabilities'), capabilities],
    [
      t('facts.labels'),
      Object.entries(node.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '—',
    ],
  ];
  return (
    <Paper withBorder p="sm" component="section" aria-label={t('facts.title')}>
      <Title order={2} size="h4" mb="xs">
        {t('facts.title')}
      </Title>
      <Table variant="vertical" layout="fixed" verticalSpacing={4}>
        <Table.Tbody>
          {rows.map(([k, v]) => (
            <Table.Tr key={k}>
              <Table.Th w={140}>{k}</Table.Th>
              <Table.Td style={{ wordBreak: 'break-word' }}>{v}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

export function NodeActions({
  client,
  node,
  onCredentials,
  onDeleted,
}: {
  client: Client;
  node: Node;
  onCredentials: (c: Credentials) => void;
  onDeleted: () => void;
}) {
  const { t } = useTranslation('node');
  const queryClient = useQueryClient();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['node', node.id] });
    void queryClient.invalidateQueries({ queryKey: ['nodes'] });
  };
  const [name, setName] = useState(node.name);
  const [labels, setLabels] = useState(
    Object.entries(node.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
  );
  const update = useMutation({
    mutationFn: () => client.updateNode({ id: node.id, name, labels: parseLabels(labels) }),
    onSettled: refresh,
  });
  const dialogs = useDialogs();
  const rotate = useMutation({
    mutationFn: () => client.rotateNodeToken({ id: node.id }),
    onSuccess: onCredentials,
    onSettled: refresh,
  });
  const revoke = useMutation({ mutationFn: () => client.revokeNode({ id: node.id }), onSettled: refresh });
  const remove = useMutation({
    mutationFn: () => client.deleteNode({ id: node.id }),
    onSuccess: () => {
      refresh();
      onDeleted();
    },
  });
  // The latest action's outcome: an earlier failure is gone once a later action succeeded.
  const error = latestError([update, rotate, revoke, remove]);
  const delivery = rotate.data?.delivery;
  const save = (event: FormEvent) => {
    event.preventDefault();
    update.mutate();
  };
  return (
    <Paper withBorder p="sm" component="section" aria-label={t('actions.title')} className="actions-panel">
      <Title order={2} size="h4" mb="xs">
        {t('actions.title')}
      </Title>
      <form onSubmit={save}>
        <Stack gap="xs">
          <TextInput label={t('actions.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput
            label={t('actions.labels')}
            value={labels}
            placeholder="role=web, env=prod"
            onChange={(e) => setLabels(e.currentTarget.value)}
          />
          <Group>
            <Button type="submit" loading={update.isPending}>
              {t('actions.save')}
            </Button>
          </Group>
        </Stack>
      </form>
      {delivery && (
        <Alert
          mt="sm"
          color={delivery.status === 'stored' ? 'green' : 'yellow'}
          role="status"
          className={`token-delivery ${delivery.status}`}
        >
          {delivery.message}
        </Alert>
      )}
      {node.kind === 'agent' && (
        <Group mt="md" gap="xs">
          <Button
            variant="default"
            onClick={async () => {
              const yes = await dialogs.confirm({
                title: t('actions.rotateTitle', { name: node.name }),
                message:
                  node.status === 'online'
                    ? t('actions.rotateOnline')
                    : t('actions.rotateOffline', { name: node.name }),
                confirmLabel: t('actions.rotate'),
              });
              if (yes) rotate.mutate();
            }}
          >
            {t('actions.rotate')}
          </Button>
          <Button
            variant="default"
            color="red"
            onClick={async () => {
              const yes = await dialogs.confirm({
                title: t('actions.revokeTitle', { name: node.name }),
                message: t('actions.revokeMessage'),
                confirmLabel: t('actions.revoke'),
                danger: true,
              });
              if (yes) revoke.mutate();
            }}
          >
            {t('actions.revoke')}
          </Button>
          <Button
            color="red"
            variant="light"
            onClick={async () => {
              const yes = await dialogs.confirm({
                title: t('actions.deleteTitle', { name: node.name }),
                message: t('actions.deleteMessage'),
                confirmLabel: t('actions.deleteConfirm'),
                danger: true,
              });
              if (yes) remove.mutate();
            }}
          >
            {t('actions.delete')}
          </Button>
        </Group>
      )}
      {error && (
        <Alert mt="sm" color="red" role="alert">
          {error.message}
        </Alert>
      )}
    </Paper>
  );
}
