// The first step of every check (contract/access-rules.ts): does the caller have the role at all?
// Apart from the rules so the renderer, which imports the rules, does not pull in the error classes.
import { article, describeGrants, grantsFor, type Need } from './access-rules.js';
import type { Caller, RoleGrant } from './caller.js';
import { FleetError } from './errors.js';

/**
 * The caller's grants that count for `need`; null when nothing more is to be checked (a public or
 * signed-in operation, or an unscoped grant of the role). Refuses a caller without a grant of the role.
 */
export function admitCaller(name: string, need: Need, caller: Caller): RoleGrant[] | null {
  if (need === 'public') return null;
  if (caller.kind === 'anonymous') {
    throw new FleetError('unauthorized', `${name} needs a credential: send "Authorization: Bearer <token>".`);
  }
  if (need === 'signed-in') return null;
  const eligible = grantsFor(caller.grants, need);
  if (eligible.length === 0) {
    throw new FleetError('forbidden', `${describeGrants(caller)}: ${name} needs ${article(need)} ${need}.`);
  }
  return eligible.some((g) => g.selector === null) ? null : eligible;
}
