// Generic webhook: the notification as JSON, signed with HMAC-SHA256 when the channel has a key.
// Receivers verify `X-FleetDeck-Signature` = "sha256=" + hex(HMAC(key, timestamp + "." + body)) with
// `X-FleetDeck-Timestamp` (Unix seconds; refuse old ones to stop replays) and drop repeats by
// `Idempotency-Key` (also `idempotencyKey` in the body).
import { createHmac } from 'node:crypto';
import { VERSION } from '../../../../agent/version.js';
import type { ChannelSettings } from '../../../contract/notify-schemas.js';
import { plainText } from '../notification.js';
import { type Delivery, post, type SendResult } from './http.js';

type WebhookSettings = Extract<ChannelSettings, { kind: 'webhook' }>;

export function webhookBody({ notification: n, idempotencyKey }: Delivery): string {
  return JSON.stringify({
    version: 1,
    idempotencyKey,
    kind: n.kind,
    title: n.title,
    text: plainText(n),
    severity: n.severity,
    rule: { id: n.ruleId, name: n.ruleName },
    alertCount: n.alertCount,
    alerts: n.alerts,
    transitionIds: n.transitionIds,
    link: n.link,
    at: n.at,
  });
}

export function signature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function sendWebhook(settings: WebhookSettings, delivery: Delivery): Promise<SendResult> {
  const body = webhookBody(delivery);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    ...settings.headers,
    'content-type': 'application/json',
    'user-agent': `FleetDeck/${VERSION}`,
    'idempotency-key': delivery.idempotencyKey,
    'x-fleetdeck-timestamp': timestamp,
  };
  if (settings.signingSecret) headers['x-fleetdeck-signature'] = signature(settings.signingSecret, timestamp, body);
  return post(settings.url, body, headers);
}
