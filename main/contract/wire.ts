// How a contract call crosses a transport, said once for the HTTP server, the IPC bridge and the
// renderer's two transports.
import type { HttpMethod } from './contract.js';

/** An error as every transport carries it: the stable code and what to do about it. */
export interface CallError {
  code: string;
  message: string;
}

/** An IPC call's answer. Errors travel as values: Electron flattens thrown errors to strings. */
export type IpcResult<T = unknown> = { ok: true; value: T } | { ok: false; error: CallError };

/** Methods whose input travels as a JSON body; the others carry it in the path and the query. */
export function sendsBody(method: HttpMethod): boolean {
  return method === 'POST' || method === 'PATCH' || method === 'PUT';
}
