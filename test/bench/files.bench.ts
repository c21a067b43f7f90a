// File benchmarks: transfer throughput through the master ⇄ agent path next to a raw wss stream
// between two processes (the ceiling), and time to the first page of huge directories.
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:https';
import os from 'node:os';
import { join } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import { requireBuild } from '../helpers/processes.js';
import { TestSshd } from '../helpers/sshd.js';
import { benchMaster, median, saveResult, sleep, spawnBenchAgent } from './harness.js';

const MiB = 1024 * 1024;

async function* pattern(size: number) {
  const chunk = Buffer.alloc(MiB, 3);
  for (let sent = 0; sent < size; sent += MiB) yield chunk.subarray(0, Math.min(MiB, size - sent));
}

/**
 * Raw `wss` between this process (the master's role: TLS server, same certificate) and a client in
 * another process (the agent's role): bytes to the client (upload direction) and from it (download).
 */
async function rawCeiling(dataDir: string, bytes: number) {
  const server = createServer({
    key: readFileSync(join(dataDir, 'tls/gateway.key')),
    cert: readFileSync(join(dataDir, 'tls/gateway.crt')),
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 4 * MiB });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'ws-peer-process.ts'), `wss://127.0.0.1:${port}`],
    {
      stdio: 'inherit',
    },
  );
  const socket = await new Promise<WebSocket>((r) => wss.once('connection', r));
  let start = performance.now();
  const chunk = Buffer.alloc(256 * 1024, 5);
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    while (socket.bufferedAmount > 16 * chunk.length) await sleep(1);
    socket.send(chunk, { binary: true });
  }
  const reported = new Promise<void>((resolve) =>
    socket.on('message', (d, isBinary) => {
      if (!isBinary && JSON.parse(d.toString()).received >= bytes) resolve();
    }),
  );
  socket.send(JSON.stringify({ report: true }));
  await reported;
  const upMiBs = bytes / MiB / ((performance.now() - start) / 1000);
  socket.removeAllListeners('message');
  let received = 0;
  start = performance.now();
  const downloaded = new Promise<void>((resolve) =>
    socket.on('message', (d, isBinary) => {
      if (isBinary) received += (d as Buffer).length;
      if (received >= bytes) resolve();
    }),
  );
  socket.send(JSON.stringify({ send: bytes }));
  await downloaded;
  const downMiBs = bytes / MiB / ((performance.now() - start) / 1000);
  socket.close();
  await new Promise((r) => child.once('exit', r));
  wss.close();
  server.close();
  return { upMiBs, downMiBs };
}

