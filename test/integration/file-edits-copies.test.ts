// Editing in place, browser downloads by ticket and node-to-node copies, against a real master and
// two real agent processes with separate shared directories.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputOf } from '../../main/contract/contract.js';
import {
  createNode,
  type MasterHandle,
  type Proc,
  peakRssBytes,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForStatus,
} from '../helpers/processes.js';

type Copy = OutputOf<'startCopy'>;

let master: MasterHandle;
let rootA: string;
let rootB: string;
let nodeA: string;
let nodeB: string;
const procs: Proc[] = [];

async function fileAgent(name: string, root: string) {
  const { node, token } = await createNode(master, name);
  procs.push(startAgent({ master, token, args: ['--root', root] }));
  await waitForStatus(master, node.id, 'online');
  return node.id;
}

const auth = () => ({ authorization: `Bearer ${master.adminToken}` });

async function put(nodeId: string, path: string, body: string, query: Record<string, string> = {}) {
  const url = new URL(`/api/nodes/${nodeId}/files/content?${new URLSearchParams({ path, ...query })}`, master.adminUrl);
  const response = await fetch(url, { method: 'PUT', headers: auth(), body });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Every file under `dir` (relative path → size and SHA-256), and every directory. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      const rel = relative(dir, full);
      if (entry.isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(full);
      } else if (entry.isFile()) out[rel] = `${statSync(full).size}:${sha256(readFileSync(full))}`;
      else out[rel] = 'other';
    }
  };
  walk(dir);
  return out;
}

async function copyEnded(id: string, timeoutMs = 60_000): Promise<Copy> {
  return waitFor(
    async () => {
      const copy = (await master.client.listCopies({})).find((c) => c.id === id);
      return copy?.finishedAt ? copy : null;
    },
    `copy ${id} to end`,
    timeoutMs,
  );
}

beforeAll(async () => {
  master = await startMaster();
  rootA = tempDir('fleetdeck-copy-a-');
  rootB = tempDir('fleetdeck-copy-b-');
  nodeA = await fileAgent('copy-a', rootA);
  nodeB = await fileAgent('copy-b', rootB);
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await master?.proc.stop();
});

describe('browser downloads by ticket', () => {
  it('streams a 1 GiB file to the client with bounded master memory, once per ticket', async () => {
    const path = join(rootA, 'large.img');
    writeFileSync(path, '');
    truncateSync(path, 1024 * 1024 * 1024); // sparse: the agent reads zeros at disk-cache speed
    const before = peakRssBytes(master.proc.child.pid as number);
    const ticket = await master.client.createDownloadTicket({ id: nodeA, path });
    expect(ticket).toMatchObject({ name: 'large.img', size: 1024 * 1024 * 1024 });
    expect(ticket.url).toMatch(/^\/api\/downloads\/[A-Za-z0-9_-]{43}$/);
    // No admin header: the ticket is the credential.
    const response = await fetch(new URL(ticket.url, master.adminUrl));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="large.img"/);
    expect(Number(response.headers.get('content-length'))).toBe(1024 * 1024 * 1024);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    expect(bytes).toBe(1024 * 1024 * 1024);
    const zeros = createHash('sha256');
    const mib = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 1024; i++) zeros.update(mib);
    expect(hash.digest('hex')).toBe(zeros.digest('hex'));
    // Bounded: the high-water mark grows by far less than the 1 GiB that went through.
    expect(peakRssBytes(master.proc.child.pid as number) - before).toBeLessThan(128 * 1024 * 1024);
    // Used up: the same link refuses, in words.
    const again = await fetch(new URL(ticket.url, master.adminUrl));
    expect(again.status).toBe(404);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/used up or expired/);
    // A made-up ticket, a folder and a path outside the roots are refused before any link exists.
    expect((await fetch(new URL(`/api/downloads/${'A'.repeat(43)}`, master.adminUrl))).status).toBe(404);
    mkdirSync(join(rootA, 'a-folder'));
    const folder = join(rootA, 'a-folder');
    expect((await master.failure('createDownloadTicket', { id: nodeA, path: folder })).code).toBe('is_a_directory');
    expect((await master.failure('createDownloadTicket', { id: nodeA, path: '/etc/passwd' })).code).toBe(
      'outside_roots',
    );
  }, 120_000);

  it('a download can be paused and cancelled by its transfer id', async () => {
    const path = join(rootA, 'large.img');
    const ticket = await master.client.createDownloadTicket({ id: nodeA, path });
    const response = await fetch(new URL(ticket.url, master.adminUrl));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await master.client.controlTransfer({ id: ticket.transferId, action: 'pause' });
    await master.client.controlTransfer({ id: ticket.transferId, action: 'resume' });
    await master.client.controlTransfer({ id: ticket.transferId, action: 'cancel' });
    let received = 0;
    const outcome = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return 'ended';
        received += value.length;
      }
    })().catch(() => 'failed');
    expect(outcome).toBe('failed'); // a cancelled download does not end as if complete
    expect(received).toBeLessThan(1024 * 1024 * 1024);
    expect((await master.failure('controlTransfer', { id: ticket.transferId, action: 'pause' })).code).toBe(
      'not_found',
    );
  }, 60_000);
});

