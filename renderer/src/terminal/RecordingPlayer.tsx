// Replays a session's recording (asciicast v2, as the master stores it) in an xterm of its own: play
// and pause, speed, and a seek bar. Output events are written at their times (divided by the speed),
// resizes resize the terminal, typed input is not shown again (the shell echoed what was seen). A seek
// resets the terminal and writes everything up to that moment at once.
import '@xterm/xterm/css/xterm.css';
import { ActionIcon, Group, Select, Slider, Stack, Text } from '@mantine/core';
import { IconPlayerPause, IconPlayerPlay } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { Terminal } from '@xterm/xterm';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';

/** One shown event: seconds from the start, and output or a size. */
export type CastEvent = { t: number; out: string } | { t: number; cols: number; rows: number };

export interface Cast {
  cols: number;
  rows: number;
  events: CastEvent[];
  /** Seconds from the start to the last event. */
  length: number;
}

/** The events a player shows, from asciicast v2 text (a header line, then `[t, code, data]` lines). */
export function parseCast(text: string): Cast {
  const [header, ...lines] = text.split('\n').filter((l) => l.trim() !== '');
  const head = JSON.parse(header ?? '{}') as { width?: number; height?: number };
  const events: CastEvent[] = [];
  for (const line of lines) {
    const [t, code, data] = JSON.parse(line) as [number, string, string];
    if (code === 'o') events.push({ t, out: data });
    else if (code === 'r') {
      const [cols, rows] = data.split('x').map(Number);
      if (cols && rows) events.push({ t, cols, rows });
    }
  }
  return { cols: head.width ?? 80, rows: head.height ?? 24, events, length: events.at(-1)?.t ?? 0 };
}

const SPEEDS = ['0.5', '1', '2', '4', '8'];

function show(term: Terminal | null, event: CastEvent): void {
  if (!term) return;
  if ('out' in event) term.write(event.out);
  else term.resize(event.cols, event.rows);
}

/** A player's clock: "1:05". */
const clock = (sec: number) => `${Math.floor(sec / 60)}:${String(Math.floor(sec % 60)).padStart(2, '0')}`;

export function RecordingPlayer({ client, sessionId }: { client: Client; sessionId: string }) {
  const { t } = useTranslation('terminal');
  const recording = useQuery({
    queryKey: ['terminalRecording', sessionId],
    queryFn: () => client.terminalRecording({ sessionId }),
  });
  const cast = useMemo(() => (recording.data ? parseCast(recording.data.cast) : null), [recording.data]);
  const box = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | null>(null);
  /** Index of the next event to show, and the cast time shown so far. */
  const next = useRef(0);
  const position = useRef(0);
  const [at, setAt] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState('1');

  useEffect(() => {
    if (!cast || !box.current) return;
    const term = new Terminal({ cols: cast.cols, rows: cast.rows, fontSize: 13, disableStdin: true, scrollback: 2000 });
    term.open(box.current);
    terminal.current = term;
    next.current = 0;
    position.current = 0;
    setAt(0);
    setPlaying(true);
    return () => {
      term.dispose();
      terminal.current = null;
    };
  }, [cast]);

  // While playing: show each event at its time, measured from when play (or the last seek) started.
  useEffect(() => {
    if (!playing || !cast) return;
    const rate = Number(speed);
    const startedAt = performance.now();
    const from = position.current;
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      const now = from + ((performance.now() - startedAt) / 1000) * rate;
      while (next.current < cast.events.length && (cast.events[next.current]?.t ?? 0) <= now) {
        show(terminal.current, cast.events[next.current] as CastEvent);
        next.current += 1;
      }
      position.current = Math.min(now, cast.length);
      setAt(position.current);
      const upcoming = cast.events[next.current];
      if (!upcoming) {
        setPlaying(false);
        return;
      }
      timer = setTimeout(tick, Math.min(250, Math.max(0, ((upcoming.t - now) * 1000) / rate)));
    };
    tick();
    return () => clearTimeout(timer);
  }, [playing, speed, cast]);

  const seek = (to: number) => {
    const term = terminal.current;
    if (!cast || !term) return;
    term.reset();
    term.resize(cast.cols, cast.rows);
    let i = 0;
    let out = '';
    for (; i < cast.events.length && (cast.events[i]?.t ?? 0) <= to; i++) {
      const event = cast.events[i] as CastEvent;
      if ('out' in event) out += event.out;
      else {
        term.write(out);
        out = '';
        show(term, event);
      }
    }
    term.write(out);
    next.current = i;
    position.current = to;
    setAt(to);
  };

  if (recording.error) return <Text c="red">{recording.error.message}</Text>;
  return (
    <Stack gap="xs">
      <Group gap="sm" wrap="nowrap">
        <ActionIcon
          variant="filled"
          aria-label={playing ? t('replay.pause') : t('replay.play')}
          disabled={!cast}
          onClick={() => {
            if (!playing && cast && next.current >= cast.events.length) seek(0);
            setPlaying(!playing);
          }}
        >
          {playing ? <IconPlayerPause size={16} /> : <IconPlayerPlay size={16} />}
        </ActionIcon>
        <Slider
          style={{ flex: 1 }}
          thumbLabel={t('replay.position')}
          min={0}
          max={Math.max(cast?.length ?? 0, 0.1)}
          step={0.1}
          value={at}
          label={(v) => clock(v)}
          onChange={(v) => {
            setPlaying(false);
            seek(v);
          }}
        />
        <Text size="sm" ff="monospace" aria-live="off">
          {clock(at)} / {clock(cast?.length ?? 0)}
        </Text>
        <Select
          aria-label={t('replay.speed')}
          w={90}
          size="xs"
          allowDeselect={false}
          value={speed}
          onChange={(v) => v && setSpeed(v)}
          data={SPEEDS.map((s) => ({ value: s, label: `${s}×` }))}
        />
      </Group>
      <div ref={box} data-testid="recording-player" style={{ minHeight: 320 }} />
    </Stack>
  );
}
