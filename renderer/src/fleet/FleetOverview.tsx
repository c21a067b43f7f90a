// The fleet at a glance: totals, add or install nodes, then every node as a table or as cards
// (switchable, remembered; cards on narrow screens), searchable, filterable by status, sortable and
// grouped by a label of the user's choice. Live numbers arrive with the ≈1 Hz metrics event; only the
// list (FleetList) subscribes to them and to the clock, so the toolbar and the panels above it do not
// re-render every second (with 10,000 nodes the event's work is what decides the frame rate).
import { Alert, Group, SegmentedControl, Select, Text, TextInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconLayoutGrid, IconSearch, IconTable } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useCallback, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { AddNode, type Credentials, CredentialsPanel } from '../AddNode';
import { useNow } from '../clock';
import { useStaleSince } from '../connection';
import { bytes, number, timeOfDay } from '../format';
import { AgentRolloutPanel } from '../install/AgentRollout';
import { SshInstall } from '../install/SshInstall';
import { useFleetLive } from '../live';
import { type PaletteAction, usePaletteActions } from '../shell/palette';
import { nodesQuery } from '../sync';
import type { Transport } from '../transport';
import { FleetCards } from './FleetCards';
import { FleetTable } from './FleetTable';
import {
  type CycleTraffic,
  type FleetUptimeIndex,
  savedUptimePeriod,
  saveUptimePeriod,
  UPTIME_PERIODS,
  useFleetTransfer,
  useFleetUptime,
} from './fleet-data';
import {
  type FleetView,
  groupBy,
  LIVE_SORTS,
  labelKeys,
  matches,
  type Node,
  type SortKey,
  savedGroup,
  savedView,
  saveGroup,
  saveView,
  sortNodes,
} from './fleet-model';
import type { Sort } from './VirtualTable';

const EMPTY: Node[] = [];

function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

type StatusFilter = 'all' | Node['status'];
/** The cards have no column headers: the same orders, highest first except for names. */
const CARD_SORTS: SortKey[] = ['name', 'status', 'cpu', 'memory', 'disk', 'rx', 'tx', 'lastSeen'];

