// The fleet as a table: one sortable row per node, virtualized so ten thousand rows scroll smoothly
// while they update about once a second; a group's heading is a row of its own. A row's cells are
// memoized on what they show: scrolling re-renders the body at every step, and an event only the rows
// whose figures moved.
import { memo, useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { ago, bytes, percent, rate, share } from '../format';
import type { FleetLive, LiveEntry } from '../live';
import { cpuHistory } from '../live-merge';
import type { FleetUptimeIndex } from './fleet-data';
import { type Group, type ListItem, listItems, type Node, type SortKey, staleness } from './fleet-model';
import { GroupHeading } from './GroupHeading';
import { OsIcon, StatusBadge } from './node-bits';
import { Sparkline } from './Sparkline';
import { StripHover } from './StripHover';
import { UptimeStrip } from './UptimeBar';
import { type Sort, SortHeader, VirtualRows } from './VirtualTable';

const COLUMNS: SortKey[] = ['status', 'name', 'cpu', 'memory', 'disk', 'rx', 'tx'];

export function FleetTable(props: {
  client: Client;
  groups: Group[];
  grouped: boolean;
  count: number;
  live: FleetLive;
  uptime: FleetUptimeIndex;
  staleSince: number | null;
  now: number;
  sort: Sort<SortKey>;
  onSort: (sort: Sort<SortKey>) => void;
  onOpen: (id: string) => void;
}) {
  const { groups, grouped, live, uptime, staleSince, now, onOpen } = props;
  const { t } = useTranslation('fleet');
  const items = useMemo(() => listItems(groups, 1, grouped), [groups, grouped]);
  const box = useRef<HTMLDivElement>(null);
  return (
    <div className="fleet-table" ref={box}>
      <StripHover client={props.client} container={box} uptime={uptime} />
      <table className="grid" aria-label={t('table.label')} aria-rowcount={props.count + 1}>
        <thead>
          <tr className="grid-row grid-head fleet-row">
            {COLUMNS.map((key) => (
              <SortHeader
                key={key}
                label={t(`columns.${key}`)}
                sortKey={key}
                sort={props.sort}
                onSort={props.onSort}
                descFirst={key !== 'name'}
              />
            ))}
            <th>{t('columns.uptimePeriod', { period: t(`uptime.short.${uptime.period}`) })}</th>
            <SortHeader label={t('columns.os')} sortKey="os" sort={props.sort} onSort={props.onSort} />
            <SortHeader
              label={t('columns.lastSeen')}
              sortKey="lastSeen"
              sort={props.sort}
              onSort={props.onSort}
              descFirst
            />
            <th>{t('columns.labels')}</th>
          </tr>
        </thead>
        <VirtualRows<ListItem>
          items={items}
          rowHeight={34}
          overscan={12}
          rowClass={(item) => (item.kind === 'group' ? 'grid-row fleet-group-row' : 'grid-row fleet-row')}
          rowKey={(item) => item.key}
          bodyProps={{ 'data-fleet-scroller': 'table' }}
          rowProps={(item): Record<`data-${string}`, string> => {
            if (item.kind === 'group') return { 'data-group': item.value ?? '' };
            const node = item.nodes[0];
            return node ? { 'data-node-id': node.id, 'data-stale': String(staleness(node, staleSince).stale) } : {};
          }}
        >
          {(item) => {
            if (item.kind === 'group') {
              return (
                <td>
                  <GroupHeading value={item.value} count={item.count} online={item.online} />
                </td>
              );
            }
            const node = item.nodes[0];
            if (!node) return null;
            const { stale } = staleness(node, staleSince);
            const entry = live.byNode.get(node.id);
            return (
              <FleetRow
                node={node}
                live={entry}
                rev={entry?.rev ?? -1}
                days={uptime.daysOf(node.id)}
                period={uptime.period}
                staleSince={staleSince}
                // Only a stale row shows an age (its badge and "last seen"): the others skip the clock's ticks.
                now={stale ? now : 0}
                onOpen={onOpen}
              />
            );
          }}
        </VirtualRows>
      </table>
    </div>
  );
}

interface RowProps {
  node: Node;
  /** Updated in place: `rev` says whether what the row shows of it moved. */
  live: LiveEntry | undefined;
  rev: number;
  days: ReturnType<FleetUptimeIndex['daysOf']>;
  period: FleetUptimeIndex['period'];
  staleSince: number | null;
  /** The clock, for a stale row; 0 for the others. */
  now: number;
  onOpen: (id: string) => void;
}

const sameRow = (a: RowProps, b: RowProps) =>
  a.node === b.node &&
  a.live === b.live &&
  a.rev === b.rev &&
  a.days === b.days &&
  a.period === b.period &&
  a.staleSince === b.staleSince &&
  a.now === b.now &&
  a.onOpen === b.onOpen;

const FleetRow = memo(function FleetRow({ node, live: m, days, period, staleSince, now, onOpen }: RowProps) {
  const { t } = useTranslation('fleet');
  const { stale, since } = staleness(node, staleSince);
  const seen = stale ? ago(since, now) : t('table.now');
  return (
    <>
      <td>
        <StatusBadge node={node} now={now} />
      </td>
      <td>
        <button type="button" className="link node-link" onClick={() => onOpen(node.id)}>
          {node.name}
        </button>
      </td>
      <td className="cpu">
        <span>{percent(m?.cpu)}</span>
        <Sparkline values={cpuHistory(m)} label={t('table.cpuHistory', { name: node.name })} />
      </td>
      <td title={`${bytes(m?.memUsed)} / ${bytes(m?.memTotal)}`}>
        {percent(share(m?.memUsed ?? null, m?.memTotal ?? null))}
      </td>
      <td title={`${bytes(m?.diskUsed)} / ${bytes(m?.diskTotal)}`}>
        {percent(share(m?.diskUsed ?? null, m?.diskTotal ?? null))}
      </td>
      <td>{rate(m?.rxBps)}</td>
      <td>{rate(m?.txBps)}</td>
      <td className="uptime-cell">
        {days && (
          <UptimeStrip
            days={days}
            hourly={period === '24h'}
            label={t('uptime.labelPeriod', { name: node.name, period: t(`uptime.long.${period}`) })}
          />
        )}
      </td>
      <td title={[node.os, node.agentVersion].filter(Boolean).join(' · ') || undefined}>
        <OsIcon node={node} size={16} /> {node.os ?? '—'} <span className="hint">{node.agentVersion ?? ''}</span>
      </td>
      <td className="last-seen" title={stale ? t('table.staleTitle', { age: seen }) : undefined}>
        {seen}
      </td>
      <td>
        {Object.entries(node.labels).map(([k, v]) => (
          <span key={k} className="label">
            {k}={v}
          </span>
        ))}
      </td>
    </>
  );
}, sameRow);
