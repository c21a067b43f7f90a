// Runs `exec` commands: a bounded pool, each command in its own process group, output streamed and
// capped, timeout and cancel as SIGTERM then SIGKILL. Every command id goes through the journal first.
import { type ChildProcess, spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { AgentLogger } from '../log.js';
import {
  type AgentMessage,
  type CommandMessage,
  type CommandOutcome,
  type CommandResult,
  MAX_CONTROL_FRAME_BYTES,
} from '../protocol.js';
import type { CommandJournal } from './journal.js';

export interface RunnerOptions {
  concurrency: number;
  killGraceMs: number;
  execAllowed: boolean;
}

interface Running {
  command: CommandMessage;
  child: ChildProcess | null;
  startedAt: number;
  output: { stdout: string; stderr: string };
  bytes: number;
  truncated: boolean;
  stopReason: 'timed_out' | 'cancelled' | null;
  timers: NodeJS.Timeout[];
}

const TRUNCATION_MARKER = (limit: number) => `\n[fleetdeck: output truncated at ${limit} bytes]\n`;

export class CommandRunner {
  private readonly queue: CommandMessage[] = [];
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly journal: CommandJournal,
    private readonly send: (message: AgentMessage) => boolean,
    private readonly options: RunnerOptions,
    private readonly log: AgentLogger,
  ) {}

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** After (re)connecting: results the master has not acknowledged yet, and interrupted commands. */
  resendPending(): void {
    for (const id of this.journal.interrupted.splice(0)) {
      if (!this.journal.get(id)?.result)
        this.finishWithoutRunning(
          id,
          'interrupted',
          'the agent stopped while this command ran; its outcome is unknown',
        );
    }
    for (const result of this.journal.unackedResults()) this.send({ type: 'result', result });
  }

  receive(command: CommandMessage): void {
    const entry = this.journal.get(command.id);
    if (entry?.result) {
      this.send({ type: 'result', result: entry.result });
    } else if (this.running.has(command.id)) {
      this.send({ type: 'started', id: command.id, at: this.running.get(command.id)?.startedAt ?? Date.now() });
    } else if (entry) {
      this.finishWithoutRunning(
        command.id,
        'interrupted',
        'the agent stopped while this command ran; its outcome is unknown',
      );
    } else if (!this.options.execAllowed) {
      this.finishWithoutRunning(command.id, 'failed', 'this agent does not allow commands (started with --no-exec)');
    } else if (!this.queue.some((c) => c.id === command.id)) {
      this.queue.push(command);
      this.pump();
    }
  }

  cancel(id: string): void {
    const queued = this.queue.findIndex((c) => c.id === id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.finishWithoutRunning(id, 'cancelled', 'cancelled before it started');
      return;
    }
    const run = this.running.get(id);
    if (run) this.stop(run, 'cancelled');
  }

  ack(id: string): void {
    this.journal.recordAck(id);
  }

  /** Stops everything (agent shutdown): running commands are killed and reported cancelled. */
  stopAll(): void {
    for (const run of this.running.values()) this.stop(run, 'cancelled');
  }

  private pump(): void {
    while (this.running.size < this.options.concurrency && this.queue.length > 0) {
      this.start(this.queue.shift() as CommandMessage);
    }
  }

  private start(command: CommandMessage): void {
    this.journal.recordStart(command.id);
    const run: Running = {
      command,
      child: null,
      startedAt: Date.now(),
      output: { stdout: '', stderr: '' },
      bytes: 0,
      truncated: false,
      stopReason: null,
      timers: [],
    };
    this.running.set(command.id, run);
    this.send({ type: 'started', id: command.id, at: run.startedAt });
    const { payload } = command;
    const [file, args] = payload.argv
      ? [payload.argv[0] as string, payload.argv.slice(1)]
      : process.platform === 'win32'
        ? ['cmd.exe', ['/d', '/s', '/c', payload.command as string]]
        : ['/bin/sh', ['-c', payload.command as string]];
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: payload.cwd,
        env: { ...process.env, ...payload.env },
        detached: process.platform !== 'win32',
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      this.complete(run, 'failed', null, null, (error as Error).message);
      return;
    }
    run.child = child;
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(payload.stdin ?? '');
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8');
      child[stream]?.on('data', (chunk: Buffer) => this.collect(run, stream, decoder.write(chunk)));
      child[stream]?.on('end', () => this.collect(run, stream, decoder.end()));
    }
    child.once('error', (error) => this.complete(run, 'failed', null, null, error.message));
    child.once('close', (code, signal) => {
      const outcome: CommandOutcome = run.stopReason ?? (code === 0 ? 'succeeded' : 'failed');
      this.complete(run, outcome, code, signal, null);
    });
    run.timers.push(setTimeout(() => this.stop(run, 'timed_out'), command.timeoutMs));
  }

  private collect(run: Running, stream: 'stdout' | 'stderr', text: string): void {
    if (!text || run.truncated) return;
    const room = run.command.outputLimit - run.bytes;
    const bytes = Buffer.byteLength(text);
    let kept = text;
    if (bytes > room) {
      kept = Buffer.from(text)
        .subarray(0, Math.max(0, room))
        .toString('utf8')
        .replace(/\uFFFD$/, '');
      run.truncated = true;
    }
    run.bytes += Buffer.byteLength(kept);
    run.output[stream] += kept;
    if (run.truncated) run.output[stream] += TRUNCATION_MARKER(run.command.outputLimit);
    for (let i = 0; i < kept.length; i += 64 * 1024) {
      this.send({ type: 'output', id: run.command.id, stream, data: kept.slice(i, i + 64 * 1024) });
    }
  }

  /** SIGTERM to the whole process group, SIGKILL after the grace period. */
  private stop(run: Running, reason: 'timed_out' | 'cancelled'): void {
    if (run.stopReason) return;
    run.stopReason = reason;
    this.signalGroup(run, 'SIGTERM');
    run.timers.push(setTimeout(() => this.signalGroup(run, 'SIGKILL'), this.options.killGraceMs));
  }

  private signalGroup(run: Running, signal: NodeJS.Signals): void {
    const pid = run.child?.pid;
    if (!pid) return;
    try {
      if (process.platform === 'win32') spawn('taskkill', ['/pid', String(pid), '/T', '/F']);
      else process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  }

  private complete(
    run: Running,
    outcome: CommandOutcome,
    exitCode: number | null,
    signal: string | null,
    error: string | null,
  ): void {
    if (!this.running.has(run.command.id)) return;
    this.running.delete(run.command.id);
    // The shell may exit before its children: make sure nothing of the group outlives the command.
    if (run.stopReason) this.signalGroup(run, 'SIGKILL');
    for (const timer of run.timers) clearTimeout(timer);
    const result = fitFrame({
      id: run.command.id,
      outcome,
      exitCode,
      signal,
      startedAt: run.startedAt,
      finishedAt: Date.now(),
      stdout: run.output.stdout,
      stderr: run.output.stderr,
      truncated: run.truncated,
      error,
    });
    this.journal.recordResult(result);
    this.send({ type: 'result', result });
    this.log.debug('command finished', { id: run.command.id, outcome, exitCode: exitCode ?? 'none' });
    this.pump();
  }

  private finishWithoutRunning(id: string, outcome: CommandOutcome, error: string): void {
    const result: CommandResult = {
      id,
      outcome,
      exitCode: null,
      signal: null,
      startedAt: null,
      finishedAt: Date.now(),
      stdout: '',
      stderr: '',
      truncated: false,
      error,
    };
    this.journal.recordResult(result);
    this.send({ type: 'result', result });
  }
}

/** JSON escaping can grow output (control bytes become \u00XX); keep the frame under the socket limit. */
function fitFrame(result: CommandResult): CommandResult {
  const budget = MAX_CONTROL_FRAME_BYTES - 64 * 1024;
  let fitted = result;
  while (Buffer.byteLength(JSON.stringify({ type: 'result', result: fitted })) > budget) {
    fitted = {
      ...fitted,
      stdout: fitted.stdout.slice(0, Math.floor(fitted.stdout.length / 2)),
      stderr: fitted.stderr.slice(0, Math.floor(fitted.stderr.length / 2)),
      truncated: true,
    };
  }
  return fitted;
}
