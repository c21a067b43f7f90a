// Contract handlers for one-line installs: enrollment codes and the lines that carry them.
import type { Handlers } from '../../contract/contract.js';
import type { EnrollmentCodes } from './codes.js';
import { type InstallValues, installCommands } from './install-script.js';

type EnrollHandlerNames = 'createEnrollmentCode' | 'listEnrollmentCodes' | 'revokeEnrollmentCode';

export function enrollHandlers(
  codes: EnrollmentCodes,
  values: () => Promise<InstallValues>,
): Pick<Handlers, EnrollHandlerNames> {
  return {
    createEnrollmentCode: async (input) => {
      const created = await codes.create(input);
      return { ...created, install: installCommands(await values(), created.code) };
    },
    listEnrollmentCodes: () => codes.list(),
    revokeEnrollmentCode: ({ id }) => codes.revoke(id),
  };
}
