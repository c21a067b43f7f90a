// TLS that trusts only pinned certificates: the master's, by SHA-256 fingerprint — any of the agent's
// pins (during a certificate rotation it holds the current and the next). The check runs before the
// socket is handed to the HTTP client, so the token is never sent to an impostor.
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export class FingerprintMismatchError extends Error {
  override name = 'FingerprintMismatchError';
  constructor(
    readonly expected: readonly string[],
    readonly actual: string,
  ) {
    super(
      `the master's TLS certificate is ${actual}, but this agent pins ${expected.join(', ')}. ` +
        'Refusing to connect (and to send the token). If the master was reinstalled, update --ca-fingerprint.',
    );
  }
}

export function certificateFingerprint(socket: tls.TLSSocket): string {
  const raw = socket.getPeerCertificate().fingerprint256 ?? '';
  return `sha256:${raw.replaceAll(':', '').toLowerCase()}`;
}

type OnCreate = (error: Error | null, socket?: Duplex) => void;

/** A `createConnection` for http(s).request that completes only after a pin is verified. */
export function pinnedConnect(expected: readonly string[]) {
  return (options: tls.ConnectionOptions, onCreate: OnCreate): undefined => {
    const socket = tls.connect({ ...options, rejectUnauthorized: false });
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      if (error) {
        socket.destroy();
        onCreate(error);
      } else {
        onCreate(null, socket);
      }
    };
    socket.once('secureConnect', () => {
      const actual = certificateFingerprint(socket);
      settle(expected.includes(actual) ? null : new FingerprintMismatchError(expected, actual));
    });
    socket.once('error', (error) => settle(error));
    return undefined;
  };
}
