// Retries a database write with exponential backoff: while the database is away (an outage delays
// what agents reported instead of dropping it), or after a deadlock between instances.

export interface RetryOptions {
  firstDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Whether to try again after this failure (`attempt` failures so far); false rethrows it — e.g.
   * once the master is stopping, or for errors that are not worth retrying.
   */
  keepTrying?: (error: unknown, attempt: number) => boolean;
  /** Spread each delay over 50–150 % of itself, so competing writers do not retry in step. */
  jitter?: boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export async function retryWithBackoff<T>(write: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { firstDelayMs = 250, maxDelayMs = 30_000, keepTrying = () => true, jitter = false, onRetry } = options;
  let delay = firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!keepTrying(error, attempt)) throw error;
      const wait = jitter ? delay * (0.5 + Math.random()) : delay;
      onRetry?.(error, attempt, wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
      delay = Math.min(maxDelayMs, delay * 2);
    }
  }
}
