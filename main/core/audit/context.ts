// The audited operation in progress, carried through the async calls of its handler
// (AsyncLocalStorage), so the part that writes the change can put the operation's audit entry into
// the very transaction that stores it (the queue's group commit for commands and task runs) without
// every function in between passing it along.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Caller } from '../../contract/caller.js';
import type { AuditDraft } from './entry.js';

export interface AuditScope {
  caller: Caller;
  /** The entry to write; the transaction that takes it fills in what it knows (targets, ids). */
  draft: AuditDraft;
  /** A transaction is writing the entry (another one of the same operation does not). */
  taken: boolean;
  /** The entry's seq once that transaction committed (then the wrapper writes none). */
  committedSeq: number | null;
  /** The handler returned: later work it started (a queued run) is no longer this operation. */
  closed?: boolean;
}

const storage = new AsyncLocalStorage<AuditScope>();

export function runInAuditScope<T>(scope: AuditScope, run: () => Promise<T>): Promise<T> {
  return storage.run(scope, run);
}

/** The caller of the operation being audited, if any (who launched a command). */
export function currentAuditCaller(): Caller | null {
  const scope = storage.getStore();
  return scope && !scope.closed ? scope.caller : null;
}

/**
 * Takes the current operation's entry to write it in the caller's transaction, once: the first
 * transaction that stores the operation's change records it (it sets `committedSeq` after its commit,
 * or `taken` back to false when it rolled back). Null outside an audited operation.
 */
export function takeAuditDraft(): AuditScope | null {
  const scope = storage.getStore();
  if (!scope || scope.closed || scope.taken) return null;
  scope.taken = true;
  return scope;
}
