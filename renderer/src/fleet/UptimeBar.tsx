// Daily uptime as a row of bars, oldest day first: green when the day was fully up, amber and red as
// outages grow, grey before the node's first connect. Hovering a day (or moving through the days with
// the arrow keys once the bar has focus) shows that day: its uptime and its outages. The one detail,
// DayDetail, serves the node page's bar, the fleet cards' bars and the table's strips (StripHover).
import { Paper, Portal, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import {
  type CSSProperties,
  type KeyboardEvent,
  type MouseEvent,
  memo,
  type SyntheticEvent,
  useEffect,
  useId,
  useState,
} from 'react';
import { useTranslation } from 'react-i18next';
import type { UptimePeriod } from '../../../main/contract/availability-schemas';
import type { Client } from '../../../main/contract/contract';
import { dateTime, percent, timeOfDay } from '../format';
import { i18n } from '../i18n';
import { barName, uptimeDaysQuery } from './fleet-data';
import './fleet.css';

export interface UptimeDay {
  day: string;
  /** 0–1; null: not observed (before the first connect). */
  ratio: number | null;
  outageCount: number;
  /** The day's outages, when the caller has them (the node page); the fleet knows only the count. */
  outages?: ReadonlyArray<{ from: number; to: number | null; reason: string }>;
}

/** A day's class: how bad its uptime was. */
export function uptimeLevel(ratio: number | null): 'none' | 'ok' | 'minor' | 'major' | 'down' {
  if (ratio === null) return 'none';
  if (ratio >= 0.999) return 'ok';
  if (ratio >= 0.99) return 'minor';
  if (ratio >= 0.9) return 'major';
  return 'down';
}

/** Where a fleet bar's day outages come from: that node's days for the period, fetched on demand. */
export interface DaySource {
  client: Client;
  nodeId: string;
  period: UptimePeriod;
}

/** Where a floating detail goes: under the bar, or above it when the window ends below. */
function floatingPlace(box: DOMRect): CSSProperties {
  const left = Math.max(8, Math.min(box.left, window.innerWidth - 16 * 16));
  return box.bottom + 160 < window.innerHeight
    ? { left, top: box.bottom + 4 }
    : { left, bottom: window.innerHeight - box.top + 4 };
}

/** Memoized: the fleet re-renders its rows every second, the days change every few minutes. */
export const UptimeBar = memo(function UptimeBar({
  days,
  label,
  height = 24,
  compact = false,
  client,
  nodeId,
  period,
}: {
  days: readonly UptimeDay[];
  /** What the bar is, for screen readers ("Uptime of web-1, last 30 days"). */
  label: string;
  height?: number;
  /** The fleet card's small bar: thinner, without its own caption, its detail floating over the cards. */
  compact?: boolean;
  /** Given by the fleet (whose days have counts only): the day's outages are fetched for this node. */
  client?: Client;
  nodeId?: string;
  period?: UptimePeriod;
}) {
  const { t } = useTranslation('fleet');
  const [active, setActive] = useState<number | null>(null);
  const [place, setPlace] = useState<CSSProperties>({});
  const detailId = useId();
  const n = days.length;
  const anchor = (event: SyntheticEvent<HTMLDivElement>) => {
    if (compact) setPlace(floatingPlace(event.currentTarget.getBoundingClientRect()));
  };
  const pick = (event: MouseEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const i = Math.floor(((event.clientX - box.left) / Math.max(1, box.width)) * n);
    anchor(event);
    setActive(Math.min(n - 1, Math.max(0, i)));
  };
  // A floating detail stays where it was put: when anything scrolls, it would point at another card.
  useEffect(() => {
    if (!compact || active === null) return;
    const close = () => setActive(null);
    window.addEventListener('scroll', close, true);
    return () => window.removeEventListener('scroll', close, true);
  }, [compact, active]);
  const keys = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = { ArrowLeft: -1, ArrowRight: 1, Home: -n, End: n }[event.key];
    if (step === undefined) {
      if (event.key === 'Escape') setActive(null);
      return;
    }
    event.preventDefault();
    setActive((i) => Math.min(n - 1, Math.max(0, (i ?? n - 1) + step)));
  };
  const day = active === null ? undefined : days[active];
  const summary = (d: UptimeDay | undefined) =>
    d === undefined
      ? ''
      : `${d.day}: ${d.ratio === null ? t('uptime.notObserved') : t('uptime.ratio', { value: percent(d.ratio * 100) })}, ${
          d.outageCount === 0 ? t('uptime.noOutages') : t('uptime.outages', { count: d.outageCount })
        }`;
  return (
    <div className={compact ? 'uptime compact' : 'uptime'}>
      {/* A slider over the days: one tab stop, arrow keys pick a day, its summary is the value text. */}
      <div
        className="uptime-bar"
        role="slider"
        tabIndex={0}
        aria-label={label}
        aria-valuemin={1}
        aria-valuemax={Math.max(1, n)}
        aria-valuenow={(active ?? n - 1) + 1}
        aria-valuetext={summary(days[active ?? n - 1])}
        aria-describedby={day ? detailId : undefined}
        data-testid="uptime-bar"
        onMouseMove={pick}
        onMouseLeave={() => setActive(null)}
        onFocus={(event) => {
          anchor(event);
          setActive((i) => i ?? n - 1);
        }}
        onBlur={() => setActive(null)}
        onKeyDown={keys}
        style={{ height }}
      >
        {days.map((d, i) => (
          <span
            key={d.day}
            className="uptime-day"
            data-level={uptimeLevel(d.ratio)}
            data-day={d.day}
            data-active={i === active ? 'true' : undefined}
          />
        ))}
      </div>
      {day && (
        <BarDetail
          day={day}
          id={detailId}
          compact={compact}
          place={place}
          source={client && nodeId && period ? { client, nodeId, period } : undefined}
        />
      )}
    </div>
  );
});

