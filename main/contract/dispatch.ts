// Validates an operation's input against the contract and calls its handler. Every transport
// (HTTP, IPC) goes through here, so no handler ever sees unvalidated input.
import type { z } from 'zod';
import { FleetError } from '../core/errors.js';
import { contract, type Handlers, type OperationName } from './contract.js';

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(contract, name);
}

export async function invoke(handlers: Handlers, name: OperationName, rawInput: unknown): Promise<unknown> {
  const parsed = contract[name].input.safeParse(rawInput ?? {});
  if (!parsed.success) {
    throw new FleetError('bad_request', `Invalid input for ${name}: ${describeZodError(parsed.error)}`);
  }
  const handler = handlers[name] as (input: unknown) => Promise<unknown>;
  return handler(parsed.data);
}
