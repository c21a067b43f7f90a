// One list the Alerts tabs share (rules, silences, maintenance windows): a heading with its "new"
// button, the items as a table with a delete button per row (after a confirmation, then a refresh),
// the empty and error states, and the dialog holding the item's form.
import { ActionIcon, Button, Group, Modal, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import type { UseQueryResult } from '@tanstack/react-query';
import { type ReactNode, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { type ConfirmOptions, useDialogs } from '../dialogs';
import { toastError } from '../shell/toasts';

export interface Column<T> {
  header: string;
  cell: (item: T) => ReactNode;
}

export interface RemovableListProps<T extends { id: string }> {
  /** Above the table, beside the "new" button: a title or an introduction. */
  heading: ReactNode;
  /** The table's accessible name. */
  label: string;
  /** Shown when there are none. */
  none: string;
  newLabel: string;
  onNew: () => void;
  items: UseQueryResult<T[]>;
  columns: Array<Column<T>>;
  /** The actions column's (hidden) header. */
  actionsHeader: string;
  /** Buttons before the delete button (edit). */
  actions?: (item: T) => ReactNode;
  remove: {
    /** The delete button's accessible name. */
    label: (item: T) => string;
    confirm: (item: T) => ConfirmOptions;
    run: (item: T) => Promise<unknown>;
  };
  /** After a delete: refetch the list. */
  refresh: () => unknown;
  /** The form's dialog: open while `form` is set. */
  form: { title: string; content: ReactNode; size?: string } | null;
  onCloseForm: () => void;
}

export function RemovableList<T extends { id: string }>(props: RemovableListProps<T>) {
  const { t } = useTranslation('common');
  const dialogs = useDialogs();
  const { items, columns, remove } = props;
  // The dialog keeps its title while it animates closed (a dialog without a name is an axe failure).
  const title = useRef('');
  if (props.form) title.current = props.form.title;
  const removeItem = async (item: T) => {
    if (!(await dialogs.confirm({ danger: true, ...remove.confirm(item) }))) return;
    try {
      await remove.run(item);
      void props.refresh();
    } catch (error) {
      toastError(error);
    }
  };
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        {props.heading}
        <Button leftSection={<IconPlus size={16} />} onClick={props.onNew}>
          {props.newLabel}
        </Button>
      </Group>
      {items.error && <Text c="red">{items.error.message}</Text>}
      {items.data?.length === 0 && <Text c="dimmed">{props.none}</Text>}
      {items.data && items.data.length > 0 && (
        <Table striped highlightOnHover aria-label={props.label}>
          <Table.Thead>
            <Table.Tr>
              {columns.map((c) => (
                <Table.Th key={c.header}>{c.header}</Table.Th>
              ))}
              <Table.Th>
                <VisuallyHidden>{props.actionsHeader}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.data.map((item) => (
              <Table.Tr key={item.id}>
                {columns.map((c) => (
                  <Table.Td key={c.header}>{c.cell(item)}</Table.Td>
                ))}
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    {props.actions?.(item)}
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      aria-label={remove.label(item)}
                      onClick={() => void removeItem(item)}
                    >
                      <IconTrash size={16} />
                    </ActionIcon>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal
        closeButtonProps={{ 'aria-label': t('dialogs.close') }}
        opened={props.form !== null}
        onClose={props.onCloseForm}
        size={props.form?.size}
        title={title.current}
      >
        {props.form?.content}
      </Modal>
    </Stack>
  );
}