/** The active day under its bar (the node page) or floating over the cards, its outages fetched if need be. */
function BarDetail({
  day,
  id,
  compact,
  place,
  source,
}: {
  day: UptimeDay;
  id: string;
  compact: boolean;
  place: CSSProperties;
  source: DaySource | undefined;
}) {
  const detail =
    source && !day.outages ? (
      <NodeDayDetail source={source} day={day} id={id} floating={compact} style={compact ? place : undefined} />
    ) : (
      <DayDetail day={day} id={id} floating={compact} style={compact ? place : undefined} />
    );
  return compact ? <Portal>{detail}</Portal> : detail;
}

/**
 * One node's day as the fleet shows it (a card's bar, a table strip): the fleet's answer has only each
 * day's outage count, so while a day is shown its outages are fetched for that node — the node page's
 * query by the same key, one request per node and period, not one per day.
 */
export function NodeDayDetail({
  source,
  day,
  ...rest
}: {
  source: DaySource;
  day: UptimeDay;
  id?: string;
  floating?: boolean;
  style?: CSSProperties;
}) {
  const query = useQuery(uptimeDaysQuery(source.client, source.nodeId, source.period));
  const data = query.data?.nodeId === source.nodeId ? query.data : undefined;
  // Matched by the bar's name, not its position: a day may have rolled over between the two answers.
  const full = data?.days.find((d) => barName(d, data.unit) === day.day);
  return (
    <DayDetail
      day={full ? { ...day, outages: full.outages, outageCount: full.outageCount } : day}
      loading={!full && day.outageCount > 0 && query.isPending}
      {...rest}
    />
  );
}

