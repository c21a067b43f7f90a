// The probe operations: definitions in the store (the change reaches vantage points at once here and
// within configCheckMs on other instances), live state from memory, rollups and daily uptime.
import type { Handlers } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import type { ProbeService } from './service.js';

type ProbeHandlers = Pick<
  Handlers,
  'listProbes' | 'createProbe' | 'probeUptime' | 'getProbe' | 'updateProbe' | 'deleteProbe' | 'probeSeries'
>;

/** A window of at most 31 days of minutes or 400 days of hours. */
const MAX_WINDOW_MS = { minute: 31 * 86_400_000, hour: 400 * 86_400_000 };

export function probeHandlers(probes: ProbeService): ProbeHandlers {
  return {
    listProbes: () => probes.list(),
    createProbe: async (spec) => {
      const created = await probes.definitions.create(spec);
      await probes.changed();
      return probes.get(created.id);
    },
    getProbe: ({ id }) => probes.get(id),
    updateProbe: async (patch) => {
      await probes.definitions.update(patch);
      await probes.changed();
      return probes.get(patch.id);
    },
    deleteProbe: async ({ id }) => {
      await probes.definitions.remove(id);
      await probes.changed();
      return { ok: true as const };
    },
    probeSeries: async ({ id, resolution, from, to, vantage }) => {
      if (to <= from) throw new FleetError('bad_request', '`to` must be after `from`.');
      if (to - from > MAX_WINDOW_MS[resolution])
        throw new FleetError('bad_request', 'The window is too long for this resolution.');
      await probes.definitions.get(id);
      return { id, resolution, points: await probes.rollups.series(id, resolution, from, to, vantage) };
    },
    probeUptime: async ({ ids, days, period }) => {
      const { unit, probes: result } = await probes.uptime(ids, period, days);
      return {
        timeZone: probes.timeZone,
        unit,
        probes: [...result].map(([probeId, r]) => ({
          probeId,
          ratio: r.ratio,
          downtimeMs: r.downtimeMs,
          outageCount: r.outageCount,
          outages: r.outages,
          days: r.days,
        })),
      };
    },
  };
}
