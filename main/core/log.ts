// Structured logging. Secrets never reach a log line: known fields are redacted as a backstop.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.FLEETDECK_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: {
      paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'adminToken'],
      censor: '[redacted]',
    },
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
