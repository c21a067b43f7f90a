// The remote file browser against a real master and real agents on real directory trees.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf, OperationName, OutputOf } from '../../main/contract/contract.js';
import { ApiFailure } from '../helpers/api-client.js';
import {
  createNode,
  enqueue,
  type MasterHandle,
  type Proc,
  peakRssBytes,
  startAgent,
  startMaster,
  tempDir,
  waitFor,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';

let master: MasterHandle;
let root: string;
let nodeId: string;
let agent: Proc;
const procs: Proc[] = [];

async function fileAgent(name: string, args: string[], uid?: number) {
  const { node, token } = await createNode(master, name);
  const proc = startAgent({ master, token, args, uid });
  procs.push(proc);
  await waitForStatus(master, node.id, 'online');
  return { id: node.id, proc };
}

const url = (id: string, path: string, query: Record<string, string> = {}) =>
  new URL(`/api/nodes/${id}/files${path}?${new URLSearchParams(query)}`, master.adminUrl);
const auth = () => ({ authorization: `Bearer ${master.adminToken}` });

/** The error code a refused call answered (it rejects if the call succeeded). */
async function refusedCode<K extends OperationName>(name: K, input: InputOf<K>): Promise<string> {
  return (await master.failure(name, input)).code;
}

/** A deterministic byte stream of `size` bytes, hashed as it goes. */
function patternStream(size: number, hash = createHash('sha256')) {
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 7) & 0xff;
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(block.length, size - sent);
      block.writeUInt32LE(sent, 0);
      const chunk = Buffer.from(block.subarray(0, n));
      hash.update(chunk);
      sent += n;
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

async function upload(
  id: string,
  path: string,
  body: Readable | Buffer,
  query: Record<string, string> = {},
  signal?: AbortSignal,
) {
  const response = await fetch(url(id, '/content', { path, ...query }), {
    method: 'PUT',
    headers: auth(),
    body: body instanceof Readable ? (Readable.toWeb(body) as ReadableStream) : body,
    duplex: 'half',
    signal,
  } as RequestInit);
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & { error?: { code: string } },
  };
}

/** The streamed download route is not a Client operation: its refusal read from the error body. */
async function refusedDownload(path: string): Promise<ApiFailure> {
  const response = await fetch(url(nodeId, '/content', { path }), { headers: auth() });
  const { error } = (await response.json()) as { error: { code: string; message: string } };
  return new ApiFailure(response.status, error.code, error.message);
}

async function downloadHash(id: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(url(id, '/content', { path }), { headers: { ...auth(), ...headers } });
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { status: response.status, headers: response.headers, bytes, sha256: hash.digest('hex') };
}

beforeAll(async () => {
  master = await startMaster();
  root = tempDir('fleetdeck-share-');
  const started = await fileAgent('files', ['--root', root]);
  nodeId = started.id;
  agent = started.proc;
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await master?.proc.stop();
});

