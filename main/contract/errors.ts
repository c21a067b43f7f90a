// Errors with stable codes: the admin contract's error vocabulary. The HTTP layer maps codes to
// statuses; messages say what was wrong and what to do about it.
import type { FileErrorCode } from '../../agent/files/errors.js';
import type { FieldIssue } from './wire.js';

const generalStatus = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /** A transfer or copy the user cancelled. */
  cancelled: 409,
  /** The Idempotency-Key was used within 24 h for a request with a different body. */
  idempotency_key_reused: 422,
  request_timeout: 408,
  /** The request line or headers exceed the server's limit (Node's 16 KiB). */
  headers_too_large: 431,
  range_not_satisfiable: 416,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  database_too_new: 500,
} as const;

/**
 * The agent's file codes pass through unchanged, so each needs its status here: a code added to
 * FILE_ERROR_CODES without one fails to compile (it used to become `io_error` silently).
 */
export const fileErrorStatus = {
  not_found: 404,
  permission_denied: 403,
  not_a_directory: 400,
  is_a_directory: 400,
  outside_roots: 403,
  invalid_path: 400,
  exists: 409,
  not_empty: 409,
  too_large: 413,
  binary: 415,
  checksum_mismatch: 422,
  changed: 409,
  capability_missing: 403,
  io_error: 500,
} as const satisfies Record<FileErrorCode, number>;

/**
 * What the master's side of a file call adds: the node is away, did not answer in time, or answered
 * with something the contract's output schema refuses.
 */
const fileCallStatus = {
  node_offline: 503,
  timeout: 504,
  bad_agent_reply: 502,
} as const;

export const errorStatus = { ...generalStatus, ...fileErrorStatus, ...fileCallStatus } as const;

export type ErrorCode = keyof typeof errorStatus;

export class FleetError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: readonly FieldIssue[],
  ) {
    super(message);
    this.name = 'FleetError';
  }
}

export function notFound(what: string, id: string): FleetError {
  return new FleetError('not_found', `${what} ${JSON.stringify(id)} does not exist`);
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorStatus, code);
}
