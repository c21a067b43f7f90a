// Calendar arithmetic for rollups: UTC minute and hour buckets, local days in the billing time zone,
// and monthly billing cycles that start on a configurable day.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const minuteBucket = (t: number) => Math.floor(t / MINUTE_MS) * MINUTE_MS;
export const hourBucket = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;

/** Throws a clear error for a zone name the runtime does not know. */
export function checkTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: zone });
    return zone;
  } catch {
    throw new Error(`unknown time zone "${zone}": use an IANA name such as UTC, Europe/Berlin or America/New_York`);
  }
}

/**
 * Maps instants to local calendar days ("YYYY-MM-DD") in one time zone. Every zone offset is a
 * multiple of 15 minutes, so the answer is cached per quarter hour.
 */
export class DayCalendar {
  private readonly format: Intl.DateTimeFormat;
  private cachedQuarter = Number.NaN;
  private cachedDay = '';

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-CA', {
      timeZone: checkTimeZone(timeZone),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  dayOf(t: number): string {
    const quarter = Math.floor(t / 900_000);
    if (quarter !== this.cachedQuarter) {
      this.cachedQuarter = quarter;
      this.cachedDay = this.format.format(new Date(t));
    }
    return this.cachedDay;
  }
}

export interface Ymd {
  year: number;
  month: number;
  day: number;
}

export function parseYmd(text: string): Ymd {
  const [year, month, day] = text.split('-').map(Number);
  return { year: year as number, month: month as number, day: day as number };
}

export function formatYmd({ year, month, day }: Ymd): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The cycle's start day in a month: the billing day, or the month's last day when it is shorter. */
function cycleStartIn(year: number, month: number, billingDay: number): Ymd {
  return { year, month, day: Math.min(billingDay, daysInMonth(year, month)) };
}

function addMonths(year: number, month: number, n: number): { year: number; month: number } {
  const index = year * 12 + (month - 1) + n;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

export interface Cycle {
  /** First day of the cycle (inclusive). */
  start: string;
  /** First day of the next cycle (exclusive). */
  end: string;
}

/** The billing cycle containing `today`, or the one `offset` cycles before or after it. */
export function billingCycle(today: string, billingDay: number, offset = 0): Cycle {
  const t = parseYmd(today);
  let startMonth = { year: t.year, month: t.month };
  if (t.day < cycleStartIn(t.year, t.month, billingDay).day) startMonth = addMonths(t.year, t.month, -1);
  const from = addMonths(startMonth.year, startMonth.month, offset);
  const next = addMonths(from.year, from.month, 1);
  return {
    start: formatYmd(cycleStartIn(from.year, from.month, billingDay)),
    end: formatYmd(cycleStartIn(next.year, next.month, billingDay)),
  };
}
