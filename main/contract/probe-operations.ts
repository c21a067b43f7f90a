// The probe operations (main/core/probes/), spread into the contract with one line. Plain objects of
// the contract's Operation shape (a type-only import: contract.ts imports this file).
import { z } from 'zod';
import type { Operation } from './contract.js';
import {
  ProbeId,
  ProbePatch,
  ProbeSeries,
  ProbeSeriesQuery,
  ProbeSpec,
  ProbeUptime,
  ProbeUptimeQuery,
  ProbeView,
} from './probe-schemas.js';
import { Empty, Ok } from './schemas.js';

const byId = z.object({ id: ProbeId });
const op = <I extends z.ZodType, O extends z.ZodType>(o: Operation<I, O>): Operation<I, O> => o;

export const probeOperations = {
  listProbes: op({
    method: 'GET',
    path: '/api/probes',
    summary: 'Probes with their quorum state and each vantage point’s last result',
    input: Empty,
    output: z.array(ProbeView),
  }),
  createProbe: op({
    method: 'POST',
    path: '/api/probes',
    summary: 'Add a probe (HTTP(S), TCP, ping or DNS) run from chosen nodes and/or the master',
    input: ProbeSpec,
    output: ProbeView,
    status: 201,
  }),
  probeUptime: op({
    method: 'GET',
    path: '/api/probes/uptime',
    summary: 'Daily uptime and outages of probes (their quorum verdicts) over 1–90 days',
    input: ProbeUptimeQuery,
    output: ProbeUptime,
  }),
  getProbe: op({
    method: 'GET',
    path: '/api/probes/:id',
    summary: 'One probe with its live state per vantage point',
    input: byId,
    output: ProbeView,
  }),
  updateProbe: op({
    method: 'PATCH',
    path: '/api/probes/:id',
    summary:
      'Change a probe (vantage points get their new sets at once); an HTTP header value of •••• keeps the stored value',
    input: ProbePatch,
    output: ProbeView,
  }),
  deleteProbe: op({
    method: 'DELETE',
    path: '/api/probes/:id',
    summary: 'Delete a probe with its history and rollups',
    input: byId,
    output: Ok,
  }),
  probeSeries: op({
    method: 'GET',
    path: '/api/probes/:id/series',
    summary: 'Minute or hour rollups of a probe per vantage point: runs, success ratio, latency mean/p50/p95',
    input: ProbeSeriesQuery,
    output: ProbeSeries,
  }),
} as const;
