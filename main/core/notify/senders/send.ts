// One entry for every channel kind: the switch is exhaustive, so a new kind fails to compile until it
// has a sender.
import type { ChannelSettings } from '../../../contract/notify-schemas.js';
import { sendChat } from './chat.js';
import { sendEmail } from './email.js';
import type { Delivery, SendResult } from './http.js';
import { sendGotify, sendNtfy } from './push.js';
import { sendTelegram } from './telegram.js';
import { sendWebhook } from './webhook.js';

export { DeliveryError } from './http.js';
export type { Delivery, SendResult };

export function send(settings: ChannelSettings, delivery: Delivery): Promise<SendResult> {
  switch (settings.kind) {
    case 'webhook':
      return sendWebhook(settings, delivery);
    case 'email':
      return sendEmail(settings, delivery);
    case 'telegram':
      return sendTelegram(settings, delivery);
    case 'slack':
    case 'discord':
    case 'teams':
      return sendChat(settings, delivery);
    case 'ntfy':
      return sendNtfy(settings, delivery);
    case 'gotify':
      return sendGotify(settings, delivery);
    default: {
      const never: never = settings;
      throw new Error(`no sender for ${JSON.stringify(never)}`);
    }
  }
}
