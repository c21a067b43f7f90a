// Retries a database write with exponential backoff while the database is away, so an outage delays
// what agents reported instead of dropping it.

export interface RetryOptions {
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Stop retrying (and rethrow) once this returns false, e.g. when the master is stopping. */
  keepTrying?: () => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export async function retryWithBackoff<T>(write: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { firstDelayMs = 250, maxDelayMs = 30_000, keepTrying = () => true, onRetry } = options;
  let delay = firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!keepTrying()) throw error;
      onRetry?.(error, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(maxDelayMs, delay * 2);
    }
  }
}
