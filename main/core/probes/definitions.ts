// Probe definitions in the store. Every change bumps config_versions('probes') in its transaction, so
// every instance reloads what it assigns and evaluates (as alert rules do).
import { randomBytes } from 'node:crypto';
import { MAX_PROBES } from '../../../agent/probes/spec.js';
import { FleetError } from '../../contract/errors.js';
import { type ProbePatch, type ProbeSpec, probeSpecProblem } from '../../contract/probe-schemas.js';
import type { Db } from '../store/schema.js';

export interface ProbeDefinition extends ProbeSpec {
  id: string;
  createdAt: number;
  updatedAt: number;
}

type Stored = Omit<ProbeSpec, 'name' | 'enabled'>;

function specOf(d: ProbeSpec): Stored {
  const { name: _n, enabled: _e, ...rest } = d;
  return rest;
}

export class ProbeDefinitions {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async version(): Promise<number> {
    const row = await this.db
      .selectFrom('config_versions')
      .select('version')
      .where('name', '=', 'probes')
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  async list(): Promise<ProbeDefinition[]> {
    const rows = await this.db.selectFrom('probes').selectAll().orderBy('name').orderBy('id').execute();
    return rows.map((r) => ({
      ...(JSON.parse(r.spec) as Stored),
      id: r.id,
      name: r.name,
      enabled: r.enabled === 1,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    }));
  }

  async get(id: string): Promise<ProbeDefinition> {
    const found = (await this.list()).find((p) => p.id === id);
    if (!found) throw new FleetError('not_found', 'No such probe.');
    return found;
  }

  async create(spec: ProbeSpec): Promise<ProbeDefinition> {
    const id = `prb_${randomBytes(8).toString('hex')}`;
    const at = this.now();
    await this.changing(async (trx) => {
      const count = await trx
        .selectFrom('probes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      if (Number(count?.n ?? 0) >= MAX_PROBES) throw new FleetError('conflict', `At most ${MAX_PROBES} probes.`);
      await trx
        .insertInto('probes')
        .values({
          id,
          name: spec.name,
          enabled: spec.enabled ? 1 : 0,
          spec: JSON.stringify(specOf(spec)),
          created_at: at,
          updated_at: at,
        })
        .execute();
    });
    return { ...spec, id, createdAt: at, updatedAt: at };
  }

  async update(patch: ProbePatch): Promise<ProbeDefinition> {
    const current = await this.get(patch.id);
    const { id, ...changes } = patch;
    const next: ProbeDefinition = {
      ...current,
      ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
      updatedAt: this.now(),
    };
    const problem = probeSpecProblem(next);
    if (problem) throw new FleetError('bad_request', problem);
    await this.changing(async (trx) => {
      await trx
        .updateTable('probes')
        .set({
          name: next.name,
          enabled: next.enabled ? 1 : 0,
          spec: JSON.stringify(specOf(next)),
          updated_at: next.updatedAt,
        })
        .where('id', '=', id)
        .execute();
    });
    return next;
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.changing(async (trx) => {
      await trx.deleteFrom('probe_events').where('probe_id', '=', id).execute();
      await trx.deleteFrom('probe_minutes').where('probe_id', '=', id).execute();
      await trx.deleteFrom('probe_hours').where('probe_id', '=', id).execute();
      await trx.deleteFrom('probes').where('id', '=', id).execute();
    });
  }

  private async changing(change: (trx: Db) => Promise<void>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await change(trx);
      await trx
        .updateTable('config_versions')
        .set((eb) => ({ version: eb('version', '+', 1) }))
        .where('name', '=', 'probes')
        .execute();
    });
  }
}
