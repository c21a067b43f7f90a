// Errors with stable codes. The HTTP layer maps codes to statuses; messages say what was wrong
// and what to do about it.
export const errorStatus = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  database_too_new: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class FleetError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'FleetError';
  }
}

export function notFound(what: string, id: string): FleetError {
  return new FleetError('not_found', `${what} ${JSON.stringify(id)} does not exist`);
}
