// A pseudo-terminal without native modules: util-linux (or busybox) `script` allocates the pty and
// copies between it and pipes, and the window size is set on the pty's slave with `stty -F`, which
// makes the kernel send SIGWINCH to the foreground program. The shell started inside first reports its
// tty (an OSC sequence we strip from the output), then replaces itself with the user's login shell.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import { delimiter, join } from 'node:path';

/** The sequence the start-up line prints: ESC ] 7770 ; <tty> BEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the marker is made of control characters
const TTY_MARKER = /\u001b\]7770;([^\u0007]{1,64})\u0007/;
/** Output kept back while the tty report is awaited; past this it is given up (and resizing with it). */
const MARKER_SEARCH_BYTES = 8 * 1024;
/** What a tty path must look like before it is handed to stty. */
const TTY_PATH = /^\/dev\/(pts\/\d{1,6}|tty[A-Za-z0-9]{1,12})$/;

export interface PtySize {
  cols: number;
  rows: number;
}

/** The programs a terminal needs, found once: null (with what is missing) where the host has none. */
export function findPtyTools(path = process.env.PATH ?? ''): { script: string; stty: string } | { missing: string } {
  if (process.platform !== 'linux') return { missing: 'terminals need Linux (util-linux script and stty)' };
  const find = (name: string) =>
    path
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, name))
      .find((file) => {
        try {
          accessSync(file, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      });
  const script = find('script');
  const stty = find('stty');
  if (!script) return { missing: '`script` (util-linux: package bsdutils on Debian/Ubuntu, util-linux elsewhere)' };
  if (!stty) return { missing: '`stty` (coreutils)' };
  return { script, stty };
}

/** The agent user's login shell (passwd), else $SHELL, else /bin/sh. */
export function loginShell(): string {
  try {
    const shell = os.userInfo().shell;
    if (shell && shell !== '/usr/sbin/nologin' && shell !== '/bin/false') return shell;
  } catch {
    // no passwd entry (a container's arbitrary uid): fall through
  }
  return process.env.SHELL || '/bin/sh';
}

/** A UTF-8 locale unless the agent already runs in one: terminals are UTF-8. */
function utf8Locale(env: NodeJS.ProcessEnv): Record<string, string> {
  const current = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(current) ? {} : { LANG: 'C.UTF-8' };
}

export interface PtyEvents {
  /** Output bytes (the tty report removed). */
  data(chunk: Buffer): void;
  /** The tty is known: the size can be changed from now on (false: it never can). */
  ready(resizable: boolean): void;
  exit(code: number | null): void;
}

export class Pty {
  private readonly child: ChildProcessWithoutNullStreams;
  private tty: string | null = null;
  private searching: Buffer | null = Buffer.alloc(0);
  private exited = false;

  constructor(
    private readonly tools: { script: string; stty: string },
    readonly shell: string,
    size: PtySize,
    private readonly events: PtyEvents,
  ) {
    // Runs under /bin/sh whatever the login shell is; sizes are validated integers.
    const startup = [
      `stty rows ${size.rows} cols ${size.cols} 2>/dev/null`,
      `printf '\\033]7770;%s\\007' "$(tty)"`,
      'SHELL="$FLEETDECK_LOGIN_SHELL"; export SHELL; unset FLEETDECK_LOGIN_SHELL',
      'cd "$HOME" 2>/dev/null',
      'exec "$SHELL" -l',
    ].join('; ');
    this.child = spawn(tools.script, ['-q', '-f', '-c', startup, '/dev/null'], {
      detached: true,
      cwd: os.homedir(),
      env: {
        ...process.env,
        ...utf8Locale(process.env),
        TERM: 'xterm-256color',
        COLORTERM: 'truecolor',
        SHELL: '/bin/sh',
        FLEETDECK_LOGIN_SHELL: shell,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.output(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => this.output(chunk));
    this.child.stdin.on('error', () => undefined); // the shell is gone; its exit is reported below
    this.child.on('error', () => this.finish(null));
    this.child.on('close', (code) => this.finish(code));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  write(data: string): void {
    if (!this.exited) this.child.stdin.write(data, 'utf8');
  }

  /** Stops reading output: the pipe fills, `script` blocks, the program writing blocks. */
  pause(): void {
    this.child.stdout.pause();
    this.child.stderr.pause();
  }

  resume(): void {
    this.child.stdout.resume();
    this.child.stderr.resume();
  }

  resize(size: PtySize): void {
    if (!this.tty || this.exited) return;
    execFile(this.tools.stty, ['-F', this.tty, 'rows', String(size.rows), 'cols', String(size.cols)], () => undefined);
  }

  /** Hangs up: `script` ends, the pty closes and the kernel sends SIGHUP to the session; KILL if it lingers. */
  kill(): void {
    if (this.exited || !this.child.pid) return;
    const group = -this.child.pid;
    try {
      process.kill(group, 'SIGHUP');
    } catch {
      return;
    }
    setTimeout(() => {
      if (this.exited) return;
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 2_000).unref();
  }

  private output(chunk: Buffer): void {
    if (!this.searching) {
      this.events.data(chunk);
      return;
    }
    const seen = Buffer.concat([this.searching, chunk]);
    const text = seen.toString('latin1');
    const match = TTY_MARKER.exec(text);
    if (match) {
      this.searching = null;
      const path = match[1] as string;
      this.tty = TTY_PATH.test(path) ? path : null;
      const rest = Buffer.concat([seen.subarray(0, match.index), seen.subarray(match.index + match[0].length)]);
      this.events.ready(this.tty !== null);
      if (rest.length > 0) this.events.data(rest);
    } else if (seen.length > MARKER_SEARCH_BYTES) {
      this.searching = null;
      this.events.ready(false);
      this.events.data(seen);
    } else {
      this.searching = seen;
    }
  }

  private finish(code: number | null): void {
    if (this.exited) return;
    this.exited = true;
    if (this.searching && this.searching.length > 0) this.events.data(this.searching);
    this.searching = null;
    this.events.exit(code);
  }
}
