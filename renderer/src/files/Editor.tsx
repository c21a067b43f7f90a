// Edit a text file in place (UTF-8, up to 1 MiB). Saving sends the size and SHA-256 of the text that
// was opened; the agent refuses to save over a file that changed on the host meanwhile, and the editor
// then offers to reload the host's version or to overwrite it with this one.
import { Alert, Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { useDialogs } from '../dialogs';
import { bytes as formatBytes, timeOfDay } from '../format';
import { ApiError, type Transport } from '../transport';
import type { Entry, NodeRef } from './Browser';
import classes from './files.module.css';
import { EDITABLE_BYTES } from './Listing';
import { problemText } from './problems';

interface Opened {
  path: string;
  text: string;
  /** What the save is guarded by: the content as it was opened (or last saved). */
  guard: { size: number; mtime: number; sha256: string } | null;
}

type Status =
  | { kind: 'editing' }
  | { kind: 'saving' }
  | { kind: 'saved'; at: number }
  | { kind: 'conflict'; message: string }
  | { kind: 'failed'; message: string };

export function Editor({
  client,
  transport,
  node,
  entry,
  onClose,
  onSaved,
}: {
  client: Client;
  transport: Transport;
  node: NodeRef;
  entry: Entry;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { t } = useTranslation('files');
  const dialogs = useDialogs();
  const file = useQuery({
    queryKey: ['edit', node.id, entry.path],
    queryFn: () => client.previewFile({ id: node.id, path: entry.path, maxBytes: EDITABLE_BYTES }),
    retry: false,
    gcTime: 0,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [opened, setOpened] = useState<Opened | null>(null);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<Status>({ kind: 'editing' });
  useEffect(() => {
    const data = file.data;
    if (!data) return;
    const guard =
      data.mtime !== undefined && data.sha256 !== undefined
        ? { size: data.size, mtime: data.mtime, sha256: data.sha256 }
        : null;
    setOpened({ path: data.path, text: data.text, guard });
    setText(data.text);
    setStatus({ kind: 'editing' });
  }, [file.data]);
  const dirty = opened !== null && text !== opened.text;
  const blocked = file.data?.truncated
    ? t('editor.tooLarge', { size: formatBytes(EDITABLE_BYTES) })
    : file.data && !opened?.guard
      ? t('editor.agentTooOld')
      : null;

  const save = async (overwrite: boolean) => {
    if (!opened || (!opened.guard && !overwrite)) return;
    const encoded = new TextEncoder().encode(text);
    if (encoded.length > EDITABLE_BYTES) {
      setStatus({ kind: 'failed', message: t('editor.tooLargeToSave', { size: formatBytes(EDITABLE_BYTES) }) });
      return;
    }
    setStatus({ kind: 'saving' });
    try {
      const written = await transport.upload(node.id, opened.path, new Blob([encoded]), {
        // Overwrite replaces whatever is there now; otherwise only the content that was opened.
        overwrite: true,
        expect: overwrite ? undefined : (opened.guard ?? undefined),
        signal: new AbortController().signal,
        onProgress: () => undefined,
      });
      const at = Date.now();
      setOpened({ path: opened.path, text, guard: { size: written.bytes, mtime: at, sha256: written.sha256 } });
      setStatus({ kind: 'saved', at });
      onSaved();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'changed') {
        setStatus({ kind: 'conflict', message: t('editor.conflict', { name: entry.name, node: node.name }) });
      } else setStatus({ kind: 'failed', message: problemText(t, error, entry.name) });
    }
  };

  const reload = () => {
    setOpened(null);
    void file.refetch();
  };

  const close = async () => {
    if (dirty) {
      const discard = await dialogs.confirm({
        title: t('editor.discardTitle'),
        message: t('editor.discardMessage', { name: entry.name }),
        confirmLabel: t('editor.discard'),
        danger: true,
      });
      if (!discard) return;
    }
    onClose();
  };

  return (
    <Modal
      opened
      onClose={() => void close()}
      title={t('editor.title', { name: entry.name, node: node.name })}
      size="xl"
      closeButtonProps={{ 'aria-label': t('editor.close') }}
    >
      <Stack gap="sm">
        {file.error && (
          <Alert color="red" role="alert">
            {problemText(t, file.error, entry.name)}
          </Alert>
        )}
        {blocked && (
          <Alert color="yellow" role="alert">
            {blocked}
          </Alert>
        )}
        {opened && !blocked && (
          <Textarea
            aria-label={t('editor.text', { name: entry.name })}
            value={text}
            onChange={(e) => {
              setText(e.currentTarget.value);
              if (status.kind === 'saved') setStatus({ kind: 'editing' });
            }}
            onKeyDown={(e) => {
              if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
                e.preventDefault();
                void save(false);
              }
            }}
            autosize
            minRows={14}
            maxRows={28}
            spellCheck={false}
            classNames={{ input: classes.editorText }}
            data-autofocus
          />
        )}
        {status.kind === 'conflict' && (
          <Alert color="red" role="alert">
            <Stack gap="xs">
              <Text size="sm" fw={700}>
                {t('editor.conflictTitle')}
              </Text>
              <Text size="sm">{status.message}</Text>
              <Group gap="xs">
                <Button size="xs" variant="default" onClick={reload}>
                  {t('editor.reload')}
                </Button>
                <Button size="xs" onClick={() => void save(true)}>
                  {t('editor.overwrite')}
                </Button>
              </Group>
            </Stack>
          </Alert>
        )}
        {status.kind === 'failed' && (
          <Alert color="red" role="alert">
            {status.message}
          </Alert>
        )}
        <Group justify="space-between">
          <Text size="sm" c="dimmed" aria-live="polite">
            {status.kind === 'saved'
              ? t('editor.savedAt', { time: timeOfDay(status.at) })
              : status.kind === 'saving'
                ? t('editor.saving')
                : dirty
                  ? t('editor.unsaved')
                  : ''}
          </Text>
          <Group gap="xs">
            <Button variant="default" onClick={() => void close()}>
              {t('editor.close')}
            </Button>
            <Button
              onClick={() => void save(false)}
              loading={status.kind === 'saving'}
              disabled={!opened || !!blocked || !dirty || status.kind === 'conflict'}
            >
              {t('editor.save')}
            </Button>
          </Group>
        </Group>
      </Stack>
    </Modal>
  );
}
