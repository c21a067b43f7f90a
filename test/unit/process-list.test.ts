// The process list's parsers on captured /proc text, its ranking, and the agent refusing the RPC
// when started with --no-processes (the master refuses first; this is the agent's own check).
import { describe, expect, it } from 'vitest';
import { ProcessEndpoint } from '../../agent/processes/endpoint.js';
import {
  commandLine,
  pageSizeFrom,
  parsePasswd,
  parseProcStat,
  topBy,
  totalCpuTicks,
} from '../../agent/processes/proc-stat.js';
import type { AgentMessage } from '../../agent/protocol.js';

describe('process list parsers', () => {
  it('reads a stat line whose name holds spaces and parentheses', () => {
    const text =
      '4242 (tmux: server (1)) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 75 0 0 20 0 1 0 9000 12000000 2048 1844 0 0';
    expect(parseProcStat(text)).toEqual({ name: 'tmux: server (1)', cpuTicks: 225, rssPages: 2048 });
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('sums the aggregate cpu line, joins argv and names kernel threads', () => {
    expect(totalCpuTicks('cpu  10 0 5 100 2 0 1 0 0 0\ncpu0 10 0 5 100 2 0 1 0 0 0\n')).toBe(118);
    expect(totalCpuTicks('intr 1 2')).toBeNull();
    expect(commandLine(Buffer.from('nginx: worker\0-g\0daemon off;\0'), 'nginx')).toBe('nginx: worker -g daemon off;');
    expect(commandLine(Buffer.alloc(0), 'kworker/0:1')).toBe('[kworker/0:1]');
    expect(commandLine('x'.repeat(1000), 'x')).toHaveLength(256);
  });

  it('maps uids to names and derives the page size from the agent itself', () => {
    const users = parsePasswd(
      'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nbad line\n',
    );
    expect(users.get(0)).toBe('root');
    expect(users.get(33)).toBe('www-data');
    expect(pageSizeFrom('VmRSS:\t   40960 kB\n', '9000 10240 500 1 0 300 0')).toBe(4096);
    expect(pageSizeFrom('VmRSS:\t   40960 kB\n', '9000 641 500 1 0 300 0')).toBe(65536);
    expect(pageSizeFrom('', '')).toBe(4096);
  });

  it('ranks the top n, highest first, ties by pid', () => {
    const items = [5, 1, 9, 3, 9, 7].map((score, i) => ({ pid: 100 - i, score }));
    expect(topBy(items, 3, (p) => p.score).map((p) => p.pid)).toEqual([96, 98, 95]);
    expect(topBy(items.slice(0, 2), 5, (p) => p.score).map((p) => p.score)).toEqual([5, 1]);
  });
});

describe('process endpoint', () => {
  it('refuses without the capability, with the flag that allows it', async () => {
    const sent: AgentMessage[] = [];
    const endpoint = new ProcessEndpoint(false, (m) => sent.push(m));
    await endpoint.handle({ type: 'rpc', id: 'r1', method: 'processes.top', params: { limit: 5 } });
    expect(sent).toEqual([
      {
        type: 'rpc-result',
        id: 'r1',
        ok: false,
        error: { code: 'capability_missing', message: expect.stringContaining('--no-processes') },
      },
    ]);
  });
});
