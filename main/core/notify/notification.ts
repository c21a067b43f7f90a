// What one message says: built from a group's transitions when grouping composes it, stored with the
// message, and rendered per channel at send time (notify/senders/). Templates fill placeholders from
// the first alert and the group (node name, labels, value, threshold, duration, link into the UI).
import type { AlertSeverity, AlertTransition } from '../alerts/transition.js';

/** Alerts listed in one message; the count says how many more there were. */
export const MAX_LISTED_ALERTS = 200;
/** Names in a title ("12 nodes offline: web-1, web-2, … and 9 more"). */
const NAMES_IN_TITLE = 3;

export type MessageKind = 'firing' | 'resolved' | 'repeat' | 'test';

export interface NotificationAlert {
  alertKey: string;
  state: 'firing' | 'resolved';
  nodeId: string | null;
  nodeName: string | null;
  labels: Record<string, string>;
  value: number | null;
  threshold: number | null;
  unit: string | null;
  forSec: number;
  summary: string;
  at: number;
  /** Resolved alerts: since when it had been firing (null when not known). */
  firingSince: number | null;
}

export interface Notification {
  kind: MessageKind;
  title: string;
  /** One line per listed alert, for people. */
  lines: string[];
  severity: AlertSeverity;
  ruleId: string;
  ruleName: string;
  alertCount: number;
  alerts: NotificationAlert[];
  /** Every transition the message stands for (receivers may deduplicate on these, too). */
  transitionIds: string[];
  /** The Alerts screen, when the master knows its public URL. */
  link: string | null;
  at: number;
}

export interface Template {
  /** e.g. "{count} × {rule} on {nodes}"; default: the built-in title. */
  title?: string;
  /** One line per alert, e.g. "{node} {value}{unit} (threshold {threshold}) for {duration}". */
  line?: string;
}

export const TEMPLATE_PLACEHOLDERS = [
  'state',
  'rule',
  'severity',
  'count',
  'nodes',
  'node',
  'labels',
  'value',
  'threshold',
  'unit',
  'duration',
  'summary',
  'link',
] as const;

export interface Compose {
  kind: MessageKind;
  transitions: AlertTransition[];
  /** Resolved alerts: when each had started firing (by alert key). */
  firingSince?: ReadonlyMap<string, number>;
  link: string | null;
  template?: Template;
  now: number;
}

export function composeNotification({ kind, transitions, firingSince, link, template, now }: Compose): Notification {
  const first = transitions[0];
  if (!first) throw new Error('a notification needs at least one alert');
  const alerts = transitions.slice(0, MAX_LISTED_ALERTS).map((t) => alertOf(t, firingSince?.get(t.alertKey) ?? null));
  const severity = highestSeverity(transitions.map((t) => t.severity));
  const notification: Notification = {
    kind,
    title: '',
    lines: [],
    severity,
    ruleId: first.ruleId,
    ruleName: first.ruleName,
    alertCount: transitions.length,
    alerts,
    transitionIds: transitions.map((t) => t.id),
    link,
    at: now,
  };
  const fill = (text: string, alert: NotificationAlert) => fillTemplate(text, notification, alert, now);
  notification.title = template?.title
    ? fill(template.title, alerts[0] as NotificationAlert)
    : defaultTitle(notification);
  notification.lines = alerts.map((a) => (template?.line ? fill(template.line, a) : defaultLine(a, now)));
  if (transitions.length > alerts.length) notification.lines.push(`… and ${transitions.length - alerts.length} more`);
  return notification;
}

/** A channel's test message: what a real one looks like, marked as a test. */
export function testNotification(channelName: string, link: string | null, now: number): Notification {
  return {
    kind: 'test',
    title: `[TEST] FleetDeck can reach "${channelName}"`,
    lines: ['This is a test message from FleetDeck. Alerts will arrive here like this one.'],
    severity: 'info',
    ruleId: 'test',
    ruleName: 'Test',
    alertCount: 0,
    alerts: [],
    transitionIds: [],
    link,
    at: now,
  };
}

