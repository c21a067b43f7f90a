// The channel form's fields per kind, and the conversion between what the form holds (text per field)
// and the contract's settings. Secret fields start empty when editing: left empty, the saved value is
// kept (the master never sends secrets back).
import type { InputOf, OutputOf } from '../../../main/contract/contract';

export type ChannelView = OutputOf<'listChannels'>[number];
export type ChannelKind = ChannelView['kind'];
type Settings = InputOf<'createChannel'>['settings'];

export const KINDS: readonly ChannelKind[] = [
  'webhook',
  'email',
  'slack',
  'discord',
  'teams',
  'telegram',
  'ntfy',
  'gotify',
];

export type FieldType = 'text' | 'url' | 'secret' | 'number' | 'security' | 'list' | 'headers' | 'pem';

export interface Field {
  name: string;
  type: FieldType;
  required?: boolean;
  /** Shown in an empty field; also the value used when it stays empty. */
  fallback?: string;
}

export const FIELDS: Record<ChannelKind, readonly Field[]> = {
  webhook: [
    { name: 'url', type: 'secret', required: true },
    { name: 'signingSecret', type: 'secret' },
    { name: 'headers', type: 'headers' },
  ],
  email: [
    { name: 'host', type: 'text', required: true },
    { name: 'port', type: 'number', fallback: '587' },
    { name: 'security', type: 'security', fallback: 'starttls' },
    { name: 'username', type: 'text' },
    { name: 'password', type: 'secret' },
    { name: 'from', type: 'text', required: true },
    { name: 'to', type: 'list', required: true },
    { name: 'caPem', type: 'pem' },
  ],
  slack: [{ name: 'webhookUrl', type: 'secret', required: true }],
  discord: [{ name: 'webhookUrl', type: 'secret', required: true }],
  teams: [{ name: 'webhookUrl', type: 'secret', required: true }],
  telegram: [
    { name: 'apiBaseUrl', type: 'url', fallback: 'https://api.telegram.org' },
    { name: 'botToken', type: 'secret', required: true },
    { name: 'chatId', type: 'text', required: true },
  ],
  ntfy: [
    { name: 'serverUrl', type: 'url', fallback: 'https://ntfy.sh' },
    { name: 'topic', type: 'text', required: true },
    { name: 'token', type: 'secret' },
    { name: 'priority', type: 'number' },
  ],
  gotify: [
    { name: 'serverUrl', type: 'url', required: true },
    { name: 'appToken', type: 'secret', required: true },
    { name: 'priority', type: 'number' },
  ],
};

/** Secret-like fields: empty on edit, "keep" when left empty. */
export function isSecret(field: Field): boolean {
  return field.type === 'secret' || field.type === 'headers';
}

export type FormValues = Record<string, string>;

/** The form's text for a saved channel (secrets empty: they are not sent back). */
export function valuesOf(channel: ChannelView | null, kind: ChannelKind): FormValues {
  const values: FormValues = {};
  const saved = channel?.kind === kind ? channel.settings : {};
  for (const field of FIELDS[kind]) {
    if (isSecret(field)) {
      values[field.name] = '';
      continue;
    }
    const value = saved[field.name];
    values[field.name] =
      value === undefined || value === null ? '' : Array.isArray(value) ? value.join(', ') : String(value);
  }
  return values;
}

/** A field left empty that must be filled: new channels need every required secret, edits keep theirs. */
export function missingFields(kind: ChannelKind, values: FormValues, secretsSet: readonly string[]): string[] {
  return FIELDS[kind]
    .filter((f) => f.required && !f.fallback && !values[f.name]?.trim())
    .filter((f) => !(isSecret(f) && secretsSet.includes(f.name)))
    .map((f) => f.name);
}

/** "Name: value" lines → headers; a line without a colon is reported by its number. */
export function parseHeaders(text: string): { headers: Record<string, string>; badLine: number | null } {
  const headers: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { headers, badLine: i + 1 };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers, badLine: null };
}

/** The contract's settings from the form: empty optional fields and kept secrets are left out. */
export function settingsOf(kind: ChannelKind, values: FormValues): Settings {
  const settings: Record<string, unknown> = { kind };
  for (const field of FIELDS[kind]) {
    const text = (values[field.name] ?? '').trim();
    if (!text) continue;
    if (field.type === 'number') settings[field.name] = Number(text);
    else if (field.type === 'list')
      settings[field.name] = text
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter(Boolean);
    else if (field.type === 'headers') settings[field.name] = parseHeaders(text).headers;
    else settings[field.name] = field.type === 'pem' ? values[field.name] : text;
  }
  return settings as Settings;
}
