// What the signed-in caller may do, from whoAmI: the renderer hides what the master would refuse (a
// viewer sees no Run button). The master enforces the same rules (contract/access-rules.ts) whatever
// the page shows; this only keeps people from meeting a 403.
import { useQuery } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useMemo } from 'react';
import { mayOnNode, mayUseRole } from '../../main/contract/access-rules';
import type { Role, RoleGrant } from '../../main/contract/caller';
import type { Client, OutputOf } from '../../main/contract/contract';

export interface Access {
  me: OutputOf<'whoAmI'> | null;
  /** Whether any of the caller's roles reaches `role` (on some nodes at least). */
  may(role: Role): boolean;
  /** Whether the caller may do `role`'s things on a node with these labels. */
  mayOn(role: Role, labels: Record<string, string>): boolean;
}

/** Until whoAmI answers, nothing beyond reading is offered. */
const NOBODY: Access = { me: null, may: (role) => role === 'viewer', mayOn: (role) => role === 'viewer' };

const AccessContext = createContext<Access>(NOBODY);

export function AccessProvider({ client, children }: { client: Client; children: ReactNode }) {
  const me = useQuery({ queryKey: ['whoAmI'], queryFn: () => client.whoAmI({}), staleTime: 60_000 });
  const access = useMemo<Access>(() => {
    if (!me.data) return NOBODY;
    const grants: RoleGrant[] = me.data.grants;
    return {
      me: me.data,
      may: (role) => mayUseRole(grants, role),
      mayOn: (role, labels) => mayOnNode(grants, role, labels),
    };
  }, [me.data]);
  return <AccessContext.Provider value={access}>{children}</AccessContext.Provider>;
}

export function useAccess(): Access {
  return useContext(AccessContext);
}