describe('editing in place', () => {
  it('saves when the file is unchanged, refuses atomically when it moved on the host, overwrites when asked', async () => {
    const path = join(rootA, 'app.conf');
    writeFileSync(path, 'port = 80\n');
    const opened = await master.client.previewFile({ id: nodeA, path, maxBytes: 1024 * 1024 });
    expect(opened).toMatchObject({ text: 'port = 80\n', truncated: false, sha256: sha256('port = 80\n') });
    const guard = (p: typeof opened) => ({
      expectSize: String(p.size),
      expectMtime: String(p.mtime),
      expectSha256: p.sha256 as string,
    });
    const saved = await put(nodeA, path, 'port = 8080\n', guard(opened));
    expect(saved.status).toBe(201);
    expect(readFileSync(path, 'utf8')).toBe('port = 8080\n');

    // Someone changes the file on the host (same size, so only the hash tells).
    const reopened = await master.client.previewFile({ id: nodeA, path, maxBytes: 1024 * 1024 });
    writeFileSync(path, 'port = 9090\n');
    const refused = await put(nodeA, path, 'port = 7070\n', guard(reopened));
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('changed');
    expect(refused.body.error?.message).toMatch(/changed on the host/);
    expect(readFileSync(path, 'utf8')).toBe('port = 9090\n'); // the host's change is kept
    expect(readdirSync(rootA).filter((n) => n.includes('fleetdeck-upload'))).toEqual([]);

    // Deleted meanwhile: refused too, nothing created.
    const gone = join(rootA, 'gone.conf');
    writeFileSync(gone, 'x');
    const before = await master.client.previewFile({ id: nodeA, path: gone, maxBytes: 1024 });
    writeFileSync(join(rootA, 'unrelated'), '');
    await master.client.deleteFile({ id: nodeA, path: gone });
    expect((await put(nodeA, gone, 'y', guard(before))).body.error?.code).toBe('changed');
    expect(existsSync(gone)).toBe(false);

    // "Overwrite" is an ordinary replace.
    expect((await put(nodeA, path, 'port = 7070\n', { overwrite: 'true' })).status).toBe(201);
    expect(readFileSync(path, 'utf8')).toBe('port = 7070\n');
    // Half a guard is a mistake, said as such.
    const half = await put(nodeA, path, 'z', { expectSize: '1' });
    expect(half.status).toBe(400);
    expect(half.body.error?.message).toMatch(/go together/);
  });
});

