// Day boundaries in the billing time zone and monthly billing cycles.
import { describe, expect, it } from 'vitest';
import {
  billingCycle,
  checkTimeZone,
  DayCalendar,
  hourBucket,
  minuteBucket,
} from '../../main/core/metrics/calendar.js';

describe('buckets', () => {
  it('aligns minutes and hours to UTC boundaries', () => {
    const t = Date.UTC(2026, 10, 22, 13, 59, 59, 999);
    expect(minuteBucket(t)).toBe(Date.UTC(2026, 10, 22, 13, 59));
    expect(hourBucket(t)).toBe(Date.UTC(2026, 10, 22, 13));
    expect(minuteBucket(t + 1)).toBe(Date.UTC(2026, 10, 22, 14, 0));
  });
});

describe('local days', () => {
  it('maps an instant to the calendar day of the zone', () => {
    const t = Date.UTC(2026, 10, 22, 23, 30);
    expect(new DayCalendar('UTC').dayOf(t)).toBe('2026-11-22');
    expect(new DayCalendar('Europe/Berlin').dayOf(t)).toBe('2026-11-23');
    expect(new DayCalendar('America/Los_Angeles').dayOf(t)).toBe('2026-11-22');
    // Half-hour and quarter-hour offsets.
    expect(new DayCalendar('Asia/Kolkata').dayOf(Date.UTC(2026, 10, 22, 18, 29))).toBe('2026-11-22');
    expect(new DayCalendar('Asia/Kolkata').dayOf(Date.UTC(2026, 10, 22, 18, 30))).toBe('2026-11-23');
    expect(new DayCalendar('Asia/Kathmandu').dayOf(Date.UTC(2026, 10, 22, 18, 15))).toBe('2026-11-23');
  });

  it('follows daylight saving changes', () => {
    const ny = new DayCalendar('America/New_York');
    // 2026-03-08: clocks go forward at 02:00 EST (07:00 UTC); the day ends at 04:00 UTC the next day (EDT).
    expect(ny.dayOf(Date.UTC(2026, 2, 9, 3, 59))).toBe('2026-03-08');
    expect(ny.dayOf(Date.UTC(2026, 2, 9, 4, 0))).toBe('2026-03-09');
  });

  it('refuses an unknown zone with a clear message', () => {
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('billing cycles', () => {
  it('runs from the billing day to the same day next month', () => {
    expect(billingCycle('2026-11-22', 1)).toEqual({ start: '2026-11-01', end: '2026-12-01' });
    expect(billingCycle('2026-11-22', 15)).toEqual({ start: '2026-11-15', end: '2026-12-15' });
    expect(billingCycle('2026-11-14', 15)).toEqual({ start: '2026-10-15', end: '2026-11-15' });
  });

  it('uses the last day of a short month for a late billing day', () => {
    expect(billingCycle('2026-02-28', 31)).toEqual({ start: '2026-02-28', end: '2026-03-31' });
    expect(billingCycle('2026-02-27', 31)).toEqual({ start: '2026-01-31', end: '2026-02-28' });
    expect(billingCycle('2028-02-29', 30)).toEqual({ start: '2028-02-29', end: '2028-03-30' });
  });

  it('gives the previous cycle across a year boundary', () => {
    expect(billingCycle('2027-01-10', 5, -1)).toEqual({ start: '2026-12-05', end: '2027-01-05' });
    expect(billingCycle('2027-01-03', 5, -1)).toEqual({ start: '2026-11-05', end: '2026-12-05' });
  });
});
