// Shapes of notification channels and their delivery log in the admin contract. Each channel kind
// lists its settings; the fields in `CHANNEL_SECRET_FIELDS` are sealed at rest and never leave the
// master again (views say only which are set).
import { z } from 'zod';

const HTTP_URL_HINT = 'an http:// or https:// URL';

export const HttpUrl = z
  .string()
  .trim()
  .max(2048, 'URLs are at most 2,048 characters')
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, `expected ${HTTP_URL_HINT}`);

const Email = z.string().trim().max(254).email('expected an e-mail address such as ops@example.com');

/** Header names a channel may not set: the request's framing, and what FleetDeck itself signs. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'idempotency-key',
  'x-fleetdeck-signature',
  'x-fleetdeck-timestamp',
]);

export const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'header names are 1–64 letters, digits or -_.')
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'FleetDeck sets this header itself');

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NoControl = /^[^\u0000-\u001f\u007f]*$/;

const HeaderValue = z.string().max(1024).regex(NoControl, 'header values cannot contain control characters');

const Webhook = z.object({
  kind: z.literal('webhook'),
  url: HttpUrl.describe('receives a POST with the notification as JSON (secret: it may carry a token)'),
  signingSecret: z
    .string()
    .min(16, 'a signing secret has at least 16 characters')
    .max(256)
    .optional()
    .describe('HMAC-SHA256 key: X-FleetDeck-Signature is sha256=hex(HMAC(key, timestamp + "." + body))'),
  headers: z
    .record(HeaderName, HeaderValue)
    .refine((h) => Object.keys(h).length <= 20, 'at most 20 headers')
    .optional()
    .describe('extra request headers, e.g. Authorization (values are secret)'),
});

const Email_ = z.object({
  kind: z.literal('email'),
  host: z.string().trim().min(1, 'name the SMTP server').max(253),
  port: z.number().int().min(1).max(65_535).default(587),
  security: z
    .enum(['starttls', 'tls', 'none'])
    .default('starttls')
    .describe('starttls: plain connection upgraded to TLS (port 587, required); tls: TLS from the start (465)'),
  username: z.string().max(256).optional(),
  password: z.string().max(512).optional(),
  from: Email,
  to: z.array(Email).min(1, 'add at least one recipient').max(20, 'at most 20 recipients'),
  caPem: z
    .string()
    .max(16_384)
    .regex(/-----BEGIN CERTIFICATE-----/, 'expected a PEM certificate')
    .optional()
    .describe("a CA certificate (PEM) to trust for this server, for a private mail server's certificate"),
});

const Telegram = z.object({
  kind: z.literal('telegram'),
  apiBaseUrl: HttpUrl.default('https://api.telegram.org').describe('the Bot API (or a local Bot API server)'),
  botToken: z
    .string()
    .regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'a bot token looks like 123456:ABC-DEF… (from @BotFather)'),
  chatId: z
    .string()
    .trim()
    .regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,64})$/, 'a chat id is a number (-100… for groups) or @channelname'),
});

const chatWebhook = <K extends 'slack' | 'discord' | 'teams'>(kind: K, what: string) =>
  z.object({ kind: z.literal(kind), webhookUrl: HttpUrl.describe(`the ${what} incoming webhook URL (secret)`) });

const Ntfy = z.object({
  kind: z.literal('ntfy'),
  serverUrl: HttpUrl.default('https://ntfy.sh'),
  topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'a topic is 1–64 letters, digits, - or _'),
  token: z.string().max(256).optional().describe('access token of a protected topic'),
  priority: z.number().int().min(1).max(5).optional().describe('1 (min) to 5 (max); default: by severity'),
});

const Gotify = z.object({
  kind: z.literal('gotify'),
  serverUrl: HttpUrl,
  appToken: z.string().min(1).max(256).describe("the application's token"),
  priority: z.number().int().min(0).max(10).optional().describe('default: by severity'),
});

export const ChannelSettings = z.discriminatedUnion('kind', [
  Webhook,
  Email_,
  Telegram,
  chatWebhook('slack', 'Slack'),
  chatWebhook('discord', 'Discord'),
  chatWebhook('teams', 'Microsoft Teams'),
  Ntfy,
  Gotify,
]);
export type ChannelSettings = z.output<typeof ChannelSettings>;
export type ChannelKind = ChannelSettings['kind'];
export const CHANNEL_KINDS = ChannelSettings.options.map((o) => o.shape.kind.value) as ChannelKind[];

/** The settings sealed at rest; views only say whether each is set. */
export const CHANNEL_SECRET_FIELDS = {
  webhook: ['url', 'signingSecret', 'headers'],
  email: ['password'],
  telegram: ['botToken'],
  slack: ['webhookUrl'],
  discord: ['webhookUrl'],
  teams: ['webhookUrl'],
  ntfy: ['token'],
  gotify: ['appToken'],
} as const satisfies { [K in ChannelKind]: ReadonlyArray<keyof Extract<ChannelSettings, { kind: K }>> };

/** An update may leave secrets out: what is saved is kept. */
export const ChannelSettingsUpdate = z.discriminatedUnion('kind', [
  Webhook.partial({ url: true }),
  Email_,
  Telegram.partial({ botToken: true }),
  chatWebhook('slack', 'Slack').partial({ webhookUrl: true }),
  chatWebhook('discord', 'Discord').partial({ webhookUrl: true }),
  chatWebhook('teams', 'Microsoft Teams').partial({ webhookUrl: true }),
  Ntfy,
  Gotify.partial({ appToken: true }),
]);
export type ChannelSettingsUpdate = z.output<typeof ChannelSettingsUpdate>;

