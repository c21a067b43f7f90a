// How a contract call crosses a transport, said once for the HTTP server, the IPC bridge and the
// renderer's two transports.
import type { HttpMethod } from './contract.js';

/**
 * One refused input field, for a form to show beside the field: where (the input's path, e.g.
 * ["target", "url"]) and the schema's words. Only `bad_request` carries them.
 */
export interface FieldIssue {
  path: Array<string | number>;
  message: string;
}

/** Issues an error carries at most (a form needs a handful; the message already names the first five). */
export const MAX_FIELD_ISSUES = 20;

/** An error as every transport carries it: the stable code and what to do about it. */
export interface CallError {
  code: string;
  message: string;
  /** bad_request: which input fields were refused and why (a form shows each beside its field). */
  issues?: FieldIssue[];
}

/** A FleetError as it goes on the wire (issues only when there are some). */
export function callErrorOf(error: { code: string; message: string; issues?: readonly FieldIssue[] }): CallError {
  return {
    code: error.code,
    message: error.message,
    ...(error.issues?.length ? { issues: error.issues.map((i) => ({ path: [...i.path], message: i.message })) } : {}),
  };
}

/** An IPC call's answer. Errors travel as values: Electron flattens thrown errors to strings. */
export type IpcResult<T = unknown> = { ok: true; value: T } | { ok: false; error: CallError };

/** Methods whose input travels as a JSON body; the others carry it in the path and the query. */
export function sendsBody(method: HttpMethod): boolean {
  return method === 'POST' || method === 'PATCH' || method === 'PUT';
}
