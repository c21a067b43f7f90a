// The audit screen (Alt+9): who did what, newest first, filtered by person, node, operation and time;
// a virtualized list (only the visible rows are in the DOM, pages of 200 load as it scrolls) and
// CSV/JSON export — streamed from GET /api/audit/export over HTTP, paged through the API on the desktop.
import { Alert, Button, Group, NativeSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconDownload, IconSearch } from '@tabler/icons-react';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { AuditEntryView } from '../../../main/contract/audit-schemas';
import type { Client } from '../../../main/contract/contract';
import { operationNames } from '../../../main/contract/operation-names';
import { userMessage } from '../errors';
import { dateTime } from '../format';
import { toastError } from '../shell/toasts';
import { nodesQuery } from '../sync';
import { AUDIT_OUTCOME_TONE, ToneBadge } from '../theme/status-badge';
import type { Transport } from '../transport';
import { type AuditFilters, entriesToCsv, exportQuery, filtersInput } from './audit-export';
import './audit.css';

type Entry = z.output<typeof AuditEntryView>;

const PAGE = 200;
const ROW_HEIGHT = 64;

/** What an entry did, in a line: the command, the path, or the operation's own name. */
function summaryOf(entry: Entry): string {
  const detail = entry.detail as { command?: unknown; path?: unknown; input?: { path?: unknown } };
  if (typeof detail.command === 'string') return detail.command;
  if (typeof detail.path === 'string') return detail.path;
  if (typeof detail.input?.path === 'string') return detail.input.path;
  return '';
}

/** A local date-time field's value as epoch ms (undefined when empty or unreadable). */
function timeOf(value: string): number | undefined {
  if (!value) return undefined;
  const at = new Date(value).getTime();
  return Number.isFinite(at) ? at : undefined;
}

function EntryRow({ entry }: { entry: Entry }) {
  const { t } = useTranslation('audit');
  const targets = entry.targets.map((target) => target.name ?? target.id).join(', ');
  const summary = summaryOf(entry);
  return (
    <div className="audit-row" data-seq={entry.seq} data-operation={entry.operation}>
      <Group gap="xs" wrap="nowrap" className="audit-row-head">
        <Text size="sm" className="audit-time">
          {dateTime(entry.at)}
        </Text>
        <Text size="sm" fw={600} className="audit-who" title={entry.caller.address ?? undefined}>
          {entry.caller.name}
        </Text>
        <Text size="sm" className="audit-op">
          {entry.operation}
        </Text>
        <ToneBadge tone={AUDIT_OUTCOME_TONE[entry.outcome]} status={entry.outcome}>
          {entry.errorCode ? `${t(`outcome.${entry.outcome}`)}: ${entry.errorCode}` : t(`outcome.${entry.outcome}`)}
        </ToneBadge>
      </Group>
      <Text size="xs" c="dimmed" className="audit-row-detail" title={summary}>
        {[targets, summary].filter(Boolean).join(' · ') || t('list.noTarget')}
      </Text>
    </div>
  );
}

