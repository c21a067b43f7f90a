// Push services: ntfy (JSON publish to the server root) and Gotify (POST /message with the
// application token). Priority follows the severity unless the channel sets one.
import { VERSION } from '../../../../agent/version.js';
import type { ChannelSettings } from '../../../contract/notify-schemas.js';
import type { Notification } from '../notification.js';
import { clip, type Delivery, postJson, type SendResult } from './http.js';

type NtfySettings = Extract<ChannelSettings, { kind: 'ntfy' }>;
type GotifySettings = Extract<ChannelSettings, { kind: 'gotify' }>;

const NTFY_PRIORITY = { info: 3, warning: 4, critical: 5 } as const;
const GOTIFY_PRIORITY = { info: 4, warning: 6, critical: 9 } as const;

function bodyText(n: Notification): string {
  return clip(n.lines.map((line) => `• ${line}`).join('\n'), 3_500);
}

/** The server URL with `path` appended to whatever path it already has (a reverse proxy's prefix). */
export function under(serverUrl: string, path: string): string {
  const url = new URL(serverUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path}`;
  return url.href;
}

export function sendNtfy(settings: NtfySettings, { notification: n, idempotencyKey }: Delivery): Promise<SendResult> {
  const resolved = n.kind === 'resolved';
  return postJson(
    under(settings.serverUrl, ''),
    {
      topic: settings.topic,
      title: clip(n.title, 250),
      message: bodyText(n),
      priority: settings.priority ?? (resolved ? 3 : NTFY_PRIORITY[n.severity]),
      tags: [resolved ? 'white_check_mark' : n.severity === 'critical' ? 'rotating_light' : 'warning'],
      ...(n.link ? { click: n.link } : {}),
    },
    {
      'user-agent': `FleetDeck/${VERSION}`,
      'idempotency-key': idempotencyKey,
      ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}),
    },
  );
}

export function sendGotify(
  settings: GotifySettings,
  { notification: n, idempotencyKey }: Delivery,
): Promise<SendResult> {
  const resolved = n.kind === 'resolved';
  return postJson(
    under(settings.serverUrl, 'message'),
    {
      title: clip(n.title, 250),
      message: bodyText(n),
      priority: settings.priority ?? (resolved ? 4 : GOTIFY_PRIORITY[n.severity]),
      extras: {
        'client::display': { contentType: 'text/plain' },
        ...(n.link ? { 'client::notification': { click: { url: n.link } } } : {}),
        'fleetdeck::message': { idempotencyKey, transitionIds: n.transitionIds.slice(0, 1_000) },
      },
    },
    { 'user-agent': `FleetDeck/${VERSION}`, 'idempotency-key': idempotencyKey, 'x-gotify-key': settings.appToken },
  );
}
