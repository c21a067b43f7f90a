// Validates an operation's input against the contract and calls its handler. Every transport
// (HTTP, IPC) goes through here, so no handler ever sees unvalidated input.
import type { z } from 'zod';
import { databaseUnavailable } from '../core/store/unavailable.js';
import { admitCaller } from './access-check.js';
import { accessRules } from './access-rules.js';
import type { Caller } from './caller.js';
import { contract, type Handlers, type OperationName } from './contract.js';
import { FleetError } from './errors.js';
import { type FieldIssue, MAX_FIELD_ISSUES } from './wire.js';

/** The innermost message says what was wrong ("label keys are …"), not just "Invalid key". */
function issueMessage(issue: z.core.$ZodIssue): string {
  const nested =
    'issues' in issue && Array.isArray(issue.issues)
      ? (issue.issues.flat()[0] as z.core.$ZodIssue | undefined)
      : undefined;
  return nested ? issueMessage(nested) : issue.message;
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issueMessage(issue)}` : issueMessage(issue)))
    .join('; ');
}

/** Each refused field with its innermost message, for the form that sent it. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.slice(0, MAX_FIELD_ISSUES).map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: issueMessage(issue),
  }));
}

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(contract, name);
}

export async function invoke(
  handlers: Handlers,
  name: OperationName,
  rawInput: unknown,
  caller: Caller,
): Promise<unknown> {
  // The role first, so a caller without it hears "forbidden" whatever it sent (the handlers check
  // the rest: label scopes, core/access/authorizer.ts).
  admitCaller(name, accessRules[name].need, caller);
  const parsed = contract[name].input.safeParse(rawInput ?? {});
  if (!parsed.success) {
    throw new FleetError(
      'bad_request',
      `Invalid input for ${name}: ${describeZodError(parsed.error)}`,
      fieldIssues(parsed.error),
    );
  }
  const handler = handlers[name] as (input: unknown, caller: Caller) => Promise<unknown>;
  try {
    return await handler(parsed.data, caller);
  } catch (error) {
    // A database that is down or not answering is a 503 `unavailable` on every transport, not a 500.
    throw databaseUnavailable(error) ?? error;
  }
}
