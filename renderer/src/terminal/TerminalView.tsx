// One terminal session on screen: xterm.js with the fit addon, attached to the session's WebSocket.
// Output is acknowledged once xterm has written it (that opens the agent's window: a flood blocks on
// the host, not in this tab); a dropped socket reattaches with a new ticket and resumes exactly.
// Above it: search (the search addon; Ctrl+Shift+F), copy the selection and paste (Ctrl+Shift+C/V,
// as in desktop terminals, since Ctrl+C is the shell's interrupt).
import '@xterm/xterm/css/xterm.css';
import { ActionIcon, Group, TextInput, Tooltip } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconClipboard, IconCopy, IconSearch } from '@tabler/icons-react';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { toastError } from '../shell/toasts';
import type { Transport } from '../transport';

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
  transport: Pick<Transport, 'socketUrl'>;
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
  const search = useRef<SearchAddon | null>(null);
  const searchField = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  const { t } = useTranslation('terminal');
  const { client, transport, sessionId, first, onInput, onSession, register } = props;

  const copy = () => {
    const text = terminal.current?.getSelection() ?? '';
    if (text) navigator.clipboard.writeText(text).catch((e) => toastError(e, t('copyFailed')));
  };
  const paste = () => {
    navigator.clipboard
      .readText()
      .then((text) => {
        // Through xterm: bracketed paste when the program asked for it, then onData like typing.
        if (text) terminal.current?.paste(text);
        terminal.current?.focus();
      })
      .catch((e) => toastError(e, t('pasteFailed')));
  };
  const find = (backwards: boolean) => {
    if (!query) return;
    if (backwards) search.current?.findPrevious(query);
    else search.current?.findNext(query);
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: one terminal per session; font size is applied below
  useEffect(() => {
    const term = new Terminal({
      fontSize: props.fontSize,
      cursorBlink: true,
      scrollback: 5000,
      allowProposedApi: false,
    });
    const fitter = new FitAddon();
    const searcher = new SearchAddon();
    term.loadAddon(fitter);
    term.loadAddon(searcher);
    term.open(box.current as HTMLDivElement);
    fitter.fit();
    terminal.current = term;
    fit.current = fitter;
    search.current = searcher;
    term.attachCustomKeyEventHandler((event) => {
      if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
      const key = event.key.toLowerCase();
      if (key === 'c') copyRef.current();
      else if (key === 'v') pasteRef.current();
      else if (key === 'f') searchField.current?.focus();
      else return true;
      event.preventDefault();
      return false;
    });
    let ws: WebSocket | null = null;
    let shown = 0;
    let acked = 0;
    let ended = false;
    let disposed = false;
    const send = (frame: object) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    };
    const connect = async (opened: Opened) => {
      // The desktop app's page is file://: the shell's stream server serves the socket there.
      const url = new URL(await transport.socketUrl(opened.socketPath));
      url.searchParams.set('ticket', opened.ticket);
      if (disposed) return;
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
    connect(first).catch(() => {
      ended = true;
    });
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

  // The key handler is attached once; these keep it calling the current closures.
  const copyRef = useRef(copy);
  const pasteRef = useRef(paste);
  copyRef.current = copy;
  pasteRef.current = paste;

  useEffect(() => {
    if (!terminal.current) return;
    terminal.current.options.fontSize = props.fontSize;
    fit.current?.fit();
  }, [props.fontSize]);

  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%', gap: 4 }}>
      <Group gap={4} justify="flex-end">
        <TextInput
          ref={searchField}
          size="xs"
          w={220}
          leftSection={<IconSearch size={14} />}
          aria-label={t('search')}
          placeholder={t('searchPlaceholder')}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              find(e.shiftKey);
            } else if (e.key === 'Escape') {
              search.current?.clearDecorations();
              terminal.current?.focus();
            }
          }}
        />
        <ActionIcon variant="default" aria-label={t('findPrevious')} onClick={() => find(true)}>
          <IconArrowUp size={14} />
        </ActionIcon>
        <ActionIcon variant="default" aria-label={t('findNext')} onClick={() => find(false)}>
          <IconArrowDown size={14} />
        </ActionIcon>
        <Tooltip label="Ctrl+Shift+C">
          <ActionIcon variant="default" aria-label={t('copy')} onClick={copy}>
            <IconCopy size={14} />
          </ActionIcon>
        </Tooltip>
        <Tooltip label="Ctrl+Shift+V">
          <ActionIcon variant="default" aria-label={t('paste')} onClick={paste}>
            <IconClipboard size={14} />
          </ActionIcon>
        </Tooltip>
      </Group>
      <div ref={box} data-testid={`terminal-${sessionId}`} style={{ flex: 1, minHeight: 320, width: '100%' }} />
    </div>
  );
}
