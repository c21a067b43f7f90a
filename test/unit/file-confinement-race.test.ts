// File confinement against a racing attacker (issue 24, item 1): every operation of the agent's file
// service acts only on what it checked. The race itself runs another process that swaps a directory
// inside the shared root with symlinks to outside directories (a temp directory with a secret file,
// and /etc for reads) while requests go through FileEndpoint, the agent's own entry for messages.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Confinement } from '../../agent/files/confine.js';
import { EndpointClient, symlinkSwapRace } from '../helpers/symlink-swap.js';

const temp = (prefix: string) => mkdtempSync(join(os.tmpdir(), prefix));

describe('symlink swap race', () => {
  it('10,000 reads and 10,000 writes while a directory is swapped with symlinks: no escape', async () => {
    const result = await symlinkSwapRace({ reads: 10_000, writes: 10_000 });
    const report = JSON.stringify(result);
    // The race was live: some requests were served, others refused as the directory came and went.
    expect(result.swaps, report).toBeGreaterThan(100);
    for (const t of [result.reads, result.writes]) {
      expect(t.served, report).toBeGreaterThan(0);
      expect(t.refused, report).toBeGreaterThan(0);
      // A refusal is a clear file error, never a crash of the service.
      expect(t.refusedBy.io_error ?? 0, report).toBe(0);
    }
    expect(result.reads.escapes, report).toBe(0);
    expect(result.writes.escapes, report).toBe(0);
  }, 180_000);
});

