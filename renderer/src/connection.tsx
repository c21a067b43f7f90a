// The UI's own connection to the master: a banner while the event stream is down (with the retry
// countdown and a "Retry now" button), and a hook screens use to stop presenting values as live.
import { Alert, Button, Group, Text } from '@mantine/core';
import { IconPlugConnectedX } from '@tabler/icons-react';
import { useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { useNow } from './clock';
import type { Connection } from './events';
import { timeOfDay } from './format';
import type { Transport } from './transport';

export function useConnection(transport: Transport): Connection {
  return useSyncExternalStore(
    (onChange) => transport.events.onConnection(onChange),
    () => transport.events.connection,
  );
}

/** When the shown values stopped being live (the outage's start), or null while connected. */
export function useStaleSince(transport: Transport): number | null {
  const connection = useConnection(transport);
  return connection.state === 'lost' ? connection.since : null;
}

export function ConnectionBanner({ transport }: { transport: Transport }) {
  const { t } = useTranslation();
  const connection = useConnection(transport);
  const now = useNow();
  if (connection.state !== 'lost') return null;
  const seconds = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
  return (
    <Alert
      role="alert"
      color="red"
      variant="light"
      className="connection-lost"
      icon={<IconPlugConnectedX size={20} stroke={1.5} />}
      mb="md"
    >
      <Group justify="space-between" gap="sm">
        <Text size="sm">{t('connection.lost', { seconds, since: timeOfDay(connection.since) })}</Text>
        <Button size="xs" variant="default" onClick={() => transport.events.retryNow()}>
          {t('connection.retry')}
        </Button>
      </Group>
    </Alert>
  );
}
