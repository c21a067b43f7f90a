// A group's heading in the fleet view: the label's value and how many of its nodes are online.
import { Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

export function GroupHeading({ value, count, online }: { value: string | null; count: number; online: number }) {
  const { t } = useTranslation('fleet');
  return (
    <div className="fleet-group" data-group={value ?? ''}>
      <Text fw={600} component="h3" size="sm" m={0}>
        {value ?? t('group.none')}
      </Text>
      <Text size="xs" c="dimmed">
        {t('group.count', { count, online })}
      </Text>
    </div>
  );
}