describe('node-to-node copies', () => {
  it('copies a file and a folder tree between agents with equal sizes and hashes', async () => {
    const data = Buffer.alloc(5 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 0xff;
    writeFileSync(join(rootA, 'one.bin'), data);
    const file = await master.client.startCopy({
      from: { nodeId: nodeA, path: join(rootA, 'one.bin') },
      to: { nodeId: nodeB, path: join(rootB, 'one.bin') },
    });
    expect(file).toMatchObject({ kind: 'file', state: expect.stringMatching(/preparing|running/) });
    expect(await copyEnded(file.id)).toMatchObject({ state: 'done', bytes: data.length, files: 1, error: null });
    expect(sha256(readFileSync(join(rootB, 'one.bin')))).toBe(sha256(data));

    const src = join(rootA, 'site');
    mkdirSync(join(src, 'css', 'deep', 'er'), { recursive: true });
    mkdirSync(join(src, 'empty'));
    writeFileSync(join(src, 'index.html'), '<h1>hi</h1>');
    writeFileSync(join(src, 'css', 'a.css'), 'body{}');
    writeFileSync(join(src, 'css', 'deep', 'er', 'big.bin'), data);
    writeFileSync(join(src, 'zero'), '');
    symlinkSync('/etc/passwd', join(src, 'link'));
    const dir = await master.client.startCopy({
      from: { nodeId: nodeA, path: src },
      to: { nodeId: nodeB, path: join(rootB, 'site-copy') },
    });
    const done = await copyEnded(dir.id);
    expect(done).toMatchObject({ state: 'done', kind: 'directory', files: 4, totalFiles: 4, skipped: 1 });
    const { link: _skipped, ...expected } = tree(src);
    expect(tree(join(rootB, 'site-copy'))).toEqual(expected);
    // A folder is never merged into an existing one.
    const again = await master.failure('startCopy', {
      from: { nodeId: nodeA, path: src },
      to: { nodeId: nodeB, path: join(rootB, 'site-copy') },
    });
    expect(again.code).toBe('exists');
    // Confined on both ends.
    const out = await master.failure('startCopy', {
      from: { nodeId: nodeA, path: join(rootA, 'one.bin') },
      to: { nodeId: nodeB, path: '/tmp/escaped.bin' },
    });
    expect(out.code).toBe('outside_roots');
    expect(existsSync('/tmp/escaped.bin')).toBe(false);
  }, 60_000);

  it('a cancelled copy leaves nothing at the destination (file and folder)', async () => {
    const big = join(rootA, 'cancel.img');
    writeFileSync(big, '');
    truncateSync(big, 4 * 1024 * 1024 * 1024);
    const file = await master.client.startCopy({
      from: { nodeId: nodeA, path: big },
      to: { nodeId: nodeB, path: join(rootB, 'cancel.img') },
    });
    await waitFor(
      async () => ((await master.client.listCopies({})).find((c) => c.id === file.id)?.bytes ?? 0) > 8 * 1024 * 1024,
      'the copy to be under way',
    );
    const paused = await master.client.controlCopy({ id: file.id, action: 'pause' });
    expect(paused.state).toBe('paused');
    await master.client.controlCopy({ id: file.id, action: 'resume' });
    await master.client.controlCopy({ id: file.id, action: 'cancel' });
    expect(await copyEnded(file.id)).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    await waitFor(() => readdirSync(rootB).every((n) => !n.includes('cancel')), 'the temp file to be removed');
    expect(existsSync(join(rootB, 'cancel.img'))).toBe(false);

    const folder = join(rootA, 'folder');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, 'a.txt'), 'a');
    symlinkSync(big, join(folder, 'not-followed'));
    writeFileSync(join(folder, 'sub', 'b.img'), '');
    truncateSync(join(folder, 'sub', 'b.img'), 4 * 1024 * 1024 * 1024);
    const tree2 = await master.client.startCopy({
      from: { nodeId: nodeA, path: folder },
      to: { nodeId: nodeB, path: join(rootB, 'folder') },
    });
    await waitFor(
      async () => ((await master.client.listCopies({})).find((c) => c.id === tree2.id)?.bytes ?? 0) > 8 * 1024 * 1024,
      'the folder copy to be under way',
    );
    await master.client.controlCopy({ id: tree2.id, action: 'cancel' });
    expect(await copyEnded(tree2.id)).toMatchObject({ state: 'cancelled' });
    expect(readdirSync(rootB).filter((n) => n.includes('folder'))).toEqual([]);
  }, 60_000);
});
