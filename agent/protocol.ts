// The agent ⇄ master wire protocol. Both sides import this module; every frame is
// validated against these schemas before it is acted on.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** Control frames larger than this are refused by the socket itself (ws maxPayload). */
export const MAX_CONTROL_FRAME_BYTES = 1024 * 1024;

/** Close codes the master uses; the agent maps them to clear log lines and reconnect policy. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  tooLarge: 1009,
  masterRestarting: 1012,
  protocolError: 4000,
  replaced: 4002,
  revoked: 4003,
  abusive: 4004,
  nodeDeleted: 4005,
  helloTimeout: 4008,
  heartbeatTimeout: 4009,
  unsupportedProtocol: 4010,
} as const;

export const Capabilities = z.object({
  exec: z.boolean(),
  files: z.boolean(),
  filesWrite: z.boolean(),
  roots: z.array(z.string().min(1).max(4096)).max(64),
});
export type Capabilities = z.infer<typeof Capabilities>;

const shortText = z.string().max(256);

export const HostFacts = z.object({
  hostname: shortText,
  os: shortText,
  platform: z.string().max(32),
  arch: z.string().max(32),
  kernel: shortText,
  bootId: z.string().max(128),
});
export type HostFacts = z.infer<typeof HostFacts>;

export const HelloMessage = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().positive(),
  agentVersion: z.string().min(1).max(64),
  facts: HostFacts,
  capabilities: Capabilities,
});
export type HelloMessage = z.infer<typeof HelloMessage>;

export const AgentMessage = z.discriminatedUnion('type', [HelloMessage]);
export type AgentMessage = z.infer<typeof AgentMessage>;

export const WelcomeMessage = z.object({
  type: z.literal('welcome'),
  nodeId: z.string(),
  nodeName: z.string(),
  heartbeatSec: z.number().positive(),
  masterVersion: z.string(),
  serverTime: z.number(),
});
export type WelcomeMessage = z.infer<typeof WelcomeMessage>;

export const ErrorMessage = z.object({
  type: z.literal('error'),
  code: z.string().max(64),
  message: z.string().max(1024),
});
export type ErrorMessage = z.infer<typeof ErrorMessage>;

export const MasterMessage = z.discriminatedUnion('type', [WelcomeMessage, ErrorMessage]);
export type MasterMessage = z.infer<typeof MasterMessage>;

/** Header names used on the WebSocket upgrade request. */
export const AUTH_HEADER = 'authorization';
export const REJECT_REASON_HEADER = 'x-fleetdeck-reject-reason';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses one text frame against a schema; never throws. */
export function parseFrame<T>(schema: z.ZodType<T>, raw: string): ParseResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'frame is not valid JSON' };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `invalid message${where}: ${issue?.message ?? 'unknown'}` };
}
