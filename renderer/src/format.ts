// The one home of formatting for the screens: numbers, sizes, rates, percentages, dates and relative
// times, each in the UI's current language (Intl for digits and dates, the common namespace for words).
// Sizes stay in binary units (KiB, MiB), which read the same in every language the UI speaks.
import { currentLanguage, i18n } from './i18n';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const DASH = '—';

// Intl formatters are costly to build and the fleet view formats thousands of values a second.
const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(digits: number): Intl.NumberFormat {
  const key = `${currentLanguage()}|${digits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(currentLanguage(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
    numberFormats.set(key, format);
  }
  return format;
}

const missing = (n: number | null | undefined): n is null | undefined =>
  n === null || n === undefined || !Number.isFinite(n);

/** A plain number with the locale's digit grouping: 12,345 (en), 12,345 (zh-CN). */
export function number(n: number | null | undefined, digits = 0): string {
  return missing(n) ? DASH : numberFormat(digits).format(n);
}

export function bytes(n: number | null | undefined): string {
  if (missing(n)) return DASH;
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value >= 100 || unit === 0 ? 0 : value >= 10 ? 1 : 2;
  return `${numberFormat(digits).format(value)} ${UNITS[unit]}`;
}

export function rate(n: number | null | undefined): string {
  return missing(n) ? DASH : i18n.t('common:units.perSecond', { value: bytes(n) });
}

export function percent(n: number | null | undefined): string {
  return missing(n) ? DASH : `${numberFormat(n < 10 ? 1 : 0).format(n)}%`;
}

export function share(used: number | null, total: number | null): number | null {
  return used === null || total === null || total === 0 ? null : (used / total) * 100;
}

/** "45 s ago", "3 min ago", "2 h ago", "4 days ago"; pass `now` from useNow() so it ticks. */
export function ago(at: number | null, now = Date.now()): string {
  if (at === null) return DASH;
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return i18n.t('common:ago.seconds', { count: s });
  if (s < 3600) return i18n.t('common:ago.minutes', { count: Math.floor(s / 60) });
  if (s < 86_400) return i18n.t('common:ago.hours', { count: Math.floor(s / 3600) });
  return i18n.t('common:ago.days', { count: Math.floor(s / 86_400) });
}

export function duration(sec: number): string {
  // Not "0 min": a terminal session of a few seconds, a host just booted.
  if (sec < 60) return i18n.t('common:duration.underMinute');
  if (sec < 3600) return i18n.t('common:duration.minutes', { value: number(Math.round(sec / 60)) });
  if (sec < 86_400) return i18n.t('common:duration.hours', { value: number(sec / 3600, 1) });
  return i18n.t('common:duration.days', { value: number(sec / 86_400, 1) });
}

/** Date and time of day, in the locale's order: "12/2/2026, 5:04:09 AM" / "2026/12/2 05:04:09". */
export function dateTime(at: number | null): string {
  return at === null ? DASH : new Date(at).toLocaleString(currentLanguage());
}

/** Time of day only: "5:04:09 AM" / "05:04:09". */
export function timeOfDay(at: number | null): string {
  return at === null ? DASH : new Date(at).toLocaleTimeString(currentLanguage());
}
