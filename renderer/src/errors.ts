// Error banners that follow the latest outcome: a failed action stays on screen only until a later
// action of the same panel succeeds (react-query keeps each mutation's last error on its own).
import type { UseMutationResult } from '@tanstack/react-query';

type Settled = Pick<UseMutationResult<unknown, Error, never, unknown>, 'error' | 'status' | 'submittedAt'>;

/** The error of the most recently submitted action, if that one failed; null once a later one succeeded. */
export function latestError(mutations: readonly Settled[]): Error | null {
  let latest: Settled | null = null;
  for (const m of mutations) {
    if (m.status === 'idle') continue;
    if (!latest || m.submittedAt > latest.submittedAt) latest = m;
  }
  return latest?.status === 'error' ? latest.error : null;
}
