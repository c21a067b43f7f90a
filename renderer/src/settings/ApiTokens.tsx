// Settings → API tokens: the caller's tokens for scripts and CI (an unscoped administrator sees
// everyone's), a form to make one (role and label scope no wider than the caller's own; the master
// refuses wider), the new token shown once with a copy button, and revocation.
import {
  ActionIcon,
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  NumberInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ROLES, type Role } from '../../../main/contract/caller';
import type { Client } from '../../../main/contract/contract';
import { parseLabels } from '../../../main/contract/labels';
import { useAccess } from '../access';
import { useDialogs } from '../dialogs';
import { userMessage } from '../errors';
import { ago, dateTime } from '../format';
import { ScrollTable } from '../shell/ScrollTable';

export function ApiTokens({ client }: { client: Client }) {
  const { t } = useTranslation(['settings', 'common']);
  const queryClient = useQueryClient();
  const dialogs = useDialogs();
  const access = useAccess();
  // A token's last use happens elsewhere (scripts, CI), no event says so: opening the screen asks again.
  const tokens = useQuery({
    queryKey: ['apiTokens'],
    queryFn: () => client.listApiTokens({}),
    refetchOnMount: 'always',
  });
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [selector, setSelector] = useState('');
  const [days, setDays] = useState<number>(90);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => {
      const labels = parseLabels(selector);
      return client.createApiToken({
        name,
        role,
        selector: Object.keys(labels).length > 0 ? labels : null,
        expiresInDays: days,
      });
    },
    onSuccess: (made) => {
      setCreated(made.token);
      setName('');
      void queryClient.invalidateQueries({ queryKey: ['apiTokens'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => client.revokeApiToken({ id }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['apiTokens'] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate();
  };
  const askRevoke = async (id: string, tokenName: string) => {
    const yes = await dialogs.confirm({
      title: t('apiTokens.revokeTitle', { name: tokenName }),
      message: t('apiTokens.revokeMessage'),
      confirmLabel: t('apiTokens.revoke'),
      danger: true,
    });
    if (yes) revoke.mutate(id);
  };
  const roles = ROLES.filter((r) => access.may(r));
  const error = tokens.error ?? create.error ?? revoke.error;
  return (
    <Stack gap="sm" component="section" aria-labelledby="api-tokens-title">
      <Title order={2} size="h3" id="api-tokens-title">
        {t('apiTokens.title')}
      </Title>
      <Text size="sm" c="dimmed">
        {t('apiTokens.hint')}
      </Text>
      {error && (
        <Alert role="alert" color="red">
          {userMessage(error)}
        </Alert>
      )}
      <form onSubmit={submit} aria-label={t('apiTokens.create')}>
        <Group align="flex-end" gap="sm">
          <TextInput
            label={t('apiTokens.name')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            required
            maxLength={64}
          />
          <Select
            label={t('apiTokens.role')}
            data={roles.map((r) => ({ value: r, label: t(`common:access.roles.${r}`) }))}
            value={role}
            onChange={(value) => value && setRole(value as Role)}
            allowDeselect={false}
          />
          <TextInput
            label={t('apiTokens.selector')}
            placeholder="env=staging"
            value={selector}
            onChange={(e) => setSelector(e.currentTarget.value)}
          />
          <NumberInput
            label={t('apiTokens.days')}
            value={days}
            min={1}
            max={366}
            onChange={(value) => setDays(typeof value === 'number' ? value : 90)}
            w={120}
          />
          <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
            {t('apiTokens.create')}
          </Button>
        </Group>
      </form>
      {created && (
        <Alert
          color="blue"
          variant="outline"
          title={t('apiTokens.createdTitle')}
          withCloseButton
          closeButtonLabel={t('apiTokens.hideToken')}
          onClose={() => setCreated(null)}
        >
          <Stack gap={4}>
            <Text size="sm">{t('apiTokens.createdHint')}</Text>
            <Group gap="xs" wrap="nowrap">
              <Code style={{ wordBreak: 'break-all' }} data-testid="new-api-token">
                {created}
              </Code>
              <CopyButton value={created}>
                {({ copied, copy }) => (
                  <Tooltip label={copied ? t('apiTokens.copied') : t('apiTokens.copy')}>
                    <ActionIcon variant="subtle" onClick={copy} aria-label={t('apiTokens.copy')}>
                      {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                    </ActionIcon>
                  </Tooltip>
                )}
              </CopyButton>
            </Group>
          </Stack>
        </Alert>
      )}
      <ScrollTable label={t('apiTokens.title')} minWidth={560}>
        <Table verticalSpacing={6}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('apiTokens.name')}</Table.Th>
              <Table.Th>{t('apiTokens.owner')}</Table.Th>
              <Table.Th>{t('apiTokens.role')}</Table.Th>
              <Table.Th>{t('apiTokens.expires')}</Table.Th>
              <Table.Th>{t('apiTokens.lastUsed')}</Table.Th>
              <Table.Th>
                <span className="visually-hidden">{t('apiTokens.actions')}</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(tokens.data ?? []).map((token) => (
              <Table.Tr key={token.id}>
                <Table.Td>{token.name}</Table.Td>
                <Table.Td>{token.owner}</Table.Td>
                <Table.Td>
                  {t(`common:access.roles.${token.role}`)}
                  {token.selector &&
                    ` · ${Object.entries(token.selector)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(', ')}`}
                </Table.Td>
                <Table.Td>{token.revokedAt ? t('apiTokens.revoked') : dateTime(token.expiresAt)}</Table.Td>
                <Table.Td>
                  {token.lastUsedAt
                    ? `${ago(token.lastUsedAt)} · ${token.lastUsedAddress ?? ''}`
                    : t('apiTokens.never')}
                </Table.Td>
                <Table.Td>
                  {!token.revokedAt && (
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      onClick={() => void askRevoke(token.id, token.name)}
                      aria-label={t('apiTokens.revokeNamed', { name: token.name })}
                    >
                      {t('apiTokens.revoke')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
            {tokens.data?.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={6}>
                  <Text size="sm" c="dimmed">
                    {t('apiTokens.none')}
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </ScrollTable>
    </Stack>
  );
}
