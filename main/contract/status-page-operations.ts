// Contract operations of the public status page's configuration (administrators only). The page
// itself is not an operation: the server serves it from memory at its own path (server/status-routes.ts).
import type { z } from 'zod';
import type { Operation } from './contract.js';
import { Empty } from './schemas.js';
import { StatusPageConfig, StatusPageView } from './status-page-schemas.js';

const op = <I extends z.ZodType, O extends z.ZodType>(o: Operation<I, O>): Operation<I, O> => o;

export const statusPageOperations = {
  getStatusPage: op({
    method: 'GET',
    path: '/api/status-page',
    summary: "The public status page's settings and the entries it shows now (administrators)",
    input: Empty,
    output: StatusPageView,
  }),
  updateStatusPage: op({
    method: 'PUT',
    path: '/api/status-page',
    summary:
      'Replace the public status page settings: enabled, path, title, language, groups of nodes and probes (administrators)',
    input: StatusPageConfig,
    output: StatusPageView,
  }),
} as const;
