// Pure parsers and ranking for the process list: kept free of I/O so they are tested on captured text.
import { MAX_PROCESS_COMMAND_CHARS } from '../protocol.js';

export interface ProcStat {
  /** The kernel's short name (comm), at most 15 bytes on Linux. */
  name: string;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Resident set size in pages. */
  rssPages: number;
}

/**
 * /proc/<pid>/stat. The name sits in parentheses and may itself contain spaces and parentheses, so the
 * fields are counted from the last `)`: state is field 3, utime 14, stime 15, rss 24 (proc(5)).
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const rss = Number(rest[21]);
  if (![utime, stime, rss].every(Number.isFinite)) return null;
  return { name: text.slice(open + 1, close).slice(0, 64), cpuTicks: utime + stime, rssPages: Math.max(0, rss) };
}

/** The sum of the aggregate `cpu` line of /proc/stat: every core's ticks, the denominator of a machine share. */
export function totalCpuTicks(procStat: string): number | null {
  const line = procStat.split('\n', 1)[0] ?? '';
  if (!line.startsWith('cpu ')) return null;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.some((n) => !Number.isFinite(n))) return null;
  return fields.reduce((a, b) => a + b, 0);
}

/** /proc/<pid>/cmdline: NUL-separated arguments; kernel threads have none and show their name in brackets. */
export function commandLine(raw: Buffer | string, name: string): string {
  const text = (typeof raw === 'string' ? raw : raw.toString('utf8')).replace(/\0+$/, '').replaceAll('\0', ' ');
  return (text || `[${name}]`).slice(0, MAX_PROCESS_COMMAND_CHARS);
}

/** uid → user name from /etc/passwd text. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid) && !users.has(Number(uid))) {
      users.set(Number(uid), name.slice(0, 64));
    }
  }
  return users;
}

/**
 * The page size from the agent's own memory, read twice: /proc/self/status gives VmRSS in kB, statm the
 * same in pages. Node has no sysconf; the ratio is rounded to a power of two (4 KiB on x86, 4–64 KiB on arm64).
 */
export function pageSizeFrom(status: string, statm: string): number {
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  const pages = Number(statm.trim().split(/\s+/)[1]);
  if (!(kb > 0 && pages > 0)) return 4096;
  return 2 ** Math.round(Math.log2((kb * 1024) / pages));
}

/** The `n` items with the highest `score`, highest first (ties by pid), without sorting everything. */
export function topBy<T extends { pid: number }>(items: readonly T[], n: number, score: (item: T) => number): T[] {
  const better = (a: T, b: T) => score(b) - score(a) || a.pid - b.pid;
  const top: T[] = [];
  for (const item of items) {
    if (top.length < n) {
      top.push(item);
      if (top.length === n) top.sort(better);
      continue;
    }
    if (better(item, top[n - 1] as T) >= 0) continue;
    top[n - 1] = item;
    top.sort(better);
  }
  return top.length < n ? top.sort(better) : top;
}