describe('file browser', () => {
  it('lists a 10,000-entry directory in pages, directories first', async () => {
    const dir = join(root, 'big');
    mkdirSync(dir);
    for (let i = 0; i < 10_000; i++) writeFileSync(join(dir, `f${String(i).padStart(5, '0')}`), '');
    for (const d of ['zdir', 'adir']) mkdirSync(join(dir, d));
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: OutputOf<'listFiles'> = await master.client.listFiles({
        id: nodeId,
        path: dir,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.total).toBe(10_002);
      names.push(...page.entries.map((e) => e.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(11);
    // The sorted listing is cached between pages; a change to the directory is seen at once.
    writeFileSync(join(dir, 'a-new-file'), '');
    const after = await master.client.listFiles({ id: nodeId, path: dir, limit: 3 });
    expect(after.total).toBe(10_003);
    expect(after.entries.map((e) => e.name)).toEqual(['adir', 'zdir', 'a-new-file']);
    expect(names.slice(0, 3)).toEqual(['adir', 'zdir', 'f00000']);
    expect(names).toHaveLength(10_002);
    expect(new Set(names).size).toBe(10_002);
  });

  it('stats, previews text, refuses binary preview, makes, renames and deletes', async () => {
    writeFileSync(join(root, 'notes.txt'), 'line one\nline two\n');
    writeFileSync(join(root, 'blob.bin'), Buffer.from([1, 2, 0, 3]));
    const stat = await master.client.statFile({ id: nodeId, path: `${root}/notes.txt` });
    expect(stat).toMatchObject({ type: 'file', size: 18 });
    const preview = await master.client.previewFile({ id: nodeId, path: `${root}/notes.txt` });
    expect(preview.text).toBe('line one\nline two\n');
    const binary = await master.failure('previewFile', { id: nodeId, path: `${root}/blob.bin` });
    expect(binary.status).toBe(415);
    expect(binary.code).toBe('binary');

    const made = await master.reply('makeDirectory', { id: nodeId, path: `${root}/a/b/c`, parents: true });
    expect(made.status).toBe(201);
    expect(await refusedCode('makeDirectory', { id: nodeId, path: `${root}/a/b/c` })).toBe('exists');
    const moved = await master.reply('renameFile', {
      id: nodeId,
      from: `${root}/notes.txt`,
      to: `${root}/a/notes.txt`,
    });
    expect(moved.status).toBe(200);
    expect(readFileSync(join(root, 'a', 'notes.txt'), 'utf8')).toBe('line one\nline two\n');
    expect(await refusedCode('deleteFile', { id: nodeId, path: `${root}/a` })).toBe('not_empty');
    expect((await master.reply('deleteFile', { id: nodeId, path: `${root}/a`, recursive: true })).status).toBe(200);
    expect(existsSync(join(root, 'a'))).toBe(false);
    const missing = await master.failure('statFile', { id: nodeId, path: `${root}/nope` });
    expect(missing.status).toBe(404);
  });

  it('refuses every escape from the shared roots', async () => {
    symlinkSync('/etc', join(root, 'etc-link'));
    symlinkSync('/etc/hostname', join(root, 'hostname-link'));
    const id = nodeId;
    const attempts: Array<[string, () => Promise<ApiFailure>, string]> = [
      ['list ../../etc', () => master.failure('listFiles', { id, path: `${root}/../../etc` }), 'outside_roots'],
      ['list /etc', () => master.failure('listFiles', { id, path: '/etc' }), 'outside_roots'],
      ['list a link to /etc', () => master.failure('listFiles', { id, path: `${root}/etc-link` }), 'outside_roots'],
      ['preview a link', () => master.failure('previewFile', { id, path: `${root}/hostname-link` }), 'outside_roots'],
      ['download a link', () => refusedDownload(`${root}/hostname-link`), 'outside_roots'],
      ['list a NUL', () => master.failure('listFiles', { id, path: `${root}/x\0y` }), 'invalid_path'],
      [
        'stat a long name',
        () => master.failure('statFile', { id, path: `${root}/${'n'.repeat(300)}` }),
        'invalid_path',
      ],
      ['list a relative path', () => master.failure('listFiles', { id, path: 'relative/path' }), 'invalid_path'],
      [
        'mkdir through a link',
        () => master.failure('makeDirectory', { id, path: `${root}/etc-link/evil` }),
        'outside_roots',
      ],
      [
        'rename out of the root',
        () => master.failure('renameFile', { id, from: `${root}/blob.bin`, to: '/tmp/escaped.bin' }),
        'outside_roots',
      ],
    ];
    for (const [what, attempt, code] of attempts) {
      const refused = await attempt();
      expect(refused.code, what).toBe(code);
      expect(refused.status).toBeGreaterThanOrEqual(400);
    }
    const upload1 = await upload(nodeId, `${root}/etc-link/pwned`, Buffer.from('x'));
    expect(upload1.body.error?.code).toBe('outside_roots');
    expect(existsSync('/etc/pwned')).toBe(false);
    expect(existsSync('/tmp/escaped.bin')).toBe(false);
  });

  it('moves 1 GB up and down with equal SHA-256, bounded memory, progress events, and commands still flowing', async () => {
    const size = 1024 * 1024 * 1024;
    const events: string[] = [];
    const controller = new AbortController();
    const stream = fetch(new URL('/api/events', master.adminUrl), { headers: auth(), signal: controller.signal }).then(
      async (res) => {
        const decoder = new TextDecoder();
        try {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
            events.push(decoder.decode(chunk));
        } catch {
          // aborted at the end of the test
        }
      },
    );
    // Bounded memory: the high-water mark grows by far less than the 1 GiB that passes through (the
    // baseline itself — the master's code, its store, the UI bundle — is not what this measures).
    const masterBefore = peakRssBytes(master.proc.child.pid as number);
    const agentBefore = peakRssBytes(agent.child.pid as number);
    const source = patternStream(size);
    const up = await upload(nodeId, `${root}/big.bin`, source.stream);
    expect(up.status).toBe(201);
    const sha256 = source.digest();
    expect(up.body).toMatchObject({ bytes: size, sha256 });

    let downloadDone = false;
    const download = downloadHash(nodeId, `${root}/big.bin`).finally(() => {
      downloadDone = true;
    });
    await waitFor(() => events.join('').includes('"direction":"download"'), 'the download to be under way');
    const [command] = await enqueue(master, { nodeIds: [nodeId], exec: { command: 'echo alongside' } });
    const ran = await waitForCommand(master, command?.id as string, 30_000);
    expect(ran.status).toBe('succeeded');
    expect(downloadDone).toBe(false); // the command was not starved until the transfer ended
    expect(await download).toMatchObject({ status: 200, bytes: size, sha256 });

    const growth = 128 * 1024 * 1024;
    expect(peakRssBytes(master.proc.child.pid as number) - masterBefore).toBeLessThan(growth);
    expect(peakRssBytes(agent.child.pid as number) - agentBefore).toBeLessThan(growth);
    await waitFor(() => (events.join('').match(/"done":true/g)?.length ?? 0) >= 2, 'both final progress events');
    controller.abort();
    await stream;
    const finals = events
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l.includes('"done":true'))
      .map((l) => JSON.parse(l.slice(6)) as { direction: string; bytes: number; rateBytesPerSec: number });
    expect(finals.map((f) => f.direction).sort()).toEqual(['download', 'upload']);
    for (const f of finals) {
      expect(f.bytes).toBe(size);
      expect(f.rateBytesPerSec).toBeGreaterThan(0);
    }
  }, 180_000);

  it('resumes a download with Range and verifies uploads against an expected SHA-256', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const sha256 = createHash('sha256').update(data).digest('hex');
    expect((await upload(nodeId, `${root}/resume.bin`, data, { sha256 })).status).toBe(201);
    const half = 1_500_000;
    const first = await fetch(url(nodeId, '/content', { path: `${root}/resume.bin` }), {
      headers: { ...auth(), range: `bytes=0-${half - 1}` },
    });
    expect(first.status).toBe(206);
    const rest = await fetch(url(nodeId, '/content', { path: `${root}/resume.bin` }), {
      headers: { ...auth(), range: `bytes=${half}-` },
    });
    expect(rest.status).toBe(206);
    expect(rest.headers.get('content-range')).toBe(`bytes ${half}-${data.length - 1}/${data.length}`);
    const joined = Buffer.concat([Buffer.from(await first.arrayBuffer()), Buffer.from(await rest.arrayBuffer())]);
    expect(createHash('sha256').update(joined).digest('hex')).toBe(sha256);
    const wrong = await upload(nodeId, `${root}/checked.bin`, data, { sha256: '0'.repeat(64) });
    expect(wrong.status).toBe(422);
    expect(existsSync(join(root, 'checked.bin'))).toBe(false);
    const exists = await upload(nodeId, `${root}/resume.bin`, data);
    expect(exists.body.error?.code).toBe('exists');
    expect((await upload(nodeId, `${root}/resume.bin`, Buffer.from('new'), { overwrite: 'true' })).status).toBe(201);
    expect(readFileSync(join(root, 'resume.bin'), 'utf8')).toBe('new');
    const unsatisfiable = await fetch(url(nodeId, '/content', { path: `${root}/resume.bin` }), {
      headers: { ...auth(), range: 'bytes=999999-' },
    });
    expect(unsatisfiable.status).toBe(416);
  });

  it('an upload interrupted midway leaves no partial file behind', async () => {
    const controller = new AbortController();
    const source = patternStream(200 * 1024 * 1024);
    const pending = upload(nodeId, `${root}/partial.bin`, source.stream, {}, controller.signal).catch((e: Error) => e);
    await waitFor(() => readdirSync(root).some((n) => n.includes('fleetdeck-upload')), 'the temp file to appear');
    controller.abort();
    await pending;
    await waitFor(() => !readdirSync(root).some((n) => n.includes('partial')), 'the temp file to be removed', 10_000);
    expect(existsSync(join(root, 'partial.bin'))).toBe(false);
  });

  it('a read-only agent lists but refuses every change', async () => {
    const share = tempDir('fleetdeck-ro-');
    writeFileSync(join(share, 'keep.txt'), 'keep');
    const ro = await fileAgent('read-only', ['--root', share, '--no-files-write']);
    expect((await master.reply('listFiles', { id: ro.id, path: share })).status).toBe(200);
    const changes = [
      await master.failure('makeDirectory', { id: ro.id, path: `${share}/new` }),
      await master.failure('renameFile', { id: ro.id, from: `${share}/keep.txt`, to: `${share}/moved.txt` }),
      await master.failure('deleteFile', { id: ro.id, path: `${share}/keep.txt` }),
    ];
    for (const change of changes) {
      expect(change.status).toBe(403);
      expect(change.code).toBe('capability_missing');
    }
    const uploaded = await upload(ro.id, `${share}/up.txt`, Buffer.from('x'));
    expect(uploaded.status).toBe(403);
    expect(uploaded.body.error?.code).toBe('capability_missing');
    expect(readdirSync(share)).toEqual(['keep.txt']);
    const noFiles = await fileAgent('no-files', ['--no-files']);
    expect(await refusedCode('listFiles', { id: noFiles.id, path: '/tmp' })).toBe('capability_missing');
  });

  it.skipIf(process.getuid?.() !== 0)('reports permission errors (agent running as nobody)', async () => {
    const share = tempDir('fleetdeck-perm-');
    chmodSync(share, 0o755);
    writeFileSync(join(share, 'secret.txt'), 'secret', { mode: 0o600 });
    const limited = await fileAgent('nobody', ['--root', share], 65534);
    const read = await master.failure('previewFile', { id: limited.id, path: `${share}/secret.txt` });
    expect(read.status).toBe(403);
    expect(read.code).toBe('permission_denied');
    const write = await upload(limited.id, `${share}/new.txt`, Buffer.from('x'));
    expect(write.body.error?.code).toBe('permission_denied');
  });

  it('answers fast and clearly when the node is offline', async () => {
    const { node } = await createNode(master, 'offline-files');
    const started = Date.now();
    const refused = await master.failure('listFiles', { id: node.id, path: '/tmp' });
    expect(refused.status).toBe(503);
    expect(refused).toMatchObject({ code: 'node_offline', message: expect.stringMatching(/not connected/) });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('the local node browses the master machine too', async () => {
    const listing = await master.client.listFiles({ id: 'local', path: process.env.HOME ?? '/root' });
    expect(Array.isArray(listing.entries)).toBe(true);
  });
});
