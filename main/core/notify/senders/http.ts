// One POST to a receiver, bounded in time and in how much of the answer is read. Errors name the
// receiver by its origin only: webhook URLs often carry their token in the path or query.
import type { Notification } from '../notification.js';

/** A send that gives up after this long counts as failed (and is retried). */
export const SEND_TIMEOUT_MS = 15_000;
/** Of an error answer, this much is kept for the delivery log. */
const ERROR_BODY_CHARS = 300;

export interface Delivery {
  notification: Notification;
  /** The message id: the same on every attempt of one message, so receivers can drop repeats. */
  idempotencyKey: string;
}

export interface SendResult {
  statusCode: number | null;
}

/** A failed send: `statusCode` is the receiver's answer, null when it never answered. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | null = null,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the receiver';
  }
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs = SEND_TIMEOUT_MS,
): Promise<SendResult> {
  const where = originOf(url);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new DeliveryError(`cannot reach ${where}: ${causeOf(error, timeoutMs)}`);
  }
  const text = await readBounded(response);
  if (response.status >= 200 && response.status < 300) return { statusCode: response.status };
  if (response.status >= 300 && response.status < 400) {
    throw new DeliveryError(
      `${where} answered with a redirect (${response.status}): use the final URL`,
      response.status,
    );
  }
  const detail = text.trim() ? `: ${text.trim().slice(0, ERROR_BODY_CHARS)}` : '';
  throw new DeliveryError(`${where} answered ${response.status} ${response.statusText}${detail}`, response.status);
}

export function postJson(
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
  timeoutMs?: number,
): Promise<SendResult> {
  return post(url, JSON.stringify(payload), { 'content-type': 'application/json', ...headers }, timeoutMs);
}

async function readBounded(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < ERROR_BODY_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // An answer cut off mid-body still has its status.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text;
}

function causeOf(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

/** Text cut to `max` characters with an ellipsis, for receivers with a length limit. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