export const ChannelName = z
  .string()
  .trim()
  .min(1, 'a channel needs a name')
  .max(128)
  .regex(NoControl, 'names cannot contain control characters');

const timing = {
  groupWaitSec: z
    .number()
    .int()
    .min(0)
    .max(3_600)
    .describe('how long a new group waits for more alerts before its first message'),
  groupIntervalSec: z
    .number()
    .int()
    .min(1)
    .max(86_400)
    .describe('at least this long between two messages of one group (changes are collected meanwhile)'),
  repeatIntervalSec: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .describe('re-send a still-firing group this often (0: never)'),
};

export const DEFAULT_GROUPING = { groupWaitSec: 10, groupIntervalSec: 60, repeatIntervalSec: 4 * 3_600 } as const;

export const MessageTemplate = z
  .object({
    title: z.string().max(200).regex(NoControl, 'a title is one line').optional(),
    line: z.string().max(500).regex(NoControl, 'a line template is one line').optional(),
  })
  .describe(
    'placeholders: {state} {rule} {severity} {count} {nodes} {node} {labels} {value} {threshold} {unit} {duration} {summary} {link}',
  );

export const CreateChannel = z.object({
  name: ChannelName,
  enabled: z.boolean().default(true),
  groupWaitSec: timing.groupWaitSec.default(DEFAULT_GROUPING.groupWaitSec),
  groupIntervalSec: timing.groupIntervalSec.default(DEFAULT_GROUPING.groupIntervalSec),
  repeatIntervalSec: timing.repeatIntervalSec.default(DEFAULT_GROUPING.repeatIntervalSec),
  template: MessageTemplate.optional(),
  settings: ChannelSettings,
});
export type CreateChannel = z.output<typeof CreateChannel>;

export const ChannelId = z.string().min(1).max(64);

export const UpdateChannel = z.object({
  id: ChannelId,
  name: ChannelName.optional(),
  enabled: z.boolean().optional(),
  groupWaitSec: timing.groupWaitSec.optional(),
  groupIntervalSec: timing.groupIntervalSec.optional(),
  repeatIntervalSec: timing.repeatIntervalSec.optional(),
  template: MessageTemplate.optional(),
  settings: ChannelSettingsUpdate.optional().describe('secrets left out keep their saved values'),
  clearSecrets: z
    .array(z.string().max(32))
    .max(10)
    .optional()
    .describe('optional secrets to forget (signingSecret, …)'),
});
export type UpdateChannel = z.output<typeof UpdateChannel>;

/** Consecutive failed attempts from which a channel is shown failing. */
export const FAILING_AFTER = 3;

export const ChannelHealth = z.object({
  state: z.enum(['ok', 'failing', 'untested']).describe(`failing: the last ${FAILING_AFTER}+ attempts failed`),
  failures: z.number().describe('consecutive failed attempts since the last delivery'),
  lastError: z.string().nullable(),
  lastFailureAt: z.number().nullable(),
  lastSuccessAt: z.number().nullable(),
  pending: z.number().describe('messages not delivered yet'),
});

export const ChannelView = z.object({
  id: ChannelId,
  name: z.string(),
  kind: z.enum(CHANNEL_KINDS as [ChannelKind, ...ChannelKind[]]),
  enabled: z.boolean(),
  groupWaitSec: z.number(),
  groupIntervalSec: z.number(),
  repeatIntervalSec: z.number(),
  /** The kind's settings without its secrets. */
  settings: z.record(z.string(), z.unknown()),
  secretsSet: z.array(z.string()).describe('which secret settings are saved'),
  template: MessageTemplate,
  /** Where it sends, without secrets: "https://hooks.example.com", "smtp.example.com:587 → ops@…". */
  target: z.string(),
  health: ChannelHealth,
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type ChannelView = z.output<typeof ChannelView>;

export const TestResult = z.object({
  ok: z.boolean(),
  statusCode: z.number().nullable(),
  error: z.string().nullable(),
  durationMs: z.number(),
});
export type TestResult = z.output<typeof TestResult>;

export const DeliveryStatus = z
  .enum(['pending', 'delivered', 'failed', 'expired'])
  .describe('failed: a test that did not arrive (tests are not retried); expired: gave up after the retry window');

export const AttemptView = z.object({
  attempt: z.number(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  outcome: z.enum(['delivered', 'failed', 'interrupted']).nullable().describe('null: in flight'),
  statusCode: z.number().nullable(),
  error: z.string().nullable(),
});

export const DeliveryView = z.object({
  id: z.string().describe('also the idempotency key receivers see'),
  channelId: ChannelId,
  channelName: z.string(),
  kind: z.enum(['firing', 'resolved', 'repeat', 'test']),
  title: z.string(),
  alertCount: z.number(),
  status: DeliveryStatus,
  attempts: z.array(AttemptView),
  nextAttemptAt: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.number(),
  deliveredAt: z.number().nullable(),
});
export type DeliveryView = z.output<typeof DeliveryView>;

export const ListDeliveries = z.object({
  channelId: ChannelId.optional(),
  status: DeliveryStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().optional().describe('cursor: createdAt of the last delivery of the previous page'),
});

export const DeliveryEvent = z.object({
  channelId: ChannelId,
  messageId: z.string(),
  outcome: z.enum(['delivered', 'failed', 'queued']),
});
