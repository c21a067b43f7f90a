// The fleet as cards: status, usage bars, network rates, host uptime, this cycle's traffic, the OS and a
// compact uptime bar per node (24 h, 30 or 90 days, as chosen in the toolbar). Virtualized by rows of cards (as many per row as the width
// takes), so ten thousand live nodes scroll as smoothly as the table. A card is memoized on what it
// shows: an event re-renders only the cards whose figures moved.
import { UnstyledButton } from '@mantine/core';
import { useElementSize } from '@mantine/hooks';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { bytes, duration, rate, share } from '../format';
import type { FleetLive, LiveEntry } from '../live';
import type { CycleTraffic, FleetUptimeIndex } from './fleet-data';
import { listItems, type Node, type Group as NodeGroup, staleness } from './fleet-model';
import { GroupHeading } from './GroupHeading';
import { Meter, OsIcon, StatusBadge } from './node-bits';
import { UptimeBar } from './UptimeBar';

const CARD_MIN_WIDTH = 272;
const CARD_GAP = 12;
const ROW_HEIGHT = 236;
const GROUP_HEIGHT = 40;

export function FleetCards(props: {
  client: Client;
  groups: NodeGroup[];
  grouped: boolean;
  live: FleetLive;
  uptime: FleetUptimeIndex;
  traffic: ReadonlyMap<string, CycleTraffic>;
  staleSince: number | null;
  now: number;
  onOpen: (id: string) => void;
}) {
  const { groups, grouped } = props;
  const { ref: sizer, width } = useElementSize();
  const perRow = Math.max(1, Math.floor((width + CARD_GAP) / (CARD_MIN_WIDTH + CARD_GAP)));
  const items = useMemo(() => listItems(groups, perRow, grouped), [groups, perRow, grouped]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (items[i]?.kind === 'group' ? GROUP_HEIGHT : ROW_HEIGHT),
    getItemKey: (i) => items[i]?.key ?? i,
    overscan: 3,
  });
  const { t } = useTranslation('fleet');
  return (
    <div ref={sizer}>
      <section className="fleet-scroller" ref={scroller} data-fleet-scroller="cards" aria-label={t('cards.label')}>
        <div style={{ height: virtualizer.getTotalSize() }} />
        {virtualizer.getVirtualItems().map((row) => {
          const item = items[row.index];
          if (!item) return null;
          return (
            <div
              key={row.key}
              className="fleet-item"
              style={{ transform: `translateY(${row.start}px)`, height: row.size }}
            >
              {item.kind === 'group' ? (
                <GroupHeading value={item.value} count={item.count} online={item.online} />
              ) : (
                <div className="fleet-card-row" style={{ gridTemplateColumns: `repeat(${perRow}, minmax(0, 1fr))` }}>
                  {item.nodes.map((node) => {
                    const entry = props.live.byNode.get(node.id);
                    return (
                      <NodeCard
                        key={node.id}
                        client={props.client}
                        node={node}
                        live={entry}
                        rev={entry?.rev ?? -1}
                        hostUptime={entry?.uptimeSec == null ? '—' : duration(entry.uptimeSec)}
                        uptimeDays={props.uptime.daysOf(node.id)}
                        uptimePeriod={props.uptime.period}
                        traffic={props.traffic.get(node.id)}
                        staleSince={props.staleSince}
                        // Only an offline card shows an age (its badge): the others skip the clock's ticks.
                        now={node.status === 'offline' ? props.now : 0}
                        onOpen={props.onOpen}
                      />
                    );
                  })}
                </div>
              )}
            </div>
          );
        })}
      </section>
    </div>
  );
}

interface CardProps {
  client: Client;
  node: Node;
  /** Updated in place: `rev` says whether what the card shows of it moved. */
  live: LiveEntry | undefined;
  rev: number;
  /** The host's uptime as shown (the figure moves every second, the text every minute or so). */
  hostUptime: string;
  uptimeDays: ReturnType<FleetUptimeIndex['daysOf']>;
  uptimePeriod: FleetUptimeIndex['period'];
  traffic: CycleTraffic | undefined;
  staleSince: number | null;
  now: number;
  onOpen: (id: string) => void;
}

const sameCard = (a: CardProps, b: CardProps) =>
  a.client === b.client &&
  a.node === b.node &&
  a.uptimeDays === b.uptimeDays &&
  a.uptimePeriod === b.uptimePeriod &&
  a.traffic === b.traffic &&
  a.staleSince === b.staleSince &&
  a.now === b.now &&
  a.onOpen === b.onOpen &&
  a.live === b.live &&
  a.rev === b.rev &&
  a.hostUptime === b.hostUptime;

const NodeCard = memo(function NodeCard({
  client,
  node,
  live: m,
  hostUptime,
  uptimeDays,
  uptimePeriod,
  traffic,
  staleSince,
  now,
  onOpen,
}: CardProps) {
  const { t } = useTranslation('fleet');
  const { stale } = staleness(node, staleSince);
  // Plain elements styled as a Mantine card (fleet.css): a row of cards mounts every few frames of a
  // scroll, and Card, Group and Text each ran Mantine's style-props machinery per card (BENCHMARKS.md).
  return (
    <div className="fleet-card" data-node-id={node.id} data-stale={String(stale)}>
      <div className="fleet-card-head">
        <div className="fleet-card-title">
          <OsIcon node={node} />
          <UnstyledButton className="name" onClick={() => onOpen(node.id)} title={node.name}>
            {node.name}
          </UnstyledButton>
        </div>
        <StatusBadge node={node} now={now} />
      </div>
      <div className="fleet-card-facts">{[node.os, node.arch].filter(Boolean).join(' · ') || t('card.noFacts')}</div>
      <Meter label={t('columns.cpu')} value={m?.cpu ?? null} />
      <Meter
        label={t('columns.memory')}
        value={share(m?.memUsed ?? null, m?.memTotal ?? null)}
        title={`${bytes(m?.memUsed)} / ${bytes(m?.memTotal)}`}
      />
      <Meter
        label={t('columns.disk')}
        value={share(m?.diskUsed ?? null, m?.diskTotal ?? null)}
        title={`${bytes(m?.diskUsed)} / ${bytes(m?.diskTotal)}`}
      />
      <div className="fleet-figures">
        <span title={t('card.netTitle')}>
          ↓ {rate(m?.rxBps)} ↑ {rate(m?.txBps)}
        </span>
        <span title={t('card.uptimeTitle')}>{t('card.up', { value: hostUptime })}</span>
        <span title={t('card.cycleTitle')}>
          {t('card.cycle', { rx: bytes(traffic?.rxBytes ?? 0), tx: bytes(traffic?.txBytes ?? 0) })}
        </span>
      </div>
      {uptimeDays && (
        <UptimeBar
          days={uptimeDays}
          compact
          height={14}
          label={t('uptime.labelPeriod', { name: node.name, period: t(`uptime.long.${uptimePeriod}`) })}
          client={client}
          nodeId={node.id}
          period={uptimePeriod}
        />
      )}
    </div>
  );
}, sameCard);