describe.each([
  ['descriptor paths (Linux)', { descriptorPaths: true }],
  ['portable checks', { descriptorPaths: false }],
])('every file operation through %s', (_mode, options) => {
  function share() {
    const base = temp('fleetdeck-confine-');
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    mkdirSync(join(root, 'docs'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'docs', 'a.txt'), 'alpha\n');
    writeFileSync(join(outside, 'secret.txt'), 'secret\n');
    return { root, outside, client: EndpointClient.connect(root, options) };
  }

  it('lists, stats, previews and downloads; symlinks inside the root are followed, outside refused', async () => {
    const { root, outside, client } = share();
    symlinkSync(join(root, 'docs'), join(root, 'docs-link'));
    symlinkSync(outside, join(root, 'out-link'));
    const list = await client.rpc({ method: 'files.list', params: { path: join(root, 'docs-link'), limit: 10 } });
    expect(list).toMatchObject({ ok: true, value: { path: join(root, 'docs'), total: 1 } });
    expect((list as { value: { entries: Array<{ name: string; size: number }> } }).value.entries).toMatchObject([
      { name: 'a.txt', size: 6, type: 'file' },
    ]);
    const stat = await client.rpc({ method: 'files.stat', params: { path: join(root, 'out-link') } });
    expect(stat).toMatchObject({ ok: true, value: { type: 'symlink', symlinkTarget: outside } });
    const preview = await client.rpc({
      method: 'files.preview',
      params: { path: join(root, 'docs-link', 'a.txt'), maxBytes: 100 },
    });
    expect(preview).toMatchObject({ ok: true, value: { path: join(root, 'docs', 'a.txt'), text: 'alpha\n' } });
    const download = await client.download(join(root, 'docs', 'a.txt'));
    expect(download.ok && download.data.toString()).toBe('alpha\n');
    for (const path of [join(root, 'out-link'), join(root, 'out-link', 'secret.txt')]) {
      const refused = await client.rpc({ method: 'files.list', params: { path, limit: 10 } });
      expect(refused).toMatchObject({ ok: false, code: 'outside_roots' });
      expect(await client.download(path)).toMatchObject({ ok: false, code: 'outside_roots' });
    }
    expect(
      await client.rpc({ method: 'files.preview', params: { path: join(root, 'docs'), maxBytes: 9 } }),
    ).toMatchObject({ ok: false, code: 'is_a_directory' });
    expect(await client.download(join(root, 'docs'))).toMatchObject({ ok: false, code: 'is_a_directory' });
  });

  it('uploads, makes directories (-p too), renames and deletes inside the root only', async () => {
    const { root, outside, client } = share();
    expect(await client.upload(join(root, 'docs', 'up.txt'), Buffer.from('uploaded\n'))).toMatchObject({ ok: true });
    expect(readFileSync(join(root, 'docs', 'up.txt'), 'utf8')).toBe('uploaded\n');
    expect(readdirSync(join(root, 'docs')).sort()).toEqual(['a.txt', 'up.txt']); // no temp file left
    expect(await client.upload(join(root, 'docs', 'up.txt'), Buffer.from('again'))).toMatchObject({ code: 'exists' });

    const made = await client.rpc({
      method: 'files.mkdir',
      params: { path: join(root, 'x', 'y', 'z'), parents: true },
    });
    expect(made).toMatchObject({ ok: true, value: { path: join(root, 'x', 'y', 'z'), type: 'directory' } });
    expect(
      await client.rpc({ method: 'files.mkdir', params: { path: join(root, 'x', 'y', 'z'), parents: true } }),
    ).toMatchObject({ ok: true });
    expect(
      await client.rpc({ method: 'files.mkdir', params: { path: join(root, 'docs', 'a.txt'), parents: true } }),
    ).toMatchObject({ ok: false, code: 'exists' });
    expect(
      await client.rpc({ method: 'files.mkdir', params: { path: join(root, 'x'), parents: false } }),
    ).toMatchObject({ ok: false, code: 'exists' });
    expect(
      await client.rpc({ method: 'files.mkdir', params: { path: join(root, 'x', 'new'), parents: false } }),
    ).toMatchObject({ ok: true, value: { name: 'new' } });

    const moved = await client.rpc({
      method: 'files.rename',
      params: { from: join(root, 'docs', 'up.txt'), to: join(root, 'x', 'up.txt'), overwrite: false },
    });
    expect(moved).toMatchObject({ ok: true, value: { path: join(root, 'x', 'up.txt') } });
    expect(
      await client.rpc({
        method: 'files.rename',
        params: { from: join(root, 'docs', 'a.txt'), to: join(root, 'x', 'up.txt'), overwrite: false },
      }),
    ).toMatchObject({ ok: false, code: 'exists' });
    expect(
      await client.rpc({
        method: 'files.rename',
        params: { from: join(root, 'docs', 'a.txt'), to: join(outside, 'a.txt'), overwrite: false },
      }),
    ).toMatchObject({ ok: false, code: 'outside_roots' });

    // A tree holding a symlink to the outside directory: the link goes, what it points to stays.
    symlinkSync(outside, join(root, 'x', 'y', 'out-link'));
    expect(
      await client.rpc({ method: 'files.delete', params: { path: join(root, 'x'), recursive: false } }),
    ).toMatchObject({ ok: false, code: 'not_empty' });
    expect(
      await client.rpc({ method: 'files.delete', params: { path: join(root, 'x'), recursive: true } }),
    ).toMatchObject({ ok: true });
    expect(existsSync(join(root, 'x'))).toBe(false);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(await client.rpc({ method: 'files.delete', params: { path: root, recursive: true } })).toMatchObject({
      ok: false,
      code: 'outside_roots', // its parent is outside
    });
  });

  it('an upload whose directory is moved out of the root before it ends is refused and leaves nothing there', async () => {
    const { root, outside, client } = share();
    const moved = join(outside, 'docs-moved');
    const reply = await client.upload(join(root, 'docs', 'late.txt'), Buffer.from('late\n'), () =>
      renameSync(join(root, 'docs'), moved),
    );
    expect(reply).toMatchObject({ ok: false, code: 'outside_roots', message: expect.stringMatching(/changed/) });
    // Through the held descriptor even the temp file is removed; by name (portable) it cannot be found.
    const left = options.descriptorPaths ? ['a.txt'] : ['.late.txt.fleetdeck-upload-0000000000000000', 'a.txt'];
    expect(readdirSync(moved)).toEqual(left);
  });
});

it.runIf(process.platform === 'linux')('on Linux the agent works through /proc descriptor paths', () => {
  expect(new Confinement([os.tmpdir()]).descriptorPrefix).toMatch(/^\/proc\/\d+\/fd\/$/);
});
