// Incoming webhooks of chat services: Slack (mrkdwn text), Discord (content + an embed) and Microsoft
// Teams (an Adaptive Card, which both Workflows webhooks and the older connectors accept). Each has a
// length limit; longer lists are cut with an ellipsis (the full list is in FleetDeck).
import { VERSION } from '../../../../agent/version.js';
import type { ChannelSettings } from '../../../contract/notify-schemas.js';
import type { Notification } from '../notification.js';
import { clip, type Delivery, postJson, type SendResult } from './http.js';

type ChatSettings = Extract<ChannelSettings, { kind: 'slack' | 'discord' | 'teams' }>;

const SEVERITY_COLOR = { info: 0x3b82f6, warning: 0xf59e0b, critical: 0xdc2626 } as const;
const RESOLVED_COLOR = 0x16a34a;

function colorOf(n: Notification): number {
  return n.kind === 'resolved' ? RESOLVED_COLOR : SEVERITY_COLOR[n.severity];
}

/** Slack's mrkdwn escapes only &, < and >. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackPayload(n: Notification): unknown {
  const lines = n.lines.map((line) => `• ${slackEscape(line)}`).join('\n');
  const link = n.link ? `\n<${n.link}|Open in FleetDeck>` : '';
  return { text: clip(`*${slackEscape(n.title)}*\n${lines}${link}`, 39_000) };
}

export function discordPayload(n: Notification): unknown {
  return {
    content: clip(n.title, 2_000),
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: clip(n.ruleName, 256),
        description: clip(n.lines.map((line) => `• ${line}`).join('\n'), 4_000),
        color: colorOf(n),
        ...(n.link ? { url: n.link } : {}),
        timestamp: new Date(n.at).toISOString(),
      },
    ],
  };
}

export function teamsPayload(n: Notification): unknown {
  const body: unknown[] = [
    { type: 'TextBlock', text: clip(n.title, 1_000), weight: 'Bolder', size: 'Medium', wrap: true },
    ...n.lines
      .slice(0, 50)
      .map((line) => ({ type: 'TextBlock', text: clip(line, 1_000), wrap: true, spacing: 'Small' })),
  ];
  if (n.lines.length > 50) body.push({ type: 'TextBlock', text: `… and ${n.lines.length - 50} more`, wrap: true });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          ...(n.link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in FleetDeck', url: n.link }] } : {}),
        },
      },
    ],
  };
}

const PAYLOADS = { slack: slackPayload, discord: discordPayload, teams: teamsPayload } as const;

export function sendChat(settings: ChatSettings, delivery: Delivery): Promise<SendResult> {
  return postJson(settings.webhookUrl, PAYLOADS[settings.kind](delivery.notification), {
    'user-agent': `FleetDeck/${VERSION}`,
    'idempotency-key': delivery.idempotencyKey,
  });
}
