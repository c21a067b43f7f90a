// The directory listing: a sortable, virtualized table (50,000 rows stay smooth), directories first.
// Each row opens on its name and has an actions menu; on a narrow screen the row keeps its name,
// size and menu, and the other columns give way (files.module.css).
import { ActionIcon, Menu, UnstyledButton } from '@mantine/core';
import {
  IconCopy,
  IconDots,
  IconDownload,
  IconEdit,
  IconFile,
  IconFolder,
  IconLink,
  IconPencil,
  IconTrash,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { type Sort, SortHeader, VirtualRows } from '../fleet/VirtualTable';
import { bytes, dateTime } from '../format';
import type { Entry } from './Browser';
import classes from './files.module.css';

export type SortKey = 'name' | 'size' | 'mtime';

/** The editor takes text files up to this size. */
export const EDITABLE_BYTES = 1024 * 1024;

export interface EntryActions {
  open(e: Entry): void;
  download(e: Entry): void;
  edit(e: Entry): void;
  copy(e: Entry): void;
  rename(e: Entry): void;
  remove(e: Entry): void;
}

export function Listing({
  entries,
  sort,
  onSort,
  writable,
  canCopy,
  actions,
}: {
  entries: Entry[];
  sort: Sort<SortKey>;
  onSort: (s: Sort<SortKey>) => void;
  writable: boolean;
  canCopy: boolean;
  actions: EntryActions;
}) {
  const { t } = useTranslation('files');
  const header = (key: SortKey, label: string) => (
    <SortHeader label={label} sortKey={key} sort={sort} onSort={onSort} />
  );
  return (
    <table className={`grid ${classes.grid}`} aria-label={t('listing.label')} aria-rowcount={entries.length + 1}>
      <thead>
        <tr className={`grid-row grid-head ${classes.row}`}>
          {header('name', t('listing.name'))}
          {header('size', t('listing.size'))}
          {header('mtime', t('listing.modified'))}
          <th>{t('listing.mode')}</th>
          <th>{t('listing.owner')}</th>
          <th>
            <span className={classes.visuallyHidden}>{t('listing.actions')}</span>
          </th>
        </tr>
      </thead>
      <VirtualRows
        items={entries}
        rowHeight={36}
        overscan={15}
        rowClass={`grid-row ${classes.row}`}
        rowKey={(e) => e.path}
        rowProps={(e) => ({ 'data-path': e.path, 'data-type': e.type })}
      >
        {(e) => (
          <>
            <td>
              <UnstyledButton className={classes.name} onClick={() => actions.open(e)} title={e.name}>
                <EntryIcon type={e.type} />
                <span>{e.name}</span>
              </UnstyledButton>
            </td>
            <td>{e.type === 'directory' ? '—' : bytes(e.size)}</td>
            <td>{dateTime(e.mtime)}</td>
            <td>
              <code>{(e.mode & 0o777).toString(8).padStart(3, '0')}</code>
            </td>
            <td>{e.owner ?? e.uid}</td>
            <td className={classes.actionsCell}>
              <RowMenu entry={e} writable={writable} canCopy={canCopy} actions={actions} />
            </td>
          </>
        )}
      </VirtualRows>
    </table>
  );
}

function EntryIcon({ type }: { type: Entry['type'] }) {
  const Icon = type === 'directory' ? IconFolder : type === 'symlink' ? IconLink : IconFile;
  return <Icon size={16} aria-hidden className={classes.icon} data-kind={type} />;
}

function RowMenu({
  entry,
  writable,
  canCopy,
  actions,
}: {
  entry: Entry;
  writable: boolean;
  canCopy: boolean;
  actions: EntryActions;
}) {
  const { t } = useTranslation('files');
  const file = entry.type === 'file';
  return (
    <Menu position="bottom-end" withinPortal shadow="md">
      <Menu.Target>
        <ActionIcon variant="subtle" aria-label={t('listing.actionsFor', { name: entry.name })}>
          <IconDots size={18} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        {file && (
          <Menu.Item leftSection={<IconDownload size={16} />} onClick={() => actions.download(entry)}>
            {t('actions.download')}
          </Menu.Item>
        )}
        {file && writable && entry.size <= EDITABLE_BYTES && (
          <Menu.Item leftSection={<IconEdit size={16} />} onClick={() => actions.edit(entry)}>
            {t('actions.edit')}
          </Menu.Item>
        )}
        {(file || entry.type === 'directory') && canCopy && (
          <Menu.Item leftSection={<IconCopy size={16} />} onClick={() => actions.copy(entry)}>
            {t('actions.copy')}
          </Menu.Item>
        )}
        {writable && (
          <>
            <Menu.Item leftSection={<IconPencil size={16} />} onClick={() => actions.rename(entry)}>
              {t('actions.rename')}
            </Menu.Item>
            <Menu.Divider />
            <Menu.Item color="red" leftSection={<IconTrash size={16} />} onClick={() => actions.remove(entry)}>
              {t('actions.delete')}
            </Menu.Item>
          </>
        )}
      </Menu.Dropdown>
    </Menu>
  );
}
