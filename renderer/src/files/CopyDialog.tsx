// "Copy to…": a file or folder to another node (or elsewhere on this one), streamed through the master.
// The copy runs there; the transfer queue follows it (speed, ETA, pause, cancel).
import { Alert, Button, Checkbox, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import type { Transport } from '../transport';
import type { Entry, NodeRef } from './Browser';
import { joinPath } from './paths';
import { nameProblem, problemText } from './problems';
import { transferQueueOf } from './transfer-queue';

export function CopyDialog({
  client,
  transport,
  source,
  nodes,
  onClose,
}: {
  client: Client;
  transport: Transport;
  source: { node: NodeRef; entry: Entry };
  nodes: OutputOf<'listNodes'>;
  onClose: () => void;
}) {
  const { t } = useTranslation('files');
  const targets = nodes.filter((n) => n.capabilities?.filesWrite);
  const first = targets.find((n) => n.id !== source.node.id) ?? targets[0];
  const [nodeId, setNodeId] = useState<string | null>(first?.id ?? null);
  const target = targets.find((n) => n.id === nodeId) ?? null;
  const [folder, setFolder] = useState(target?.capabilities?.roots[0] ?? '/');
  const [name, setName] = useState(source.entry.name);
  const [overwrite, setOverwrite] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const isFolder = source.entry.type === 'directory';
  const problem = nameProblem(t, name);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!target || problem) return;
    setBusy(true);
    setError(null);
    try {
      const to = joinPath(folder.trim() || '/', name);
      const copy = await client.startCopy({
        from: { nodeId: source.node.id, path: source.entry.path },
        to: { nodeId: target.id, path: to },
        overwrite: !isFolder && overwrite,
      });
      transferQueueOf(transport).followCopy(copy, source.entry.name, `${target.name}:${to}`);
      onClose();
    } catch (e) {
      setError(problemText(t, e, name));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      opened
      onClose={onClose}
      title={t('copy.title', { name: source.entry.name })}
      closeButtonProps={{ 'aria-label': t('copy.cancel') }}
    >
      <form onSubmit={submit}>
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            {t('copy.from', { node: source.node.name, path: source.entry.path })}
          </Text>
          <Select
            label={t('copy.node')}
            data={targets.map((n) => ({ value: n.id, label: n.name }))}
            value={nodeId}
            onChange={(id) => {
              setNodeId(id);
              const next = targets.find((n) => n.id === id);
              setFolder(next?.capabilities?.roots[0] ?? '/');
            }}
            allowDeselect={false}
            searchable
            data-autofocus
          />
          <TextInput
            label={t('copy.folder')}
            description={t('copy.folderHint', { roots: target?.capabilities?.roots.join(', ') ?? '' })}
            value={folder}
            onChange={(e) => setFolder(e.currentTarget.value)}
          />
          <TextInput
            label={t('copy.name')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={problem}
            errorProps={{ role: 'alert' }}
          />
          {isFolder ? (
            <Text size="sm" c="dimmed">
              {t('copy.folderNote')}
            </Text>
          ) : (
            <Checkbox
              label={t('copy.overwrite')}
              checked={overwrite}
              onChange={(e) => setOverwrite(e.currentTarget.checked)}
            />
          )}
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              {t('copy.cancel')}
            </Button>
            <Button type="submit" loading={busy} disabled={!target || !!problem}>
              {t('copy.start')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
