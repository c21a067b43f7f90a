// Telegram bot: sendMessage on the Bot API (api.telegram.org, or a local Bot API server at the
// channel's base URL). Plain text, so nothing in an alert can break a markup parser. The bot token is
// in the URL's path; errors name only the server's origin (senders/http.ts).
import type { ChannelSettings } from '../../../contract/notify-schemas.js';
import { plainText } from '../notification.js';
import { clip, type Delivery, postJson, type SendResult } from './http.js';
import { under } from './push.js';

type TelegramSettings = Extract<ChannelSettings, { kind: 'telegram' }>;

export function sendTelegram(settings: TelegramSettings, { notification }: Delivery): Promise<SendResult> {
  return postJson(under(settings.apiBaseUrl, `bot${settings.botToken}/sendMessage`), {
    chat_id: settings.chatId,
    text: clip(plainText(notification), 4_096),
    link_preview_options: { is_disabled: true },
  });
}
