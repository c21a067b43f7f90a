// One node's files: breadcrumbs and a typed path, a name filter with the item count, the sorted
// listing, a text preview that opens the editor, uploads (picked files, a picked folder, or anything
// dropped on the pane) into the transfer queue, downloads to disk, copies to another node, and
// create, rename and delete. Agents without files:write show no change actions.
import { ActionIcon, Alert, Anchor, Breadcrumbs, Button, Group, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { IconArrowUp, IconFilter, IconFolderPlus, IconFolderUp, IconRefresh, IconUpload } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { useDialogs } from '../dialogs';
import { latestError } from '../errors';
import type { Sort } from '../fleet/VirtualTable';
import { number } from '../format';
import { updatePlace, usePlace } from '../shell/navigation';
import { type PaletteAction, usePaletteActions } from '../shell/palette';
import type { Transport } from '../transport';
import { CopyDialog } from './CopyDialog';
import { type Dropped, readDrop, readPickedFolder, TooManyFiles } from './drop';
import { Editor } from './Editor';
import classes from './files.module.css';
import { Listing, type SortKey } from './Listing';
import { Preview } from './Preview';
import { crumbs, joinPath, matchesFilter, nameOf, parentOf } from './paths';
import { nameProblem, problemText } from './problems';
import { transferQueueOf } from './transfer-queue';

export type Entry = OutputOf<'listFiles'>['entries'][number];
export interface NodeRef {
  id: string;
  name: string;
}

/** Entries shown at most (pages of 5,000 until then). */
const MAX_SHOWN = 50_000;

function sortEntries(entries: readonly Entry[], sort: Sort<SortKey>): Entry[] {
  const dir = sort.desc ? -1 : 1;
  return [...entries].sort((a, b) => {
    const da = a.type === 'directory' ? 0 : 1;
    const db = b.type === 'directory' ? 0 : 1;
    if (da !== db) return da - db;
    const va = sort.key === 'name' ? a.name.toLowerCase() : a[sort.key];
    const vb = sort.key === 'name' ? b.name.toLowerCase() : b[sort.key];
    return va < vb ? -dir : va > vb ? dir : 0;
  });
}

export function Browser({
  client,
  transport,
  node,
  roots,
  writable,
  nodes,
}: {
  client: Client;
  transport: Transport;
  node: NodeRef;
  roots: string[];
  writable: boolean;
  /** Connected nodes that share files: the destinations of a copy. */
  nodes: OutputOf<'listNodes'>;
}) {
  const { t } = useTranslation('files');
  const queryClient = useQueryClient();
  const dialogs = useDialogs();
  const queue = transferQueueOf(transport);
  const [path, setPath] = useState(roots[0] ?? '/');
  const [typed, setTyped] = useState(path);
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<Sort<SortKey>>({ key: 'name', desc: false });
  const [preview, setPreview] = useState<Entry | null>(null);
  const [editing, setEditing] = useState<Entry | null>(null);
  const [copying, setCopying] = useState<Entry | null>(null);
  const [dragging, setDragging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const filePicker = useRef<HTMLInputElement>(null);
  const folderPicker = useRef<HTMLInputElement>(null);
  const filterInput = useRef<HTMLInputElement>(null);
  const listing = useQuery({
    queryKey: ['files', node.id, path],
    queryFn: async () => {
      const entries: Entry[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listFiles({ id: node.id, path, cursor, limit: 5_000 });
        entries.push(...page.entries);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && entries.length < MAX_SHOWN);
      return { entries, truncated: cursor !== undefined };
    },
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['files', node.id] });
  const open = (next: string) => {
    setPath(next);
    setTyped(next);
    setPreview(null);
    setFilter('');
  };
  const all = listing.data?.entries ?? [];
  const shown = useMemo(
    () =>
      sortEntries(
        all.filter((e) => matchesFilter(e.name, filter)),
        sort,
      ),
    [all, filter, sort],
  );

  const mkdir = useMutation({
    mutationFn: (name: string) => client.makeDirectory({ id: node.id, path: joinPath(path, name), parents: false }),
    onSuccess: refresh,
  });
  const rename = useMutation({
    mutationFn: ({ from, to }: { from: string; to: string }) => client.renameFile({ id: node.id, from, to }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (entry: Entry) =>
      client.deleteFile({ id: node.id, path: entry.path, recursive: entry.type === 'directory' }),
    onSuccess: refresh,
  });
  const failed = latestError([mkdir, rename, remove]);

  /** Queues one file; when it exists, asks whether to replace it (a single upload only). */
  const uploadOne = (file: File, into: string, relative: string, ask: boolean, overwrite = false) => {
    queue.upload({
      nodeId: node.id,
      path: joinPath(into, relative),
      file,
      name: relative,
      where: `${node.name}:${into}`,
      overwrite,
      settled: async (error) => {
        if (!error) return void refresh();
        if (error.code !== 'exists' || !ask || overwrite) return;
        const replace = await dialogs.confirm({
          title: t('upload.replaceTitle', { name: relative }),
          message: t('upload.replaceMessage', { name: relative, folder: into }),
          confirmLabel: t('upload.replace'),
          danger: true,
        });
        if (replace) uploadOne(file, into, relative, false, true);
      },
    });
  };

  /** Folders first (each with its parents), then every file into the queue. */
  const uploadAll = async (dropped: Dropped) => {
    const into = path;
    try {
      for (const folder of dropped.folders) {
        await client.makeDirectory({ id: node.id, path: joinPath(into, folder), parents: true });
      }
    } catch (error) {
      setNotice(problemText(t, error, nameOf(dropped.folders[0] ?? '')));
      return;
    }
    if (dropped.folders.length > 0) void refresh();
    const single = dropped.files.length === 1;
    for (const { file, relative } of dropped.files) uploadOne(file, into, relative, single);
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (!writable) return setNotice(t('readOnly'));
    readDrop(event.dataTransfer).then(uploadAll, (error: unknown) =>
      setNotice(error instanceof TooManyFiles ? t('upload.tooMany') : problemText(t, error)),
    );
  };

  const newFolder = async () => {
    const name = await dialogs.prompt({
      title: t('mkdir.title', { folder: path }),
      label: t('mkdir.label'),
      confirmLabel: t('mkdir.confirm'),
      validate: (value) => nameProblem(t, value),
    });
    if (name) mkdir.mutate(name);
  };
  useFilesPalette({
    folder: path,
    writable,
    newFolder,
    refresh: () => void refresh(),
    up: () => path !== '/' && open(parentOf(path)),
    pickFiles: () => filePicker.current?.click(),
    pickFolder: () => folderPicker.current?.click(),
    focusFilter: () => filterInput.current?.focus(),
  });
  // "Upload files to <node>" in the palette: the picker opens once this node's listing is here.
  const place = usePlace();
  useEffect(() => {
    if (!place.filesUpload || place.filesNode !== node.id || !writable) return;
    updatePlace({ filesUpload: false });
    filePicker.current?.click();
  }, [place.filesUpload, place.filesNode, node.id, writable]);

  const go = (event: FormEvent) => {
    event.preventDefault();
    open(typed.trim() || '/');
  };

  const actions = {
    open: (e: Entry) => (e.type === 'directory' ? open(e.path) : setPreview(e)),
    download: (e: Entry) =>
      void queue
        .download(node.id, e.path, e.name, `${node.name}:${parentOf(e.path)}`)
        .catch((error: unknown) => setNotice(problemText(t, error, e.name))),
    edit: (e: Entry) => setEditing(e),
    copy: (e: Entry) => setCopying(e),
    rename: async (e: Entry) => {
      const to = await dialogs.prompt({
        title: t('rename.title', { name: e.name }),
        label: t('rename.label'),
        initial: e.name,
        confirmLabel: t('rename.confirm'),
        validate: (value) => nameProblem(t, value),
      });
      if (to && to !== e.name) rename.mutate({ from: e.path, to: joinPath(parentOf(e.path), to) });
    },
    remove: async (e: Entry) => {
      const yes = await dialogs.confirm({
        title: t('delete.title', { name: e.name }),
        message: e.type === 'directory' ? t('delete.folder', { name: e.name }) : t('delete.file', { name: e.name }),
        confirmLabel: t('delete.confirm'),
        danger: true,
      });
      if (yes) remove.mutate(e);
    },
  };

  return (
    <Stack
      component="section"
      gap="xs"
      className={classes.browser}
      data-dragging={dragging || undefined}
      aria-label={t('browser.label', { node: node.name })}
      onDragOver={(e) => {
        e.preventDefault();
        if (writable && !dragging) setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <nav aria-label={t('browser.crumbs')}>
        <Breadcrumbs separator="/" separatorMargin={4} className={classes.crumbs}>
          {crumbs(path).map((c) => (
            <Anchor key={c.path} component="button" type="button" size="sm" onClick={() => open(c.path)}>
              {c.label}
            </Anchor>
          ))}
        </Breadcrumbs>
      </nav>
      <Group gap="xs" wrap="wrap" className={classes.toolbar}>
        <form onSubmit={go} className={classes.pathForm}>
          <TextInput
            aria-label={t('browser.path')}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            className={classes.pathInput}
          />
          <Button type="submit" variant="default">
            {t('browser.go')}
          </Button>
        </form>
        <Tooltip label={t('browser.up')}>
          <ActionIcon
            variant="default"
            size="lg"
            aria-label={t('browser.up')}
            onClick={() => open(parentOf(path))}
            disabled={path === '/'}
          >
            <IconArrowUp size={18} />
          </ActionIcon>
        </Tooltip>
        <Tooltip label={t('browser.refresh')}>
          <ActionIcon variant="default" size="lg" aria-label={t('browser.refresh')} onClick={() => void refresh()}>
            <IconRefresh size={18} />
          </ActionIcon>
        </Tooltip>
        <TextInput
          ref={filterInput}
          aria-label={t('browser.filter')}
          placeholder={t('browser.filterPlaceholder')}
          leftSection={<IconFilter size={16} />}
          value={filter}
          onChange={(e) => setFilter(e.currentTarget.value)}
          className={classes.filter}
        />
        {writable && (
          <Group gap="xs" wrap="wrap">
            <Button variant="default" leftSection={<IconFolderPlus size={16} />} onClick={() => void newFolder()}>
              {t('mkdir.button')}
            </Button>
            <Button leftSection={<IconUpload size={16} />} onClick={() => filePicker.current?.click()}>
              {t('upload.files')}
            </Button>
            <Button
              variant="light"
              leftSection={<IconFolderUp size={16} />}
              onClick={() => folderPicker.current?.click()}
            >
              {t('upload.folder')}
            </Button>
            <input
              ref={filePicker}
              type="file"
              multiple
              hidden
              aria-label={t('upload.filesInput')}
              onChange={(e) => {
                const picked = [...(e.currentTarget.files ?? [])];
                e.currentTarget.value = '';
                void uploadAll({ files: picked.map((file) => ({ relative: file.name, file })), folders: [] });
              }}
            />
            <input
              ref={folderPicker}
              type="file"
              hidden
              aria-label={t('upload.folderInput')}
              // React does not know the attribute; every engine the UI runs in does.
              {...{ webkitdirectory: '' }}
              onChange={(e) => {
                const files = e.currentTarget.files;
                e.currentTarget.value = '';
                if (!files) return;
                try {
                  void uploadAll(readPickedFolder(files));
                } catch {
                  setNotice(t('upload.tooMany'));
                }
              }}
            />
          </Group>
        )}
      </Group>
      <Group justify="space-between" gap="xs">
        <Text size="sm" c="dimmed" aria-live="polite" data-testid="item-count">
          {listing.data
            ? filter.trim()
              ? t('browser.countFiltered', {
                  shown: number(shown.length),
                  total: number(all.length),
                  count: all.length,
                })
              : t('browser.count', { count: all.length, total: number(all.length) })
            : ' '}
        </Text>
        {!writable && (
          <Text size="sm" c="dimmed">
            {t('readOnly')}
          </Text>
        )}
        {writable && (
          <Text size="sm" c="dimmed" className={classes.dropHint}>
            {t('upload.dropHint')}
          </Text>
        )}
      </Group>
      {(listing.error || failed || notice) && (
        <Alert
          color="red"
          role="alert"
          withCloseButton={!!notice && !listing.error && !failed}
          onClose={() => setNotice(null)}
        >
          {listing.error ? problemText(t, listing.error, path) : failed ? problemText(t, failed) : notice}
        </Alert>
      )}
      <div className={classes.layout} data-preview={preview ? true : undefined}>
        <Listing
          entries={shown}
          sort={sort}
          onSort={setSort}
          writable={writable}
          canCopy={nodes.some((n) => n.capabilities?.filesWrite)}
          actions={actions}
        />
        {preview && (
          <Preview
            client={client}
            nodeId={node.id}
            entry={preview}
            writable={writable}
            onEdit={() => setEditing(preview)}
            onClose={() => setPreview(null)}
          />
        )}
      </div>
      {listing.data?.truncated && (
        <Text size="sm" c="dimmed">
          {t('browser.truncated', { count: number(MAX_SHOWN) })}
        </Text>
      )}
      {listing.data && all.length === 0 && (
        <Text size="sm" c="dimmed">
          {t('browser.empty')}
        </Text>
      )}
      {listing.data && all.length > 0 && shown.length === 0 && (
        <Text size="sm" c="dimmed">
          {t('browser.noMatch', { filter })}
        </Text>
      )}
      {dragging && (
        <div className={classes.dropOverlay} aria-hidden>
          <IconUpload size={40} />
          <Text fw={600}>{t('upload.dropHere', { folder: path })}</Text>
        </div>
      )}
      {editing && (
        <Editor
          client={client}
          transport={transport}
          node={node}
          entry={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            void refresh();
            void queryClient.invalidateQueries({ queryKey: ['preview', node.id, editing.path] });
          }}
        />
      )}
      {copying && (
        <CopyDialog
          client={client}
          transport={transport}
          source={{ node, entry: copying }}
          nodes={nodes}
          onClose={() => setCopying(null)}
        />
      )}
    </Stack>
  );
}

interface FilesCommands {
  folder: string;
  writable: boolean;
  newFolder(): void;
  refresh(): void;
  up(): void;
  pickFiles(): void;
  pickFolder(): void;
  focusFilter(): void;
}

/** The Files screen's actions in the palette, with their shortcuts (bound while the screen shows). */
function useFilesPalette(commands: FilesCommands): void {
  const { t } = useTranslation('files');
  const { t: tc } = useTranslation();
  // The latest handlers, so the list re-registers only when what it says changes.
  const latest = useRef(commands);
  latest.current = commands;
  const { folder, writable } = commands;
  usePaletteActions(
    useMemo<PaletteAction[]>(() => {
      const group = tc('palette.groups.actions');
      const run = (name: keyof Omit<FilesCommands, 'folder' | 'writable'>) => () => latest.current[name]();
      const always: PaletteAction[] = [
        { id: 'files:filter', group, label: t('palette.filter'), shortcut: 'alt+shift+f', run: run('focusFilter') },
        { id: 'files:refresh', group, label: t('palette.refresh'), shortcut: 'alt+shift+r', run: run('refresh') },
        { id: 'files:up', group, label: t('palette.up'), shortcut: 'alt+arrowup', run: run('up') },
      ];
      if (!writable) return always;
      return [
        {
          id: 'files:upload',
          group,
          label: t('palette.upload', { folder }),
          shortcut: 'alt+shift+u',
          run: run('pickFiles'),
        },
        { id: 'files:upload-folder', group, label: t('palette.uploadFolder', { folder }), run: run('pickFolder') },
        {
          id: 'files:mkdir',
          group,
          label: t('palette.mkdir', { folder }),
          shortcut: 'alt+shift+n',
          run: run('newFolder'),
        },
        ...always,
      ];
    }, [t, tc, folder, writable]),
  );
}
