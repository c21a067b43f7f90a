// The admin API for tests, typed from the contract: every operation takes the contract's input and
// answers its output, sent the way the renderer's HTTP transport sends it (path parameters, then the
// query or a JSON body as wire.ts says). A test that names a field the contract does not have, or
// reads one the output lacks, fails to compile rather than passing on `undefined`.
import {
  type Client,
  contract,
  type InputOf,
  type OperationName,
  type OutputOf,
} from '../../main/contract/contract.js';
import { fillPath } from '../../main/contract/routes.js';
import { type CallError, sendsBody } from '../../main/contract/wire.js';

/** An operation the master refused: the HTTP status and the error body's stable code. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ApiFailure';
  }
}

export interface Reply<K extends OperationName> {
  status: number;
  body: OutputOf<K>;
}

/** Extra headers (REST's Idempotency-Key), and a signal to give up on an answer that does not come. */
export interface CallOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface TestApi {
  /** Each operation resolves with its output, or rejects with an ApiFailure. */
  client: Client;
  /** The same call with its HTTP status (201 where the contract says so). */
  reply<K extends OperationName>(name: K, input: InputOf<K>, options?: CallOptions): Promise<Reply<K>>;
  /** A call that must be refused: its status, code and message (rejects if the call succeeded). */
  failure<K extends OperationName>(name: K, input: InputOf<K>, options?: CallOptions): Promise<ApiFailure>;
}

function errorOf(body: unknown): CallError | null {
  const error = (body as { error?: Partial<CallError> } | null)?.error;
  return typeof error?.code === 'string' ? { code: error.code, message: String(error.message) } : null;
}

/** The request an operation becomes: its URL, method and (for body methods) JSON body. */
function requestFor(name: OperationName, input: Record<string, unknown>): { path: string; body?: string } {
  const op = contract[name];
  const path = fillPath(op.path, input);
  if (sendsBody(op.method)) return { path, body: JSON.stringify(input) };
  const query = new URLSearchParams(
    Object.entries(input)
      .filter(([key, value]) => value !== undefined && !op.path.includes(`:${key}`))
      .map(([key, value]) => [key, String(value)]),
  ).toString();
  return { path: query ? `${path}?${query}` : path };
}

export function apiFor(master: { adminUrl: string; adminToken: string }): TestApi {
  const reply = async <K extends OperationName>(
    name: K,
    input: InputOf<K>,
    { headers = {}, signal }: CallOptions = {},
  ): Promise<Reply<K>> => {
    const { path, body } = requestFor(name, (input ?? {}) as Record<string, unknown>);
    const response = await fetch(new URL(path, master.adminUrl), {
      method: contract[name].method,
      headers: {
        authorization: `Bearer ${master.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body,
      signal,
    });
    const output: unknown = await response.json().catch(() => null);
    const error = response.ok ? null : errorOf(output);
    if (error) throw new ApiFailure(response.status, error.code, error.message);
    // Health answers 503 with its own body (not an error) when the database is away.
    return { status: response.status, body: output as OutputOf<K> };
  };
  const failure = async <K extends OperationName>(name: K, input: InputOf<K>, options?: CallOptions) => {
    const outcome = await reply(name, input, options).catch((error: unknown) => error);
    if (outcome instanceof ApiFailure) return outcome;
    if (outcome instanceof Error) throw outcome;
    throw new Error(`${name} was expected to fail but answered ${JSON.stringify(outcome).slice(0, 500)}`);
  };
  const client = new Proxy({} as Client, {
    get: (_target, name: string) => async (input: unknown) =>
      (await reply(name as OperationName, (input ?? {}) as never)).body,
  });
  return { client, reply, failure };
}
