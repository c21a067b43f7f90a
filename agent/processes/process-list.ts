// The top processes of a Linux host, by CPU and by memory, read from /proc. CPU is measured as a share of
// the whole machine over a short window: each process's ticks, twice, against the aggregate ticks of
// /proc/stat over the same window (no clock-tick constant needed). One list is taken at a time; calls
// that arrive meanwhile share it.
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import { MAX_TASKS, MAX_TOP_PROCESSES, type ProcessInfo, type ProcessList } from '../protocol.js';
import {
  commandLine,
  type ProcStat,
  pageSizeFrom,
  parsePasswd,
  parseProcStat,
  topBy,
  totalCpuTicks,
} from './proc-stat.js';

export const CPU_WINDOW_MS = 1_000;
/** Files read at once: enough to be quick, few enough that descriptors stay available. */
const READ_BATCH = 64;
/** /etc/passwd beyond this is not read for names (a directory service host); users are then uids. */
const MAX_PASSWD_BYTES = 1024 * 1024;

interface Sampled extends ProcStat {
  pid: number;
  cpu: number | null;
}

export class ProcessLister {
  private inFlight: Promise<ProcessList> | null = null;

  constructor(
    private readonly proc = '/proc',
    private readonly windowMs = CPU_WINDOW_MS,
  ) {}

  /** The top `limit` by CPU and by memory. */
  async top(limit: number): Promise<ProcessList> {
    this.inFlight ??= this.take().finally(() => {
      this.inFlight = null;
    });
    const list = await this.inFlight;
    return { ...list, byCpu: list.byCpu.slice(0, limit), byMemory: list.byMemory.slice(0, limit) };
  }

  private async take(): Promise<ProcessList> {
    const startTicks = totalCpuTicks(await readFile(`${this.proc}/stat`, 'utf8'));
    const before = await this.readAll(await this.pids());
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, this.windowMs));
    const after = await this.readAll([...before.keys()]);
    const endTicks = totalCpuTicks(await readFile(`${this.proc}/stat`, 'utf8'));
    const elapsed = startTicks !== null && endTicks !== null ? endTicks - startTicks : 0;
    const sampled: Sampled[] = [];
    for (const [pid, now] of after) {
      const was = before.get(pid);
      const cpu = was && elapsed > 0 ? Math.min(100, (Math.max(0, now.cpuTicks - was.cpuTicks) / elapsed) * 100) : null;
      sampled.push({ ...now, pid, cpu });
    }
    const byCpu = topBy(sampled, MAX_TOP_PROCESSES, (p) => p.cpu ?? -1);
    const byMemory = topBy(sampled, MAX_TOP_PROCESSES, (p) => p.rssPages);
    const describe = await this.describer();
    return {
      sampledAt: Date.now(),
      windowMs: Date.now() - started,
      count: after.size,
      byCpu: await Promise.all(byCpu.map(describe)),
      byMemory: await Promise.all(byMemory.map(describe)),
    };
  }

  private async pids(): Promise<number[]> {
    const names = await readdir(this.proc);
    const pids: number[] = [];
    for (const name of names) {
      if (/^\d+$/.test(name) && pids.length < MAX_TASKS) pids.push(Number(name));
    }
    return pids;
  }

  /** Processes that exit between the listing and the read are simply left out. */
  private async readAll(pids: number[]): Promise<Map<number, ProcStat>> {
    const out = new Map<number, ProcStat>();
    for (let i = 0; i < pids.length; i += READ_BATCH) {
      const batch = pids.slice(i, i + READ_BATCH);
      const texts = await Promise.all(
        batch.map((pid) => readFile(`${this.proc}/${pid}/stat`, 'utf8').catch(() => null)),
      );
      texts.forEach((text, j) => {
        const parsed = text === null ? null : parseProcStat(text);
        if (parsed) out.set(batch[j] as number, parsed);
      });
    }
    return out;
  }

  /** Turns a ranked process into what the reply carries: command line, user, bytes and shares. */
  private async describer(): Promise<(p: Sampled) => Promise<ProcessInfo>> {
    const [status, statm, passwd] = await Promise.all([
      readFile(`${this.proc}/self/status`, 'utf8').catch(() => ''),
      readFile(`${this.proc}/self/statm`, 'utf8').catch(() => ''),
      readPasswd(),
    ]);
    const pageSize = pageSizeFrom(status, statm);
    const total = os.totalmem();
    return async (p) => {
      const [cmdline, owner] = await Promise.all([
        readFile(`${this.proc}/${p.pid}/cmdline`).catch(() => Buffer.alloc(0)),
        stat(`${this.proc}/${p.pid}`).catch(() => null),
      ]);
      const memoryBytes = p.rssPages * pageSize;
      return {
        pid: p.pid,
        name: p.name,
        command: commandLine(cmdline, p.name),
        user: owner ? (passwd.get(owner.uid) ?? String(owner.uid)) : null,
        cpu: p.cpu === null ? null : Math.round(p.cpu * 100) / 100,
        memoryBytes,
        memory: total > 0 ? Math.min(100, Math.round((memoryBytes / total) * 10_000) / 100) : null,
      };
    };
  }
}

async function readPasswd(): Promise<Map<number, string>> {
  try {
    const info = await stat('/etc/passwd');
    if (info.size > MAX_PASSWD_BYTES) return new Map();
    return parsePasswd(await readFile('/etc/passwd', 'utf8'));
  } catch {
    return new Map();
  }
}