function EntryList({ entries, more, onMore }: { entries: Entry[]; more: boolean; onMore: () => void }) {
  const { t } = useTranslation('audit');
  const scroller = useRef<HTMLElement>(null);
  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const lastShown = items.at(-1)?.index ?? 0;
  // Near the end of what is loaded: the next page.
  useEffect(() => {
    if (more && lastShown >= entries.length - 20) onMore();
  }, [more, lastShown, entries.length, onMore]);
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
    <section ref={scroller} className="audit-scroller" tabIndex={0} aria-label={t('list.region')}>
      <ul aria-label={t('list.label')} className="audit-list" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => (
          <li
            key={entries[item.index]?.seq}
            className="audit-slot"
            style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
          >
            <EntryRow entry={entries[item.index] as Entry} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Saves text as a file through a temporary link (the page's own Blob URL). */
function saveText(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function Audit({ client, transport }: { client: Client; transport: Transport }) {
  const { t } = useTranslation('audit');
  const nodes = useQuery(nodesQuery(client));
  const [person, setPerson] = useState('');
  const [nodeId, setNodeId] = useState('');
  const [operation, setOperation] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [exporting, setExporting] = useState<'csv' | 'json' | null>(null);
  const filters: AuditFilters = useMemo(
    () => ({
      person: person.trim() || undefined,
      nodeId: nodeId || undefined,
      operation: operation || undefined,
      from: timeOf(from),
      to: timeOf(to),
    }),
    [person, nodeId, operation, from, to],
  );
  const list = useInfiniteQuery({
    queryKey: ['audit', filters],
    queryFn: ({ pageParam }) => client.listAuditEntries({ ...filtersInput(filters), limit: PAGE, before: pageParam }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => (last.length < PAGE ? undefined : last.at(-1)?.seq),
    // No event says the log grew: coming back to the screen asks again (the old list shows meanwhile).
    refetchOnMount: 'always',
  });
  const entries = useMemo(() => list.data?.pages.flat() ?? [], [list.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  const onMore = useMemo(
    () => () => {
      if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
    },
    [hasNextPage, isFetchingNextPage, fetchNextPage],
  );

  const download = async (format: 'csv' | 'json') => {
    setExporting(format);
    try {
      const name = `fleetdeck-audit.${format}`;
      if (transport.fetchText) {
        saveText(
          await transport.fetchText(`/api/audit/export?${exportQuery(filters, format)}`),
          name,
          `text/${format}`,
        );
      } else {
        // The desktop app: paged through the API (the stream route is the admin server's).
        const all: Entry[] = [];
        let before: number | undefined;
        for (;;) {
          const page = await client.listAuditEntries({ ...filtersInput(filters), limit: 500, before });
          all.push(...page);
          if (page.length < 500 || all.length >= 100_000) break;
          before = page.at(-1)?.seq;
        }
        saveText(format === 'csv' ? entriesToCsv(all) : JSON.stringify(all, null, 1), name, `text/${format}`);
      }
    } catch (error) {
      toastError(error, t('export.failed'));
    } finally {
      setExporting(null);
    }
  };

  return (
    <Stack gap="md" className="audit-screen">
      <Title order={1} size="h2">
        {t('title')}
      </Title>
      <Paper withBorder p="sm">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <TextInput
            label={t('filter.person')}
            placeholder={t('filter.personHint')}
            leftSection={<IconSearch size={14} />}
            value={person}
            onChange={(e) => setPerson(e.currentTarget.value)}
          />
          <NativeSelect
            label={t('filter.node')}
            value={nodeId}
            onChange={(e) => setNodeId(e.currentTarget.value)}
            data={[
              { value: '', label: t('filter.anyNode') },
              ...(nodes.data ?? []).map((n) => ({ value: n.id, label: n.name })),
            ]}
          />
          <NativeSelect
            label={t('filter.operation')}
            value={operation}
            onChange={(e) => setOperation(e.currentTarget.value)}
            data={[
              { value: '', label: t('filter.anyOperation') },
              ...['signIn', 'downloadFile', 'downloadByTicket', 'uploadFile', ...operationNames].map((o) => ({
                value: o,
                label: o,
              })),
            ]}
          />
          <TextInput
            type="datetime-local"
            label={t('filter.from')}
            value={from}
            onChange={(e) => setFrom(e.currentTarget.value)}
          />
          <TextInput
            type="datetime-local"
            label={t('filter.to')}
            value={to}
            onChange={(e) => setTo(e.currentTarget.value)}
          />
          <Button
            variant="light"
            leftSection={<IconDownload size={16} />}
            loading={exporting === 'csv'}
            onClick={() => void download('csv')}
          >
            {t('export.csv')}
          </Button>
          <Button
            variant="light"
            leftSection={<IconDownload size={16} />}
            loading={exporting === 'json'}
            onClick={() => void download('json')}
          >
            {t('export.json')}
          </Button>
        </Group>
      </Paper>
      {list.error ? (
        <Alert color="red" title={t('list.failed')}>
          {userMessage(list.error)}
        </Alert>
      ) : list.isPending ? (
        <Text c="dimmed">{t('list.loading')}</Text>
      ) : entries.length === 0 ? (
        <Text c="dimmed">{t('list.empty')}</Text>
      ) : (
        <>
          <Text size="sm" c="dimmed" aria-live="polite">
            {hasNextPage ? t('list.countMore', { count: entries.length }) : t('list.count', { count: entries.length })}
          </Text>
          <EntryList entries={entries} more={hasNextPage === true} onMore={onMore} />
        </>
      )}
    </Stack>
  );
}
