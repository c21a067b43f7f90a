// Sign-in attempts (core/people/sign-in-record.ts's hook) as audit entries: operation `signIn`, the
// account when known, the name presented, the method and why it failed; never the password or code.
import type { Caller } from '../../contract/caller.js';
import type { SignInAttempt, SignInRecorder } from '../people/sign-in-record.js';
import type { AuditLog } from './audit-log.js';

export function auditSignIns(audit: AuditLog, log: SignInRecorder): SignInRecorder {
  return async (attempt: SignInAttempt) => {
    await log(attempt);
    const caller: Caller = {
      kind: attempt.outcome === 'success' ? 'user' : 'anonymous',
      userId: attempt.userId,
      name: attempt.name.slice(0, 200),
      tokenId: null,
      sessionId: null,
      grants: [],
      address: attempt.address,
      userAgent: attempt.userAgent,
    };
    await audit.recordEvent('signIn', caller, attempt.outcome === 'success' ? 'ok' : 'error', {
      detail: { method: attempt.method, reason: attempt.reason },
      errorCode: attempt.outcome === 'success' ? null : 'sign_in_refused',
    });
  };
}