/** One day's uptime and outages: under a hovered bar, and over the cards' bars and the table's strips. */
export function DayDetail({
  day,
  id,
  style,
  floating = false,
  loading = false,
}: {
  day: UptimeDay;
  id?: string;
  style?: CSSProperties;
  /** Placed in the window (fixed) by the caller, over whatever scrolls. */
  floating?: boolean;
  /** The day's outages are on their way. */
  loading?: boolean;
}) {
  const { t } = useTranslation('fleet');
  return (
    <Paper
      className={floating ? 'uptime-detail floating' : 'uptime-detail'}
      shadow="md"
      p="xs"
      withBorder
      id={id}
      role="status"
      style={style}
    >
      <Text size="sm" fw={600}>
        {day.day} ·{' '}
        {day.ratio === null ? t('uptime.notObserved') : t('uptime.ratio', { value: percent(day.ratio * 100) })}
      </Text>
      {day.outageCount === 0 ? (
        day.ratio !== null && (
          <Text size="sm" c="dimmed">
            {t('uptime.noOutages')}
          </Text>
        )
      ) : (
        <Text size="sm">{t('uptime.outages', { count: day.outageCount })}</Text>
      )}
      {loading && (
        <Text size="xs" c="dimmed">
          {t('uptime.loadingOutages')}
        </Text>
      )}
      {day.outages && day.outages.length > 0 && (
        <ul className="uptime-outages">
          {day.outages.map((o) => (
            <li key={`${o.from}-${o.reason}`}>
              <Text size="xs" span>
                {o.to === null
                  ? t('uptime.outageOngoing', { from: dateTime(o.from) })
                  : t('uptime.outageSpan', { from: timeOfDay(o.from), to: timeOfDay(o.to) })}
              </Text>{' '}
              <Text size="xs" c="dimmed" span>
                {o.reason}
              </Text>
            </li>
          ))}
          {day.outageCount > day.outages.length && (
            <li>
              <Text size="xs" c="dimmed">
                {t('uptime.moreOutages', { count: day.outageCount - day.outages.length })}
              </Text>
            </li>
          )}
        </ul>
      )}
    </Paper>
  );
}

const LEVEL_VAR = {
  none: 'var(--up-none)',
  ok: 'var(--up-ok)',
  minor: 'var(--up-minor)',
  major: 'var(--up-major)',
  down: 'var(--up-down)',
} as const;

/** What a strip draws for a node's days: made once per days array (the fleet's index keeps one per answer). */
interface StripLook {
  gradient: string;
  outages: number;
  worst: number | null;
}
const looks = new WeakMap<readonly UptimeDay[], StripLook>();

function stripLook(days: readonly UptimeDay[]): StripLook {
  const known = looks.get(days);
  if (known) return known;
  const n = Math.max(1, days.length);
  const stops = days.map((d, i) => {
    const colour = LEVEL_VAR[uptimeLevel(d.ratio)];
    const from = ((i / n) * 100).toFixed(2);
    const to = (((i + 1) / n) * 100).toFixed(2);
    return `${colour} ${from}% calc(${to}% - 1px), transparent calc(${to}% - 1px) ${to}%`;
  });
  const look: StripLook = {
    gradient: `linear-gradient(to right, ${stops.join(', ')})`,
    outages: days.reduce((sum, d) => sum + d.outageCount, 0),
    worst: days.reduce<number | null>(
      (min, d) => (d.ratio === null ? min : min === null ? d.ratio : Math.min(min, d.ratio)),
      null,
    ),
  };
  looks.set(days, look);
  return look;
}

/**
 * The table's bar: one element whose background is the days (a row mounts it at every scroll step, so it
 * has no hooks and no hover of its own: the table's one StripHover shows the hovered day's detail).
 */
export function UptimeStrip({
  days,
  label,
  hourly = false,
}: {
  days: readonly UptimeDay[];
  label: string;
  /** Bars of the 24 h period are hours, not days. */
  hourly?: boolean;
}) {
  const { gradient, outages, worst } = stripLook(days);
  return (
    <span
      className="uptime-strip"
      role="img"
      // The sum for screen readers; a pointer gets the hovered day (no title: it would cover that).
      aria-label={i18n.t(hourly ? 'fleet:uptime.stripTitleHour' : 'fleet:uptime.stripTitle', {
        label,
        worst: worst === null ? '—' : percent(worst * 100),
        count: outages,
      })}
      data-outages={outages}
      style={{ backgroundImage: gradient }}
    />
  );
}
