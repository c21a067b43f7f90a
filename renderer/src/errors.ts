// Error banners that follow the latest outcome: a failed action stays on screen only until a later
// action of the same panel succeeds (react-query keeps each mutation's last error on its own).
import type { UseMutationResult } from '@tanstack/react-query';
import { i18n } from './i18n';
import { ApiError } from './transport';

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

/** Codes whose meaning the UI says itself, in the user's language (the master's text names the API). */
const SAID_HERE = ['unauthorized', 'unavailable', 'rate_limited', 'request_timeout', 'internal', 'forbidden'] as const;

/**
 * An error as a person should read it: the master's message without its code, or, for the failures
 * that are about the connection or the credential rather than the request, what happened and what to
 * do in the UI's language. Never the API's vocabulary (headers, parameters, codes).
 */
export function userMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const code = SAID_HERE.find((c) => c === error.code);
    return code ? i18n.t(`common:errors.${code}`) : error.detail;
  }
  // fetch rejects with a TypeError when the master cannot be reached at all.
  if (error instanceof TypeError) return i18n.t('common:errors.network');
  return error instanceof Error ? error.message : String(error);
}
