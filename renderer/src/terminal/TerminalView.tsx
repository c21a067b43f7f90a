// One terminal session on screen: xterm.js with the fit addon, attached to the session's WebSocket.
// Output is acknowledged once xterm has written it (that opens the agent's window: a flood blocks on
// the host, not in this tab); a dropped socket reattaches with a new ticket and resumes exactly.
import '@xterm/xterm/css/xterm.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef } from 'react';
import type { Client, OutputOf } from '../../../main/contract/contract';

type Opened = Pick<OutputOf<'openTerminal'>, 'ticket' | 'socketPath'>;
type Session = OutputOf<'openTerminal'>['session'];

/** Acknowledge at least every this many bytes written (and when output pauses). */
const ACK_EVERY = 32 * 1024;

export interface TerminalHandle {
  /** Types into this session (broadcast sends the same text to several). */
  input(data: string): void;
}

export function TerminalView(props: {
  client: Client;
  sessionId: string;
  first: Opened;
  fontSize: number;
  onInput: (data: string) => void;
  onSession: (session: Session) => void;
  register: (handle: TerminalHandle | null) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | null>(null);
  const fit = useRef<FitAddon | null>(null);
  const { client, sessionId, first, onInput, onSession, register } = props;

  // biome-ignore lint/correctness/useExhaustiveDependencies: one terminal per session; font size is applied below
  useEffect(() => {
    const term = new Terminal({
      fontSize: props.fontSize,
      cursorBlink: true,
      scrollback: 5000,
      allowProposedApi: false,
    });
    const fitter = new FitAddon();
    term.loadAddon(fitter);
    term.open(box.current as HTMLDivElement);
    fitter.fit();
    terminal.current = term;
    fit.current = fitter;
    let ws: WebSocket | null = null;
    let shown = 0;
    let acked = 0;
    let ended = false;
    let disposed = false;
    const send = (frame: object) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    };
    const connect = (opened: Opened) => {
      const url = new URL(opened.socketPath, location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('ticket', opened.ticket);
      const socket = new WebSocket(url);
      socket.binaryType = 'arraybuffer';
      ws = socket;
      socket.onopen = () => {
        socket.send(JSON.stringify({ type: 'attach', received: shown }));
        socket.send(JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }));
      };
      socket.onmessage = (event) => {
        if (typeof event.data === 'string') {
          const frame = JSON.parse(event.data) as { type: string; session?: Session };
          if (frame.session) {
            onSession(frame.session);
            if (frame.session.state === 'ended') ended = true;
          }
          return;
        }
        const bytes = new Uint8Array(event.data as ArrayBuffer);
        term.write(bytes, () => {
          shown += bytes.length;
          if (shown - acked >= ACK_EVERY || socket.bufferedAmount === 0) {
            acked = shown;
            send({ type: 'ack', bytes: shown });
          }
        });
      };
      socket.onclose = () => {
        if (ended || disposed) return;
        // The session waits for us for its grace period: ask for a new ticket and reattach.
        setTimeout(() => {
          if (disposed) return;
          client
            .terminalTicket({ sessionId })
            .then(connect)
            .catch(() => {
              ended = true;
            });
        }, 1000);
      };
    };
    connect(first);
    const typed = term.onData((data) => onInput(data));
    const resized = term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
    const observer = new ResizeObserver(() => fitter.fit());
    observer.observe(box.current as HTMLDivElement);
    register({ input: (data) => send({ type: 'input', data }) });
    return () => {
      disposed = true;
      register(null);
      observer.disconnect();
      typed.dispose();
      resized.dispose();
      ws?.close();
      term.dispose();
    };
  }, [sessionId]);

  useEffect(() => {
    if (!terminal.current) return;
    terminal.current.options.fontSize = props.fontSize;
    fit.current?.fit();
  }, [props.fontSize]);

  return (
    <div ref={box} data-testid={`terminal-${sessionId}`} style={{ height: '100%', minHeight: 320, width: '100%' }} />
  );
}
