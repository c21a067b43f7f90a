// The recent terminal sessions (open and ended): node, start, how long (an open one's duration runs with
// the clock), state and the recording's size with its replay button. Loading, failure and "none yet"
// are said in words: a new user learns here what a session is and how to start one.
import { Alert, Button, Group, Loader, Paper, Stack, Table, Text } from '@mantine/core';
import { IconPlayerPlay, IconPrompt } from '@tabler/icons-react';
import type { UseQueryResult } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { OutputOf } from '../../../main/contract/contract';
import { useNow } from '../clock';
import { bytes, dateTime, duration } from '../format';
import { ScrollTable } from '../shell/ScrollTable';

export type Session = OutputOf<'listTerminalSessions'>[number];

export function RecentSessions({
  sessions,
  canOpen,
  onReplay,
}: {
  sessions: UseQueryResult<Session[]>;
  /** Whether any online node allows terminals (the empty state says how to get one otherwise). */
  canOpen: boolean;
  onReplay: (session: Session) => void;
}) {
  const { t } = useTranslation('terminal');
  if (sessions.isPending) {
    return (
      <Group gap="xs" role="status">
        <Loader size="xs" />
        <Text size="sm">{t('recent.loading')}</Text>
      </Group>
    );
  }
  if (sessions.isError) {
    return (
      <Alert color="red" role="alert" title={t('recent.failed')}>
        {sessions.error.message}
      </Alert>
    );
  }
  if (sessions.data.length === 0) {
    return (
      <Paper withBorder p="md" data-testid="sessions-empty">
        <Group gap="sm" align="flex-start" wrap="nowrap">
          <IconPrompt size={24} stroke={1.5} aria-hidden />
          <Stack gap={4}>
            <Text fw={600}>{t('recent.emptyTitle')}</Text>
            <Text size="sm">{t('recent.emptyWhat')}</Text>
            <Text size="sm" c="dimmed">
              {canOpen ? t('recent.emptyHow') : t('recent.emptyHowNoNode')}
            </Text>
          </Stack>
        </Group>
      </Paper>
    );
  }
  return <SessionTable sessions={sessions.data} onReplay={onReplay} />;
}

function SessionTable({ sessions, onReplay }: { sessions: Session[]; onReplay: (session: Session) => void }) {
  const { t } = useTranslation('terminal');
  // An open session's duration grows while it is shown, not only when the list is fetched again.
  const now = useNow();
  return (
    <ScrollTable label={t('sessions')} minWidth={640}>
      <Table striped aria-label={t('sessions')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('node')}</Table.Th>
            <Table.Th>{t('started')}</Table.Th>
            <Table.Th>{t('duration')}</Table.Th>
            <Table.Th>{t('state')}</Table.Th>
            <Table.Th>{t('recording')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sessions.map((s) => (
            <Table.Tr key={s.id} data-session-id={s.id}>
              <Table.Td>{s.nodeName}</Table.Td>
              <Table.Td>{dateTime(s.startedAt)}</Table.Td>
              <Table.Td>{duration(Math.max(0, (s.endedAt ?? now) - s.startedAt) / 1000)}</Table.Td>
              <Table.Td>
                {s.state === 'ended' ? (s.message ?? t(`ended.${s.endReason ?? 'closed'}`)) : t(`states.${s.state}`)}
              </Table.Td>
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  {bytes(s.recordedBytes)}
                  {s.recordedBytes > 0 && (
                    <Button
                      size="compact-xs"
                      variant="light"
                      leftSection={<IconPlayerPlay size={12} />}
                      aria-label={t('replay.open', { node: s.nodeName, at: dateTime(s.startedAt) })}
                      onClick={() => onReplay(s)}
                    >
                      {t('replay.button')}
                    </Button>
                  )}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}
