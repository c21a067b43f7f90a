// `npm run bench -- terminal`: a terminal through a real master process and a real agent process on
// loopback. Keystroke echo round trip (one key typed into `cat`, the pty's echo back) p50/p99 beside a
// raw `ws` round trip to an echo process in the same run (target: ≤ 2× raw + 2 ms); output throughput
// of `cat` of a large file beside a download of the same file through the same master and agent (the
// file-download ceiling). Sizes: FLEETDECK_BENCH_TERMINAL_KEYS (default 500 keystrokes),
// FLEETDECK_BENCH_TERMINAL_MIB (default 256 MiB).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createNode, startAgent, startMaster, waitForStatus } from '../helpers/processes.js';
import { openTerminal } from '../helpers/terminal-client.js';
import { echoPeer, percentile, saveResult } from './harness.js';

const MiB = 1024 * 1024;

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** A file of printable lines (what a log looks like), `mib` MiB. */
function writeLines(path: string, mib: number): number {
  const line = `${'0123456789abcdefghijklmnopqrstuvwxyz'.repeat(2)}\n`;
  const block = line.repeat(Math.ceil(MiB / line.length)).slice(0, MiB);
  const chunks = Array.from({ length: mib }, () => block);
  writeFileSync(path, chunks.join(''));
  return mib * MiB;
}

async function rawRoundTrips(keys: number): Promise<number[]> {
  const peer = await echoPeer();
  const times: number[] = [];
  try {
    for (let i = 0; i < keys; i++) {
      const start = performance.now();
      await new Promise<void>((resolve) => {
        peer.socket.once('message', () => resolve());
        peer.socket.send('x');
      });
      times.push(performance.now() - start);
    }
  } finally {
    peer.stop();
  }
  return times;
}

export async function runTerminalBenchmarks() {
  const keys = Number(process.env.FLEETDECK_BENCH_TERMINAL_KEYS ?? 500);
  const mib = Number(process.env.FLEETDECK_BENCH_TERMINAL_MIB ?? 256);
  const root = mkdtempSync(join(os.tmpdir(), 'fleetdeck-bench-terminal-'));
  const master = await startMaster();
  const { node, token } = await createNode(master, 'bench-terminal');
  const agent = startAgent({
    master,
    token,
    args: ['--terminal', '--terminal-max-kib-per-sec', '1048576', '--root', root],
  });
  try {
    await waitForStatus(master, node.id, 'online', 30_000);
    const { client } = await openTerminal(master, node.id);

    // Echo: the pty's line discipline echoes each key typed into `cat` at once (cat sees it only at
    // Enter); one key in flight at a time.
    client.type('cat > /dev/null\r');
    await client.waitFor(/cat > \/dev\/null\r?\n/);
    await new Promise((r) => setTimeout(r, 300));
    const echo: number[] = [];
    for (let i = 0; i < keys + 20; i++) {
      const start = performance.now();
      await new Promise<void>((resolve) => {
        const off = client.onOutput(() => {
          off();
          resolve();
        });
        client.type('k');
      });
      if (i >= 20) echo.push(performance.now() - start); // the first ones warm up
    }
    client.type('\u0003');
    const raw = await rawRoundTrips(keys + 20).then((t) => t.slice(20));

    // Throughput: cat of the file to the terminal, then a marker; the client acknowledges as it reads.
    const file = join(root, 'big.txt');
    const bytes = writeLines(file, mib);
    client.type('clear\r');
    await new Promise((r) => setTimeout(r, 300));
    let tail = '';
    let received = 0;
    const done = new Promise<void>((resolve) => {
      const off = client.onOutput((chunk) => {
        received += chunk.length;
        client.text = ''; // the bench keeps no screen
        tail = (tail + chunk.toString('latin1')).slice(-64);
        if (tail.includes('END-OF-CAT-2')) {
          off();
          resolve();
        }
      });
    });
    const start = performance.now();
    client.type(`cat ${file}; echo END-OF-CAT-$((1+1))\r`);
    await done;
    const catMiBs = bytes / MiB / ((performance.now() - start) / 1000);

    const ticket = await master.client.createDownloadTicket({ id: node.id, path: file });
    const downloadStart = performance.now();
    const response = await fetch(new URL(ticket.url, master.adminUrl));
    let downloaded = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) downloaded += chunk.length;
    const downloadMiBs = downloaded / MiB / ((performance.now() - downloadStart) / 1000);
    client.close();

    const result = {
      keys,
      mib,
      echoMs: stats(echo),
      rawWsMs: stats(raw),
      targetP99Ms: 2 * stats(raw).p99 + 2,
      catMiBs,
      catBytesReceived: received,
      downloadMiBs,
    };
    saveResult('terminal', result);
    console.table({
      'keystroke echo p50 ms': result.echoMs.p50.toFixed(2),
      'keystroke echo p99 ms': result.echoMs.p99.toFixed(2),
      'raw ws round trip p50 ms': result.rawWsMs.p50.toFixed(2),
      'raw ws round trip p99 ms': result.rawWsMs.p99.toFixed(2),
      'target p99 (2× raw + 2 ms)': result.targetP99Ms.toFixed(2),
      [`cat of ${mib} MiB to the terminal, MiB/s`]: catMiBs.toFixed(1),
      [`download of the same file, MiB/s (ceiling)`]: downloadMiBs.toFixed(1),
      'cat / download': (catMiBs / downloadMiBs).toFixed(2),
    });
    return result;
  } finally {
    await agent.stop('SIGKILL');
    await master.proc.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
