// The shape of `/api/events` beyond the contract's events, shared by the server and the renderer
// (dependency-free). Every event carries an `id:`; a client that reconnects sends the last one as
// `Last-Event-ID` and the server replays what it missed from a bounded buffer, or says it cannot.

/** The first event of every stream: whether the events since `Last-Event-ID` were replayed. */
export const STREAM_OPENED_EVENT = 'streamOpened';
export interface StreamOpened {
  /** false: the id was unknown (a restarted master, or too far behind) — refetch everything. */
  resumed: boolean;
}

/**
 * The last event of a stream the server cut because its caller's session or token ended, or its
 * roles changed. Its id resumes nothing, so the reconnect (401, or the new scope) refetches everything.
 */
export const STREAM_CLOSED_EVENT = 'streamClosed';
export const UNRESUMABLE_EVENT_ID = '0.0';

/** The server writes at least this often (a comment when idle), so silence means a dead connection. */
export const STREAM_HEARTBEAT_MS = 1_500;
/** A client that hears nothing for this long treats the connection as lost. */
export const STREAM_SILENCE_MS = 4_000;

/** `<epoch>.<sequence>`: the epoch changes with every server start, so old ids never match. */
export const EVENT_ID_PATTERN = /^[0-9a-z]{1,16}\.[0-9]{1,15}$/;
