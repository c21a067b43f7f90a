// The audited operation in progress, carried through the async calls of its handler
// (AsyncLocalStorage), so the part that writes the change can put the operation's audit entry into
// the very transaction that stores it (the queue's group commit for commands and task runs) without
// every function in between passing it along. The write hook (store/write-hook.ts) writes the entry of
// any other change just before the COMMIT of the operation's first write transaction; what that
// transaction created, which the operation's input cannot name, the part creating it notes here
// (`noteAuditTargets`, `noteAuditFacts`) so the entry names it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Caller } from '../../contract/caller.js';
import type { AuditDraft, AuditTarget } from './entry.js';

export interface AuditScope {
  caller: Caller;
  /** The entry to write; the transaction that takes it fills in what it knows (targets, ids). */
  draft: AuditDraft;
  /** A transaction is writing the entry (another one of the same operation does not). */
  taken: boolean;
  /** The entry's seq once that transaction committed (then the wrapper writes none). */
  committedSeq: number | null;
  /** The handler returned: later work it started (a queued run, a timer) is no longer this operation. */
  closed?: boolean;
  /** What the change created, noted by the part that created it (the entry written at commit names it). */
  noted?: { targets: AuditTarget[]; facts: Record<string, unknown> };
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

/** Adds to `into` the targets it does not name yet (by id). */
function addTargets(into: AuditTarget[], targets: AuditTarget[]): void {
  for (const target of targets) if (!into.some((t) => t.id === target.id)) into.push(target);
}

function openScope(): AuditScope | null {
  const scope = storage.getStore();
  return scope && !scope.closed ? scope : null;
}

/**
 * Targets the current operation's change created (a new node): its entry, written when the change
 * commits, names them. Call it before the statement that creates them runs. Nothing outside an
 * audited operation.
 */
export function noteAuditTargets(targets: AuditTarget[]): void {
  const scope = openScope();
  if (!scope) return;
  scope.noted ??= { targets: [], facts: {} };
  addTargets(scope.noted.targets, targets);
}

/** Facts of the current operation's change its input does not know (`result.id` of a created row). */
export function noteAuditFacts(facts: Record<string, unknown>): void {
  const scope = openScope();
  if (!scope) return;
  scope.noted ??= { targets: [], facts: {} };
  Object.assign(scope.noted.facts, facts);
}

/** The entry as the change's transaction writes it: the draft with what the change noted. */
export function notedDraft(scope: AuditScope): AuditDraft {
  const { draft, noted } = scope;
  if (!noted) return draft;
  const targets = [...draft.targets];
  addTargets(targets, noted.targets);
  return { ...draft, targets, detail: { ...draft.detail, ...noted.facts } };
}
