// Schemas for terminals: opening one on a node, the session list, broadcast input, recordings, and
// the frames of the browser's WebSocket to a session (served by server/terminal-socket.ts).
import { z } from 'zod';
import { MAX_TERMINAL_INPUT_CHARS, TerminalEndReason, TerminalId } from '../../agent/protocol.js';
import { NodeId } from './schemas.js';

export const TerminalSessionId = TerminalId.describe('t and 15 hex digits');
const Cols = z.coerce.number().int().min(2).max(1000);
const Rows = z.coerce.number().int().min(1).max(500);

export const OpenTerminal = z.object({ id: NodeId, cols: Cols.default(80), rows: Rows.default(24) });

export const TerminalSessionView = z.object({
  id: TerminalSessionId,
  nodeId: NodeId,
  nodeName: z.string(),
  /** `opening` until the host's shell runs; `ended` with a reason once it is over. */
  state: z.enum(['opening', 'open', 'ended']),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  endReason: z.union([TerminalEndReason, z.enum(['revoked', 'master_stopped'])]).nullable(),
  exitCode: z.number().int().nullable(),
  /** Why it ended, in words, when it did not end by itself. */
  message: z.string().nullable(),
  shell: z.string().nullable(),
  cols: z.number().int(),
  rows: z.number().int(),
  /** A browser is attached right now (open sessions only). */
  attached: z.boolean(),
  recordedBytes: z.number().int(),
  /** The recording reached the size cap and stopped there (the session went on). */
  recordingTruncated: z.boolean(),
});
export type TerminalSessionView = z.infer<typeof TerminalSessionView>;

/** A ticket is the only credential of a session's WebSocket (a browser cannot send the admin header there). */
export const TerminalTicket = z.object({ ticket: z.string(), expiresAt: z.number(), socketPath: z.string() });
export const OpenedTerminal = z.object({ session: TerminalSessionView }).extend(TerminalTicket.shape);

export const SessionRef = z.object({ sessionId: TerminalSessionId });
export const ListTerminalSessions = z.object({
  nodeId: NodeId.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const BroadcastInput = z.object({
  sessionIds: z.array(TerminalSessionId).min(1).max(100),
  data: z.string().min(1).max(MAX_TERMINAL_INPUT_CHARS),
});
export const BroadcastResult = z.object({
  sent: z.array(TerminalSessionId),
  /** Sessions that did not get the input, and why (ended, or open on another instance). */
  skipped: z.array(z.object({ sessionId: TerminalSessionId, message: z.string() })),
});

export const TerminalRecording = z.object({
  session: TerminalSessionView,
  /** asciicast v2: a header line, then `[seconds, "o"|"i"|"r", data]` lines. */
  cast: z.string(),
});

// ---- the browser's WebSocket to one session ---------------------------------------------------
// Binary frames from the master are output bytes. The browser acknowledges what it has written to the
// screen; the master passes that on to the agent, whose window then opens: a flood blocks the program
// on the host instead of filling memory anywhere on the way.

export const TerminalClientFrame = z.discriminatedUnion('type', [
  /** First frame: output bytes already shown (0 for a new screen); the master resends from there. */
  z.object({ type: z.literal('attach'), received: z.number().int().min(0) }),
  z.object({ type: z.literal('input'), data: z.string().min(1).max(MAX_TERMINAL_INPUT_CHARS) }),
  z.object({ type: z.literal('resize'), cols: Cols, rows: Rows }),
  z.object({ type: z.literal('ack'), bytes: z.number().int().min(0) }),
]);
export type TerminalClientFrame = z.infer<typeof TerminalClientFrame>;

export const TerminalServerFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('attached'), session: TerminalSessionView, from: z.number().int() }),
  z.object({ type: z.literal('session'), session: TerminalSessionView }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type TerminalServerFrame = z.infer<typeof TerminalServerFrame>;

/** The socket of a session, ticket in the query: `/api/terminals/<id>/socket?ticket=…`. */
export const TERMINAL_SOCKET_PATH = /^\/api\/terminals\/(t[0-9a-f]{15})\/socket$/;
export const terminalSocketPath = (sessionId: string) => `/api/terminals/${sessionId}/socket`;
