// Schemas for availability at a glance: daily uptime (the fleet's compact bars, one node's days with
// their outages) and a node's top processes.
import { z } from 'zod';
import { MAX_TOP_PROCESSES } from '../../agent/protocol.js';
import { NodeId } from './schemas.js';

/** 1–90 local days in the master's billing time zone (the days of daily traffic), today last. */
const Days = z.coerce.number().int().min(1).max(90).default(30);
/**
 * Instead of `days`: `24h` (24 hourly bars, the current hour last), `30d` or `90d` (local days). The
 * period's ratio and outages are over the same bars.
 */
export const UptimePeriod = z.enum(['24h', '30d', '90d']);
export type UptimePeriod = z.infer<typeof UptimePeriod>;

export const FleetUptimeQuery = z.object({ days: Days, period: UptimePeriod.optional() });
export const NodeUptimeDaysQuery = z.object({ id: NodeId, days: Days, period: UptimePeriod.optional() });

/** A bar: a local day (`day` = YYYY-MM-DD) or, for 24 h, an hour (`day` = YYYY-MM-DDTHH:00Z). */
const DayRange = z.object({ day: z.string(), from: z.number(), to: z.number() });
/** What each bar is: `day` or `hour` (24 h). */
const BarUnit = z.enum(['day', 'hour']);

export const FleetUptime = z.object({
  timeZone: z.string(),
  unit: BarUnit,
  days: z.array(DayRange),
  nodes: z.array(
    z.object({
      nodeId: NodeId,
      /** Online share of everything observed in the bars; null when the node never connected in them. */
      ratio: z.number().min(0).max(1).nullable(),
      /** Distinct outages in the bars (one across midnight counts once). */
      outageCount: z.number().int().min(0),
      /** Per day (as `days`), the online share in thousandths; null before the node's first connect. */
      permille: z.array(z.number().int().min(0).max(1000).nullable()),
      /** Per day, outages that touched it. */
      outages: z.array(z.number().int().min(0)),
    }),
  ),
});
export type FleetUptime = z.infer<typeof FleetUptime>;

export const Outage = z.object({
  from: z.number(),
  /** null: still offline. */
  to: z.number().nullable(),
  reason: z.string(),
});

export const NodeUptimeDays = z.object({
  nodeId: NodeId,
  timeZone: z.string(),
  unit: BarUnit,
  /** Online share of everything observed in the days; null when the node never connected in them. */
  ratio: z.number().min(0).max(1).nullable(),
  /** Offline time observed in the days, ms. */
  downtimeMs: z.number().min(0),
  /** Distinct outages that touched the days (one across midnight counts once). */
  outageCount: z.number().int().min(0),
  /** The newest 50 of them, oldest first. */
  outages: z.array(Outage),
  days: z.array(
    DayRange.extend({
      ratio: z.number().min(0).max(1).nullable(),
      outageCount: z.number().int().min(0),
      /** The first 20 outages of the day; `outageCount` counts them all. */
      outages: z.array(Outage),
    }),
  ),
});
export type NodeUptimeDays = z.infer<typeof NodeUptimeDays>;

export const TopProcessesQuery = z.object({
  id: NodeId,
  limit: z.coerce.number().int().min(1).max(MAX_TOP_PROCESSES).default(10),
});