export async function runFileBenchmarks() {
  requireBuild();
  const master = await benchMaster();
  const root = mkdtempSync(join(os.tmpdir(), 'fleetdeck-bench-files-'));
  const { nodeId, child: agent } = await spawnBenchAgent(master, 'files', ['--root', root]);
  while (!master.gateway.isConnected(nodeId)) await sleep(20);
  try {
    const bytes = 512 * MiB;
    const ups: number[] = [];
    const downs: number[] = [];
    // Warm-up, not counted: on these VMs the first writes into never-touched page-cache memory run at
    // a third of the speed of later ones (first touch of guest memory; a plain write loop shows the
    // same), which a long-running host does not see.
    for (let i = 0; i < 2; i++) {
      await master.transfers.upload(nodeId, join(root, 'bench.bin'), pattern(bytes), {
        overwrite: true,
        sha256: null,
        size: bytes,
      });
    }
    for (let i = 0; i < 5; i++) {
      let start = performance.now();
      await master.transfers.upload(nodeId, join(root, 'bench.bin'), pattern(bytes), {
        overwrite: true,
        sha256: null,
        size: bytes,
      });
      ups.push(bytes / MiB / ((performance.now() - start) / 1000));
      start = performance.now();
      const download = await master.transfers.download(nodeId, join(root, 'bench.bin'), 0, null);
      for await (const _chunk of download.stream) {
        // consume
      }
      downs.push(bytes / MiB / ((performance.now() - start) / 1000));
    }
    // Uploads end with fsync + rename (durability the raw stream does not pay): the disk is a ceiling too.
    const diskStart = performance.now();
    const fd = openSync(join(root, 'disk-ceiling.bin'), 'w');
    const block = Buffer.alloc(MiB, 9);
    for (let i = 0; i < bytes / MiB; i++) writeSync(fd, block);
    fsyncSync(fd);
    closeSync(fd);
    const diskMiBs = bytes / MiB / ((performance.now() - diskStart) / 1000);
    const ceilings = [await rawCeiling(master.options.dataDir, bytes), await rawCeiling(master.options.dataDir, bytes)];
    const ceilingUp = median(ceilings.map((c) => c.upMiBs));
    const ceilingDown = median(ceilings.map((c) => c.downMiBs));

    const listings: Record<string, { coldFirstPageMs: number; firstPageMedianMs: number; rawReaddirMs: number }> = {};
    for (const count of [10_000, 100_000]) {
      // Cold: the first listing of a directory the agent has not read yet; three fresh directories.
      const colds: number[] = [];
      let dir = '';
      for (let copy = 0; copy < 3; copy++) {
        dir = join(root, `dir-${count}-${copy}`);
        mkdirSync(dir);
        for (let i = 0; i < count; i++) writeFileSync(join(dir, `file-${i}`), '');
        const start = performance.now();
        await master.fileRpc.call(nodeId, { method: 'files.list', params: { path: dir, limit: 500 } });
        colds.push(performance.now() - start);
      }
      const list = () => master.fileRpc.call(nodeId, { method: 'files.list', params: { path: dir, limit: 500 } });
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await list();
        times.push(performance.now() - start);
      }
      const start = performance.now();
      readdirSync(dir, { withFileTypes: true });
      const rawReaddirMs = performance.now() - start;
      listings[String(count)] = { coldFirstPageMs: median(colds), firstPageMedianMs: median(times), rawReaddirMs };
    }
    const fullListing = await fullListingBesideSftp(master, nodeId, join(root, 'dir-10000-2'));
    const result = {
      fullListing,
      bytes,
      uploadMiBs: median(ups),
      downloadMiBs: median(downs),
      ceilingUpMiBs: ceilingUp,
      ceilingDownMiBs: ceilingDown,
      diskWriteFsyncMiBs: diskMiBs,
      listings,
    };
    saveResult('files', result);
    console.table({
      'upload MiB/s (median of 5, 512 MiB)': result.uploadMiBs.toFixed(0),
      'raw wss to a client process MiB/s (ceiling)': ceilingUp.toFixed(0),
      'upload / ceiling': (result.uploadMiBs / ceilingUp).toFixed(2),
      'disk write + fsync of 512 MiB, MiB/s (upload ceiling too)': diskMiBs.toFixed(0),
      'download MiB/s (median of 5, 512 MiB)': result.downloadMiBs.toFixed(0),
      'raw wss from a client process MiB/s (ceiling)': ceilingDown.toFixed(0),
      'download / ceiling': (result.downloadMiBs / ceilingDown).toFixed(2),
      'first page of 10,000 entries, cold (median of 3 dirs) / cached ms': `${listings['10000']?.coldFirstPageMs.toFixed(1)} / ${listings['10000']?.firstPageMedianMs.toFixed(1)}`,
      'first page of 100,000 entries, cold (median of 3 dirs) / cached ms': `${listings['100000']?.coldFirstPageMs.toFixed(1)} / ${listings['100000']?.firstPageMedianMs.toFixed(1)}`,
      'raw readdir of 100,000 entries (floor), ms': listings['100000']?.rawReaddirMs.toFixed(1),
      'every entry of 10,000 (2 pages of 5,000), median of 5, ms': fullListing.fleetdeckMs.toFixed(0),
      'sftp ls -l of the same directory incl. its connection, median of 5, ms':
        fullListing.sftpMs === null ? 'no sshd here' : fullListing.sftpMs.toFixed(0),
      'FleetDeck / sftp': fullListing.sftpMs === null ? '—' : (fullListing.fleetdeckMs / fullListing.sftpMs).toFixed(2),
    });
    return result;
  } finally {
    agent.kill('SIGTERM');
    await master.stop();
  }
}

/**
 * Every entry of a 10,000-entry directory (two pages of 5,000, as the UI pages) through master and agent,
 * beside OpenSSH's `sftp ls -l` of the same directory on a loopback sshd, its connection included: what
 * an admin would otherwise use. Both warm (the directory was listed before).
 */
async function fullListingBesideSftp(
  master: Awaited<ReturnType<typeof benchMaster>>,
  nodeId: string,
  dir: string,
): Promise<{ fleetdeckMs: number; sftpMs: number | null }> {
  const page = (cursor?: string) =>
    master.fileRpc.call(nodeId, { method: 'files.list', params: { path: dir, limit: 5_000, cursor } }) as Promise<{
      nextCursor: string | null;
    }>;
  const ours: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const first = await page();
    await page(first.nextCursor ?? undefined);
    ours.push(performance.now() - start);
  }
  if (!existsSync('/usr/sbin/sshd')) return { fleetdeckMs: median(ours), sftpMs: null };
  const sshd = new TestSshd();
  await sshd.start();
  try {
    const sftp: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      execFileSync(
        'sftp',
        [
          '-q',
          '-b',
          '-',
          '-i',
          join(sshd.dir, 'id_ed25519'),
          '-P',
          String(sshd.port),
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          `UserKnownHostsFile=${join(sshd.dir, 'known_hosts')}`,
          `${sshd.username}@127.0.0.1`,
        ],
        { input: `ls -l ${dir}\n`, maxBuffer: 64 * MiB },
      );
      sftp.push(performance.now() - start);
    }
    return { fleetdeckMs: median(ours), sftpMs: median(sftp) };
  } finally {
    await sshd.stop();
  }
}
