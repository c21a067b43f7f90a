// E-mail through SMTP with nodemailer: STARTTLS (required, never silently plain), TLS from the start,
// or plain on a trusted network; optional auth; an optional CA for a private server's certificate.
// The idempotency key is the Message-ID (and X-FleetDeck-Idempotency-Key), so a re-sent message is
// recognisably the same one.
import { createTransport } from 'nodemailer';
import type { ChannelSettings } from '../../../contract/notify-schemas.js';
import { plainText } from '../notification.js';
import { clip, type Delivery, DeliveryError, SEND_TIMEOUT_MS, type SendResult } from './http.js';

type EmailSettings = Extract<ChannelSettings, { kind: 'email' }>;

export async function sendEmail(
  settings: EmailSettings,
  { notification, idempotencyKey }: Delivery,
): Promise<SendResult> {
  const transport = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    auth: settings.username ? { user: settings.username, pass: settings.password ?? '' } : undefined,
    tls: settings.caPem ? { ca: settings.caPem } : undefined,
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    await transport.sendMail({
      from: settings.from,
      to: settings.to,
      subject: clip(notification.title.replace(/[\r\n]+/g, ' '), 250),
      text: plainText(notification),
      messageId: `<${idempotencyKey}@fleetdeck>`,
      headers: { 'X-FleetDeck-Idempotency-Key': idempotencyKey },
    });
    return { statusCode: null };
  } catch (error) {
    const e = error as { responseCode?: number; code?: string; message?: string };
    const detail = e.message ?? String(error);
    throw new DeliveryError(`SMTP ${settings.host}:${settings.port}: ${clip(detail, 300)}`, e.responseCode ?? null);
  } finally {
    transport.close();
  }
}
