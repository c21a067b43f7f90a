// The one place a sign-in attempt is reported: the audit log wires its recorder in here
// (`Accounts.setSignInRecorder`); until then, and by default, an attempt is only logged.
import type { Logger } from '../log.js';

export interface SignInAttempt {
  outcome: 'success' | 'failure';
  /** Why it failed (wrong password, unknown account, disabled, second factor …), or how it succeeded. */
  reason: string;
  method: 'password' | 'setup' | 'oidc';
  /** The account, when known. */
  userId: string | null;
  /** The name presented (bounded). */
  name: string;
  address: string | null;
  userAgent: string | null;
  at: number;
}

export type SignInRecorder = (attempt: SignInAttempt) => void | Promise<void>;

/** The default recorder: a log line, never the password or code. */
export function recordSignIn(log: Logger): SignInRecorder {
  return (attempt) => {
    const fields = { ...attempt, name: attempt.name.slice(0, 128) };
    if (attempt.outcome === 'success') log.info(fields, 'sign-in');
    else log.warn(fields, 'sign-in refused');
  };
}
