// The text preview beside the listing (the first 64 KiB), with the way into the editor for a text
// file small enough to edit.
import { Alert, Button, CloseButton, Group, Paper, ScrollArea, Text } from '@mantine/core';
import { IconEdit } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import type { Entry } from './Browser';
import classes from './files.module.css';
import { EDITABLE_BYTES } from './Listing';
import { problemText } from './problems';

export function Preview({
  client,
  nodeId,
  entry,
  writable,
  onEdit,
  onClose,
}: {
  client: Client;
  nodeId: string;
  entry: Entry;
  writable: boolean;
  onEdit: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation('files');
  const preview = useQuery({
    queryKey: ['preview', nodeId, entry.path, entry.mtime],
    queryFn: () => client.previewFile({ id: nodeId, path: entry.path }),
    retry: false,
  });
  const editable = writable && entry.type === 'file' && entry.size <= EDITABLE_BYTES && !preview.error;
  return (
    <Paper
      withBorder
      p="sm"
      className={classes.preview}
      component="aside"
      aria-label={t('preview.label', { name: entry.name })}
    >
      <Group justify="space-between" wrap="nowrap" mb="xs">
        <Text fw={600} truncate>
          {entry.name}
        </Text>
        <Group gap="xs" wrap="nowrap">
          {editable && (
            <Button size="xs" variant="light" leftSection={<IconEdit size={14} />} onClick={onEdit}>
              {t('actions.edit')}
            </Button>
          )}
          <CloseButton aria-label={t('preview.close')} onClick={onClose} />
        </Group>
      </Group>
      {preview.error && (
        <Alert color="gray" role="status">
          {problemText(t, preview.error, entry.name)}
        </Alert>
      )}
      {preview.data && (
        <ScrollArea.Autosize mah="60vh">
          <pre className={classes.previewText}>{preview.data.text}</pre>
          {preview.data.truncated && (
            <Text size="sm" c="dimmed">
              {t('preview.truncated')}
            </Text>
          )}
        </ScrollArea.Autosize>
      )}
    </Paper>
  );
}