function alertOf(t: AlertTransition, firingSince: number | null): NotificationAlert {
  return {
    alertKey: t.alertKey,
    state: t.state,
    nodeId: t.nodeId,
    nodeName: t.nodeName,
    labels: t.labels,
    value: t.value,
    threshold: t.threshold,
    unit: t.unit,
    forSec: t.forSec,
    summary: t.summary,
    at: t.at,
    firingSince,
  };
}

const SEVERITY_ORDER: AlertSeverity[] = ['info', 'warning', 'critical'];

function highestSeverity(all: AlertSeverity[]): AlertSeverity {
  return all.reduce((a, b) => (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a), 'info');
}

function stateWord(kind: MessageKind): string {
  return kind === 'resolved' ? 'RESOLVED' : kind === 'repeat' ? 'STILL FIRING' : kind === 'test' ? 'TEST' : 'FIRING';
}

/** "[FIRING] Node offline: 12 nodes (web-1, web-2, web-3 and 9 more)". */
function defaultTitle(n: Notification): string {
  const names = [...new Set(n.alerts.map((a) => a.nodeName).filter((name): name is string => name !== null))];
  const subject = names.length > 0 ? `${n.alertCount} ${n.alertCount === 1 ? 'node' : 'nodes'}` : `${n.alertCount}`;
  const listed = names.slice(0, NAMES_IN_TITLE).join(', ');
  const more = n.alertCount > NAMES_IN_TITLE && names.length > 0 ? ` and ${n.alertCount - NAMES_IN_TITLE} more` : '';
  const who = names.length > 0 ? ` (${listed}${more})` : '';
  return `[${stateWord(n.kind)}] ${n.ruleName}: ${subject}${who}`;
}

function defaultLine(a: NotificationAlert, now: number): string {
  const parts = [a.summary];
  if (a.state === 'resolved') {
    const held = a.firingSince === null ? null : a.at - a.firingSince;
    parts.push(held !== null && held > 0 ? `resolved after ${formatDuration(held / 1000)}` : 'resolved');
  } else if (a.at < now - 60_000) {
    parts.push(`firing for ${formatDuration((now - a.at) / 1000)}`);
  }
  return parts.join(' — ');
}

export function formatDuration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 3_600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ${Math.round((s % 3_600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.round((s % 86_400) / 3_600)} h`;
}

function formatNumber(value: number | null): string {
  if (value === null) return '';
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : 1);
}

function fillTemplate(text: string, n: Notification, a: NotificationAlert, now: number): string {
  const values: Record<(typeof TEMPLATE_PLACEHOLDERS)[number], string> = {
    state: stateWord(n.kind),
    rule: n.ruleName,
    severity: n.severity,
    count: String(n.alertCount),
    nodes: n.alerts
      .map((x) => x.nodeName)
      .filter(Boolean)
      .slice(0, 20)
      .join(', '),
    node: a.nodeName ?? '',
    labels: Object.entries(a.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
    value: formatNumber(a.value),
    threshold: formatNumber(a.threshold),
    unit: a.unit ?? '',
    duration: formatDuration(heldSec(a, now)),
    summary: a.summary,
    link: n.link ?? '',
  };
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name as keyof typeof values] : whole,
  );
}

/** How long the condition has held: the rule's `for` plus the time since it fired, or until it resolved. */
function heldSec(a: NotificationAlert, now: number): number {
  if (a.state === 'firing') return a.forSec + Math.max(0, (now - a.at) / 1000);
  return a.firingSince === null ? a.forSec : a.forSec + Math.max(0, (a.at - a.firingSince) / 1000);
}

/** Plain text for people: title, one line per alert, the link. */
export function plainText(n: Notification): string {
  const body = n.lines.map((line) => `• ${line}`).join('\n');
  return [n.title, body, n.link ? `Open in FleetDeck: ${n.link}` : ''].filter(Boolean).join('\n\n');
}
