// The one-line install: an enrollment code for a named node (or a batch of hosts) and the curl and
// wget lines that use it, with how long the code lives and which nodes it enrolled.
import { ActionIcon, Alert, Badge, Button, Code, CopyButton, Group, Paper, Stack, Text, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { useNow } from '../clock';
import { duration } from '../format';

export type CreatedCode = OutputOf<'createEnrollmentCode'>;
type Node = OutputOf<'listNodes'>[number];

function CopyLine({ label, line }: { label: string; line: string }) {
  const { t } = useTranslation('install');
  return (
    <Stack gap={4}>
      <Group justify="space-between" wrap="nowrap">
        <Text size="sm" fw={500}>
          {label}
        </Text>
        <CopyButton value={line}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? t('copied') : t('copy')}>
              <ActionIcon variant="subtle" onClick={copy} aria-label={t('copyLine', { label })}>
                {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      </Group>
      <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
        {line}
      </Code>
    </Stack>
  );
}

export function InstallLinePanel({
  client,
  created,
  nodes,
  onClose,
}: {
  client: Client;
  created: CreatedCode;
  nodes: Node[];
  onClose: () => void;
}) {
  const { t } = useTranslation('install');
  const now = useNow();
  // The code's uses, every 2 s while it can still enroll a host.
  const codes = useQuery({
    queryKey: ['enrollmentCodes'],
    queryFn: () => client.listEnrollmentCodes({}),
    refetchInterval: (query) =>
      query.state.data?.find((c) => c.id === created.enrollment.id)?.state === 'active' ? 2_000 : false,
  });
  const code = codes.data?.find((c) => c.id === created.enrollment.id) ?? created.enrollment;
  const enrolled = code.nodeIds.map((id) => nodes.find((n) => n.id === id)).filter((n): n is Node => !!n);
  const left = Math.max(0, Math.round((code.expiresAt - now) / 1000));
  const batch = code.maxUses > 1;
  return (
    <Paper withBorder p="md" className="install-line" aria-live="polite">
      <Stack gap="sm">
        <Group justify="space-between">
          <Text>
            {batch ? t('runOnHosts', { count: code.maxUses }) : t('runOnHost', { name: code.name ?? '' })}{' '}
            <Code>{created.code}</Code>
          </Text>
          <Badge variant="default">{t(`state.${code.state}`)}</Badge>
        </Group>
        <CopyLine label={t('curl')} line={created.install.curl} />
        <CopyLine label={t('wget')} line={created.install.wget} />
        <Text size="sm" c="dimmed">
          {t('rootHint')}
        </Text>
        {code.state === 'active' && (
          <Text size="sm">{t('expiresIn', { time: duration(left), used: code.uses, max: code.maxUses })}</Text>
        )}
        {(code.state === 'expired' || code.state === 'revoked') && code.uses === 0 && (
          <Alert color="yellow">{t('ended')}</Alert>
        )}
        {enrolled.map((n) => (
          <Text key={n.id} size="sm">
            {n.status === 'online' ? t('enrolledOnline', { name: n.name }) : t('enrolledWaiting', { name: n.name })}
          </Text>
        ))}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('done')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
