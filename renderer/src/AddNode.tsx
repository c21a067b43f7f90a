// Adding a node. "Get an install line": an enrollment code and the curl/wget line that installs and
// enrolls the agent on the host (install/InstallLine.tsx). "Create": the node now, its token and the
// agent command shown once, for installing the agent by hand; the panel turns green when it connects.
import { Button, Code, CopyButton, Group, NumberInput, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../main/contract/contract';
import { type CreatedCode, InstallLinePanel } from './install/InstallLine';
import { nodesQuery } from './sync';

type Node = OutputOf<'listNodes'>[number];
export type Credentials = OutputOf<'createNode'>;

export function AddNode({ client, onCreated }: { client: Client; onCreated: (c: Credentials) => void }) {
  const { t } = useTranslation('install');
  const [name, setName] = useState('');
  const [hosts, setHosts] = useState<number>(1);
  const [line, setLine] = useState<CreatedCode | null>(null);
  const nodes = useQuery(nodesQuery(client));
  const create = useMutation({
    mutationFn: () => client.createNode({ name }),
    onSuccess: (c) => {
      setName('');
      onCreated(c);
    },
  });
  const enroll = useMutation({
    mutationFn: () => client.createEnrollmentCode(hosts > 1 ? { maxUses: hosts } : { name }),
    onSuccess: (created) => {
      setName('');
      setLine(created);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    enroll.mutate();
  };
  const error = create.error ?? enroll.error;
  const batch = hosts > 1;
  return (
    <Stack gap="sm" className="add-node">
      <form onSubmit={submit}>
        <Group align="flex-end" wrap="wrap">
          <TextInput
            id="node-name"
            label={t('addNode')}
            placeholder={t('namePlaceholder')}
            value={name}
            disabled={batch}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <NumberInput
            label={t('batchSize')}
            min={1}
            max={1000}
            w={120}
            value={hosts}
            onChange={(v) => setHosts(typeof v === 'number' && v >= 1 ? Math.floor(v) : 1)}
          />
          <Button type="submit" disabled={(!batch && !name.trim()) || enroll.isPending} loading={enroll.isPending}>
            {t('installLine')}
          </Button>
          <Button
            variant="default"
            disabled={batch || !name.trim() || create.isPending}
            loading={create.isPending}
            onClick={() => create.mutate()}
          >
            {t('create')}
          </Button>
        </Group>
        <Text size="xs" c="dimmed" mt={4}>
          {t('createHint')} {t('batchHint')}
        </Text>
      </form>
      {error && (
        <Text role="alert" c="red" size="sm" className="error">
          {error.message}
        </Text>
      )}
      {line && (
        <InstallLinePanel client={client} created={line} nodes={nodes.data ?? []} onClose={() => setLine(null)} />
      )}
    </Stack>
  );
}

export function CredentialsPanel({
  credentials,
  live,
  onClose,
}: {
  credentials: Credentials;
  live: Node | undefined;
  onClose: () => void;
}) {
  const { t } = useTranslation('install');
  const online = live?.status === 'online';
  return (
    <Paper withBorder p="md" className={`credentials ${online ? 'online' : ''}`} aria-live="polite">
      <Stack gap="sm">
        <Text>
          <Trans
            t={t}
            i18nKey="tokenRun"
            values={{ name: credentials.node.name }}
            components={{ strong: <strong /> }}
          />
        </Text>
        <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
          {credentials.agentCommand}
        </Code>
        <Group>
          <CopyButton value={credentials.agentCommand}>
            {({ copied, copy }) => (
              <Button variant="light" onClick={copy}>
                {copied ? t('copied') : t('copy')}
              </Button>
            )}
          </CopyButton>
          <Button variant="default" onClick={onClose}>
            {t('done')}
          </Button>
        </Group>
        <Text size="sm" c={online ? 'var(--ok)' : 'dimmed'} className="hint">
          {online ? t('connected') : t('waiting')}
        </Text>
      </Stack>
    </Paper>
  );
}
