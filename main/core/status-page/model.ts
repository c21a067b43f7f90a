// What the public status page shows, built from its configuration, the nodes and their uptime. Only
// what is public leaves this file: names (or the configured display names), states and uptime per
// entry; ids only when the page publishes them. Labels, addresses, host facts and reasons stay inside.
import { hasLabels, labelPairs } from '../../contract/labels.js';
import type { PublicStatusPage, StatusPageConfig, StatusPageItem } from '../../contract/status-page-schemas.js';
import type { DayCalendar } from '../metrics/calendar.js';
import { dayRanges, hourRanges, readUptimeWindows, type UptimeFoldResult } from '../nodes/uptime-days.js';
import { readProbeUptimeWindows } from '../probes/uptime.js';
import type { Db } from '../store/schema.js';

/** A node or probe as the page needs it. */
export interface Subject {
  kind: 'node' | 'probe';
  id: string;
  name: string;
  /** A node's labels (probes have none: they are chosen by id). */
  labels: Record<string, string>;
  /** A node's from its status; a probe's from its last quorum verdict (read with its uptime), unknown if disabled. */
  state: 'up' | 'down' | 'unknown';
  /** A probe turned off: shown as no data. */
  disabled?: boolean;
}

export interface ResolvedEntry {
  /** The group's index in the configuration (names may repeat). */
  groupIndex: number;
  group: string;
  key: string;
  name: string;
  subject: Subject;
}

/** A key for URLs (badges) from a shown name: lower-case ASCII letters, digits and dashes; unique per page. */
export function entryKey(name: string, taken: Set<string>): string {
  const base =
    name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'entry';
  let key = base;
  for (let n = 2; taken.has(key); n++) key = `${base}-${n}`;
  taken.add(key);
  return key;
}

function matches(item: StatusPageItem, subject: Subject): boolean {
  if (item.kind !== subject.kind) return false;
  if (item.id !== undefined) return item.id === subject.id;
  const pairs = labelPairs(item.selector ?? '');
  return pairs.length > 0 && hasLabels(subject.labels, pairs);
}

/** The entries of every group, in the configured order; a subject named twice in a group shows once. */
export function resolveEntries(config: StatusPageConfig, subjects: readonly Subject[]): ResolvedEntry[] {
  const taken = new Set<string>();
  const out: ResolvedEntry[] = [];
  for (const [groupIndex, group] of config.groups.entries()) {
    const seen = new Set<string>();
    for (const item of group.items) {
      const found = subjects
        .filter((s) => matches(item, s))
        .sort((a, b) => a.name.localeCompare(b.name, 'en') || a.id.localeCompare(b.id));
      for (const subject of found) {
        const ref = `${subject.kind}:${subject.id}`;
        if (seen.has(ref)) continue;
        seen.add(ref);
        const name = (item.id !== undefined ? item.displayName : undefined) ?? subject.name;
        out.push({ groupIndex, group: group.name, key: entryKey(name, taken), name, subject });
      }
    }
  }
  return out;
}

/** The nodes the page may show (revoked ones never). One read. */
export async function readNodeSubjects(db: Db): Promise<Subject[]> {
  const rows = await db
    .selectFrom('nodes')
    .select(['id', 'name', 'labels', 'status'])
    .where('revoked_at', 'is', null)
    .execute();
  return rows.map((r) => ({
    kind: 'node' as const,
    id: r.id,
    name: r.name,
    labels: parseLabelsJson(r.labels),
    state: r.status === 'online' ? 'up' : r.status === 'offline' ? 'down' : 'unknown',
  }));
}

/** The probes the page may show; their state comes with their uptime (the last verdict). One read. */
export async function readProbeSubjects(db: Db): Promise<Subject[]> {
  const rows = await db.selectFrom('probes').select(['id', 'name', 'enabled']).execute();
  return rows.map((r) => ({
    kind: 'probe' as const,
    id: r.id,
    name: r.name,
    labels: {},
    state: 'unknown' as const,
    disabled: !Number(r.enabled),
  }));
}

function parseLabelsJson(text: string): Record<string, string> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

const permille = (ratio: number | null) => (ratio === null ? null : Math.floor(ratio * 1000));

/** Overall: every entry up, some down, all down, or nothing known. */
function overallOf(states: ReadonlyArray<Subject['state']>): PublicStatusPage['overall'] {
  const known = states.filter((s) => s !== 'unknown');
  if (known.length === 0) return 'unknown';
  const down = known.filter((s) => s === 'down').length;
  if (down === 0) return 'operational';
  return down === known.length ? 'major' : 'partial';
}

/**
 * The public page: entries resolved against the subjects, their uptime over 24 h (hours) and 30 / 90
 * local days read once for all (three statements, whatever the number of entries).
 */
export async function buildPublicPage(
  db: Db,
  config: StatusPageConfig,
  entries: readonly ResolvedEntry[],
  calendar: DayCalendar,
  now: number,
): Promise<PublicStatusPage> {
  const idsOf = (kind: Subject['kind']) => [
    ...new Set(entries.filter((e) => e.subject.kind === kind).map((e) => e.subject.id)),
  ];
  const nodeIds = idsOf('node');
  const probeIds = idsOf('probe');
  const ninety = dayRanges(now, 90, calendar);
  const windows = [hourRanges(now, 24), ninety.slice(60), ninety];
  const nodeUptime: Map<string, UptimeFoldResult[]> =
    nodeIds.length > 0 ? await readUptimeWindows(db, nodeIds, windows, now, false) : new Map();
  const probeUptime: Map<string, UptimeFoldResult[]> =
    probeIds.length > 0 ? await readProbeUptimeWindows(db, probeIds, windows, now, false) : new Map();
  const stateOf = (subject: Subject, result: UptimeFoldResult | undefined): Subject['state'] => {
    if (subject.kind === 'node') return subject.state;
    if (subject.disabled || !result) return 'unknown';
    return result.state === 'online' ? 'up' : result.state === 'offline' ? 'down' : 'unknown';
  };
  const states: Subject['state'][] = [];
  const groups = config.groups.map((g, index) => ({
    name: g.name,
    entries: entries
      .filter((e) => e.groupIndex === index)
      .map((e) => {
        const [h24, d30, d90] = (e.subject.kind === 'node' ? nodeUptime : probeUptime).get(e.subject.id) ?? [];
        const state = stateOf(e.subject, d90);
        states.push(state);
        return {
          key: e.key,
          name: e.name,
          kind: e.subject.kind,
          ...(config.showIds ? { id: e.subject.id } : {}),
          state,
          uptime: {
            h24: permille(h24?.ratio ?? null),
            d30: permille(d30?.ratio ?? null),
            d90: permille(d90?.ratio ?? null),
          },
          days: ninety.map((d, i) => ({
            day: d.day,
            permille: permille(d90?.days[i]?.ratio ?? null),
            outages: d90?.days[i]?.outageCount ?? 0,
          })),
        };
      }),
  }));
  return {
    title: config.title,
    description: config.description,
    generatedAt: now,
    overall: overallOf(states),
    groups,
  };
}
