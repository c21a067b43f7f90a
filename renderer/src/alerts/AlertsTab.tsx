// Firing and recent alerts. (Filled in once the alert operations land.)
import { Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import type { Transport } from '../transport';

export function AlertsTab(_props: { client: Client; transport: Transport }) {
  const { t } = useTranslation('alerts');
  return <Text c="dimmed">{t('list.none')}</Text>;
}
