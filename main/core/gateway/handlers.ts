// The gateway certificate's operations (contract: tlsStatus, rotateTls, retireTls).
import type { Handlers } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import type { GatewayCertificates } from './certificates.js';

export function tlsHandlers(
  certificates: GatewayCertificates | null,
): Pick<Handlers, 'tlsStatus' | 'rotateTls' | 'retireTls'> {
  const need = () => {
    if (!certificates) {
      throw new FleetError(
        'conflict',
        'This master serves agents without TLS (--no-agent-tls): there is no certificate.',
      );
    }
    return certificates;
  };
  return {
    tlsStatus: async () => need().status(),
    rotateTls: async (input) => need().rotate(input),
    retireTls: async () => need().retire(),
  };
}