export function FleetOverview({
  client,
  transport,
  onOpen,
}: {
  client: Client;
  transport: Transport;
  onOpen: (nodeId: string) => void;
}) {
  const { t } = useTranslation('fleet');
  const queryClient = useQueryClient();
  const nodes = useQuery(nodesQuery(client));
  const traffic = useQuery({
    queryKey: ['traffic', 'today'],
    queryFn: () => client.trafficReport({ from: startOfToday() }),
    refetchInterval: 60_000,
  });
  const [uptimePeriod, setUptimePeriod] = useState(savedUptimePeriod);
  const uptime = useFleetUptime(client, uptimePeriod);
  const cycle = useFleetTransfer(client);
  const [credentials, setCredentials] = useState<Credentials | null>(null);
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<StatusFilter>('all');
  const [sort, setSort] = useState<Sort<SortKey>>({ key: 'name', desc: false });
  const [chosenView, setChosenView] = useState<FleetView>(savedView);
  const [groupKey, setGroupKey] = useState<string | null>(savedGroup);
  // A phone's width has no room for the table's columns: cards, whatever was chosen on a desktop.
  const narrow = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const view: FleetView = narrow ? 'cards' : chosenView;
  const staleSince = useStaleSince(transport);
  const searchInput = useRef<HTMLInputElement>(null);
  const { t: tc } = useTranslation();
  usePaletteActions(
    useMemo<PaletteAction[]>(() => {
      const group = tc('palette.groups.actions');
      const show = (v: FleetView) => () => {
        setChosenView(v);
        saveView(v);
      };
      return [
        {
          id: 'fleet:search',
          group,
          label: t('palette.search'),
          shortcut: 'alt+shift+f',
          run: () => searchInput.current?.focus(),
        },
        ...(narrow
          ? []
          : [
              { id: 'fleet:table', group, label: t('palette.table'), shortcut: 'alt+shift+t', run: show('table') },
              { id: 'fleet:cards', group, label: t('palette.cards'), shortcut: 'alt+shift+c', run: show('cards') },
            ]),
      ];
    }, [t, tc, narrow]),
  );

  const all = nodes.data ?? EMPTY;
  const keys = useMemo(() => labelKeys(all), [all]);
  const shown = useMemo(
    () => all.filter((n) => (status === 'all' || n.status === status) && matches(n, search)),
    [all, status, search],
  );
  const grouped = groupKey !== null && keys.includes(groupKey);
  const online = useMemo(() => all.filter((n) => n.status === 'online').length, [all]);
  // The app passes a new function each render; the rows compare theirs, so they get one that stays.
  const openRef = useRef(onOpen);
  openRef.current = onOpen;
  const open = useCallback((id: string) => openRef.current(id), []);
  // The same element each render: React skips these panels (a Textarea's autosize measures the page in
  // every render of theirs) unless their own state changes.
  const tools = useMemo<ReactNode>(
    () => (
      <>
        <AddNode
          client={client}
          onCreated={(c) => {
            setCredentials(c);
            void queryClient.invalidateQueries({ queryKey: ['nodes'] });
          }}
        />
        <details className="ssh-details">
          <summary>{t('install.summary')}</summary>
          <SshInstall client={client} transport={transport} />
        </details>
        <AgentRolloutPanel client={client} />
      </>
    ),
    [client, transport, queryClient, t],
  );

  return (
    <main className="fleet">
      <Group gap="lg" mb="sm" wrap="wrap" aria-label={t('totals.label')} role="group">
        <Text>
          <Text span fw={700}>
            {number(all.length)}
          </Text>{' '}
          {t('totals.nodes', { count: all.length })}
        </Text>
        <Text data-totals="online">
          {t('totals.online', { count: online, value: number(online) })}
          {staleSince !== null && (
            <Text span c="dimmed" size="sm">
              {' '}
              {t('totals.asOf', { time: timeOfDay(staleSince) })}
            </Text>
          )}
        </Text>
        <Text data-totals="not-online">{t('totals.notOnline', { value: number(all.length - online) })}</Text>
        <Text>{t('totals.trafficToday', { rx: bytes(traffic.data?.rxBytes), tx: bytes(traffic.data?.txBytes) })}</Text>
      </Group>
      {tools}
      {credentials && (
        <CredentialsPanel
          credentials={credentials}
          live={all.find((n) => n.id === credentials.node.id)}
          onClose={() => setCredentials(null)}
        />
      )}
      {nodes.isError && (
        <Alert color="red" role="alert" mb="sm">
          {nodes.error.message}
        </Alert>
      )}
      <Group gap="sm" mb="sm" wrap="wrap" align="flex-end" className="toolbar">
        <TextInput
          ref={searchInput}
          type="search"
          aria-label={t('toolbar.search')}
          placeholder={t('toolbar.searchPlaceholder')}
          leftSection={<IconSearch size={16} aria-hidden />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          style={{ flex: '1 1 16rem' }}
        />
        <Select
          aria-label={t('toolbar.status')}
          value={status}
          onChange={(v) => setStatus((v as StatusFilter | null) ?? 'all')}
          allowDeselect={false}
          data={[
            { value: 'all', label: t('toolbar.statusAll') },
            { value: 'online', label: t('status.online') },
            { value: 'offline', label: t('toolbar.statusOffline') },
            { value: 'never-connected', label: t('status.never') },
          ]}
          w={170}
        />
        <Select
          aria-label={t('toolbar.groupBy')}
          placeholder={t('toolbar.noGrouping')}
          value={grouped ? groupKey : null}
          onChange={(v) => {
            setGroupKey(v);
            saveGroup(v);
          }}
          clearable
          data={keys.map((k) => ({ value: k, label: t('toolbar.groupByKey', { key: k }) }))}
          disabled={keys.length === 0}
          w={190}
        />
        {view === 'cards' && (
          <Select
            aria-label={t('toolbar.sortBy')}
            value={sort.key}
            onChange={(v) => v && setSort({ key: v as SortKey, desc: v !== 'name' && v !== 'os' })}
            allowDeselect={false}
            data={CARD_SORTS.map((key) => ({
              value: key,
              label: t('toolbar.sortByKey', { column: t(`columns.${key}`) }),
            }))}
            w={190}
          />
        )}
        <SegmentedControl
          aria-label={t('toolbar.uptimePeriod')}
          value={uptimePeriod}
          onChange={(v) => {
            const period = UPTIME_PERIODS.find((p) => p === v) ?? '30d';
            setUptimePeriod(period);
            saveUptimePeriod(period);
          }}
          data={UPTIME_PERIODS.map((p) => ({ value: p, label: t(`uptime.short.${p}`) }))}
        />
        {!narrow && (
          <SegmentedControl
            aria-label={t('toolbar.view')}
            value={view}
            onChange={(v) => {
              setChosenView(v as FleetView);
              saveView(v as FleetView);
            }}
            data={[
              {
                value: 'table',
                label: (
                  <Group gap={4} wrap="nowrap">
                    <IconTable size={16} aria-hidden /> {t('toolbar.table')}
                  </Group>
                ),
              },
              {
                value: 'cards',
                label: (
                  <Group gap={4} wrap="nowrap">
                    <IconLayoutGrid size={16} aria-hidden /> {t('toolbar.cards')}
                  </Group>
                ),
              },
            ]}
          />
        )}
        <Text size="sm" c="dimmed" className="hint">
          {t('toolbar.shown', { shown: shown.length, total: all.length })}
        </Text>
      </Group>
      {all.length === 0 && !nodes.isLoading ? (
        <Text c="dimmed" className="empty">
          {t('empty')}
        </Text>
      ) : (
        <FleetList
          client={client}
          transport={transport}
          view={view}
          shown={shown}
          groupKey={grouped ? groupKey : null}
          sort={sort}
          onSort={setSort}
          uptime={uptime}
          traffic={cycle.byNode}
          staleSince={staleSince}
          onOpen={open}
        />
      )}
    </main>
  );
}

/**
 * The nodes shown, as a table or cards: the part of the screen that follows the live figures (≈1 Hz)
 * and the clock (offline ages). Re-sorted on an event only when the order depends on the figures.
 */
function FleetList(props: {
  client: Client;
  transport: Transport;
  view: FleetView;
  shown: Node[];
  groupKey: string | null;
  sort: Sort<SortKey>;
  onSort: (sort: Sort<SortKey>) => void;
  uptime: FleetUptimeIndex;
  traffic: ReadonlyMap<string, CycleTraffic>;
  staleSince: number | null;
  onOpen: (id: string) => void;
}) {
  const { client, transport, shown, sort, groupKey, staleSince, onOpen } = props;
  const live = useFleetLive(client, transport);
  const now = useNow();
  // The figures' maps are updated in place: their version is what says the order may have moved.
  const liveVersion = LIVE_SORTS.has(sort.key) ? live.version : -1;
  const byNode = live.byNode;
  // biome-ignore lint/correctness/useExhaustiveDependencies: liveVersion stands for byNode's content
  const rows = useMemo(() => sortNodes(shown, sort, byNode), [shown, sort, byNode, liveVersion]);
  const groups = useMemo(() => groupBy(rows, groupKey), [rows, groupKey]);
  return props.view === 'cards' ? (
    <FleetCards
      client={client}
      groups={groups}
      grouped={groupKey !== null}
      live={live}
      uptime={props.uptime}
      traffic={props.traffic}
      staleSince={staleSince}
      now={now}
      onOpen={onOpen}
    />
  ) : (
    <FleetTable
      client={client}
      groups={groups}
      grouped={groupKey !== null}
      count={rows.length}
      live={live}
      uptime={props.uptime}
      staleSince={staleSince}
      now={now}
      sort={sort}
      onSort={props.onSort}
      onOpen={onOpen}
    />
  );
}
