// Live command output seen in this session, kept outside any screen: the master stores a command's
// output only with its result, so output streamed while no screen showed the command (the user left
// Run command mid fan-out) would otherwise be gone until it finished. Fed by `commandOutput` events
// (sync.ts); bounded per command and in the number of commands.
import { useSyncExternalStore } from 'react';

export interface OutputChunk {
  /** Arrival order across all commands (merged logs sort by it). */
  seq: number;
  at: number;
  stream: 'stdout' | 'stderr';
  data: string;
}

/** Per command, the newest characters kept (older chunks are dropped first). */
export const MAX_LIVE_CHARS_PER_COMMAND = 200_000;
/** Commands with live output kept; the one appended to longest ago goes first. */
export const MAX_LIVE_COMMANDS = 500;

interface Entry {
  chunks: OutputChunk[];
  chars: number;
  /** Some early output was dropped to stay within the bound. */
  clipped: boolean;
}

const EMPTY: readonly OutputChunk[] = [];
const entries = new Map<string, Entry>();
const listeners = new Map<string, Set<() => void>>();
let seq = 0;

export function appendLiveOutput(id: string, stream: 'stdout' | 'stderr', data: string, at = Date.now()): void {
  const entry = entries.get(id) ?? { chunks: [], chars: 0, clipped: false };
  // Re-inserted so the map's order is "appended to least recently" first.
  entries.delete(id);
  entries.set(id, entry);
  const chunks = [...entry.chunks, { seq: ++seq, at, stream, data }];
  let chars = entry.chars + data.length;
  while (chars > MAX_LIVE_CHARS_PER_COMMAND && chunks.length > 1) {
    chars -= chunks.shift()?.data.length ?? 0;
    entry.clipped = true;
  }
  entry.chunks = chunks;
  entry.chars = chars;
  while (entries.size > MAX_LIVE_COMMANDS) {
    const oldest = entries.keys().next().value as string;
    entries.delete(oldest);
    notify(oldest);
  }
  notify(id);
}

export function liveChunksOf(id: string): readonly OutputChunk[] {
  return entries.get(id)?.chunks ?? EMPTY;
}

export function liveClipped(id: string): boolean {
  return entries.get(id)?.clipped ?? false;
}

/** The live output of these commands; re-renders when any of them gets more. */
export function useLiveOutput(ids: readonly string[]): ReadonlyMap<string, readonly OutputChunk[]> {
  const key = ids.join(',');
  const version = useSyncExternalStore(
    (listener) => subscribe(key, listener),
    () => ids.map((id) => liveChunksOf(id).at(-1)?.seq ?? 0).join(','),
  );
  void version;
  return new Map(ids.map((id) => [id, liveChunksOf(id)]));
}

function subscribe(key: string, listener: () => void): () => void {
  const ids = key ? key.split(',') : [];
  for (const id of ids) {
    let set = listeners.get(id);
    if (!set) {
      set = new Set();
      listeners.set(id, set);
    }
    set.add(listener);
  }
  return () => {
    for (const id of ids) {
      const set = listeners.get(id);
      set?.delete(listener);
      if (set?.size === 0) listeners.delete(id);
    }
  };
}

function notify(id: string): void {
  for (const listener of listeners.get(id) ?? []) listener();
}

/** Stdout and stderr of chunks, each joined. */
export function textsOf(chunks: readonly OutputChunk[]): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (const c of chunks) {
    if (c.stream === 'stdout') stdout += c.data;
    else stderr += c.data;
  }
  return { stdout, stderr };
}
