// Requests Node's HTTP parser refuses before any handler runs (a request line or headers above its
// 16 KiB limit, an unknown method, bytes that are not HTTP): Node would answer a bare status line.
// Here they get the documented error body, and the address is counted like a failed login, since a
// client sending these is broken or probing.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ErrorCode, errorStatus } from '../contract/errors.js';
import type { FailureLimiter } from '../core/gateway/failure-limiter.js';

interface ParserError extends Error {
  code?: string;
}

function describe(error: ParserError): { code: ErrorCode; message: string; counts: boolean } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        code: 'headers_too_large',
        message: 'The request line and headers exceed 16 KiB: shorten the URL (ids are at most 64 characters).',
        counts: true,
      };
    case 'HPE_INVALID_METHOD':
      return {
        code: 'bad_request',
        message: 'Unknown HTTP method: the admin API takes GET, POST, PATCH, PUT and DELETE.',
        counts: true,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request_timeout', message: 'The request did not arrive in time.', counts: false };
    default:
      return { code: 'bad_request', message: 'The request is not valid HTTP/1.1.', counts: true };
  }
}

/** The `clientError` listener: answers in the documented shape where the socket still allows it. */
export function answerClientError(error: ParserError, socket: Duplex, limiter: FailureLimiter): void {
  const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || inProgress) {
    socket.destroy();
    return;
  }
  const address = (socket as { remoteAddress?: string }).remoteAddress ?? 'unknown';
  let { code, message, counts } = describe(error);
  if (counts) {
    if (limiter.isBlocked(address)) {
      code = 'rate_limited';
      message = 'Too many malformed or unauthenticated requests from this address; wait a minute.';
    } else {
      limiter.recordFailure(address);
    }
  }
  const status = errorStatus[code];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'cache-control: no-store\r\n' +
      'connection: close\r\n\r\n' +
      body,
  );
}
