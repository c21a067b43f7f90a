// A session's recording as asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a header
// line, then one `[seconds, code, data]` line per output ("o"), input ("i") and resize ("r"). Lines
// are collected and written to the store in pieces of at most 60,000 bytes (a MariaDB TEXT holds
// 64 KiB) once a second; past the size cap the recording stops, says so, and the session goes on.
import { StringDecoder } from 'node:string_decoder';
import type { Db } from '../store/schema.js';

const CHUNK_BYTES = 60_000;
const FLUSH_MS = 1_000;

export interface RecordingHeader {
  cols: number;
  rows: number;
  startedAt: number;
}

export class Recording {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private pendingBytes = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  bytes = 0;
  truncated = false;

  constructor(
    private readonly db: Db,
    private readonly sessionId: string,
    private readonly startedAt: number,
    private readonly maxBytes: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  header(header: RecordingHeader): void {
    this.line(
      JSON.stringify({
        version: 2,
        width: header.cols,
        height: header.rows,
        timestamp: Math.floor(header.startedAt / 1000),
        env: { TERM: 'xterm-256color' },
      }),
    );
  }

  output(data: Buffer): void {
    const text = this.decoder.write(data); // a character split across frames waits for its rest
    if (text) this.event('o', text);
  }

  input(data: string): void {
    this.event('i', data);
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  /** Writes what is left; the recording is complete in the store when this resolves. */
  async finish(): Promise<void> {
    const rest = this.decoder.end();
    if (rest) this.event('o', rest);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
    await this.writing;
  }

  private event(code: 'o' | 'i' | 'r', data: string): void {
    const seconds = Math.max(0, Date.now() - this.startedAt) / 1000;
    this.line(JSON.stringify([Number(seconds.toFixed(6)), code, data]));
  }

  private line(text: string): void {
    if (this.truncated) return;
    const line = `${text}\n`;
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.maxBytes) {
      this.truncated = true;
      return;
    }
    this.bytes += size;
    // One line larger than a piece (a big paste, a burst of output) is cut at character boundaries.
    for (const piece of pieces(line)) {
      const pieceBytes = Buffer.byteLength(piece);
      if (this.pendingBytes + pieceBytes > CHUNK_BYTES) this.flush();
      this.pending += piece;
      this.pendingBytes += pieceBytes;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, FLUSH_MS);
  }

  private flush(): void {
    if (!this.pending) return;
    const data = this.pending;
    const seq = this.seq++;
    this.pending = '';
    this.pendingBytes = 0;
    this.writing = this.writing
      .then(() =>
        this.db.insertInto('terminal_recording_chunks').values({ session_id: this.sessionId, seq, data }).execute(),
      )
      .then(() => undefined, this.onError);
  }
}

/** Splits text into pieces of at most CHUNK_BYTES of UTF-8, never inside a character. */
function pieces(text: string): string[] {
  if (Buffer.byteLength(text) <= CHUNK_BYTES) return [text];
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > CHUNK_BYTES) {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += size;
  }
  if (current) out.push(current);
  return out;
}

/** The whole recording, its pieces in order. */
export async function readRecording(db: Db, sessionId: string): Promise<string> {
  const rows = await db
    .selectFrom('terminal_recording_chunks')
    .select('data')
    .where('session_id', '=', sessionId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => r.data).join('');
}
