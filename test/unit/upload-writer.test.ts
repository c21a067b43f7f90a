// The agent's upload writer: a worker thread hashes and writes what the socket delivers. Real files,
// a real worker, and /dev/full for a disk that fails every write.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UploadWriter } from '../../agent/files/upload-writer.js';

const HEADER = 16;

function frameOf(data: Buffer): Buffer {
  const frame = Buffer.alloc(HEADER + data.length);
  frame.write('0123456789abcdef', 'ascii');
  data.copy(frame, HEADER);
  return frame;
}

describe('upload writer', () => {
  it('writes every frame in order and reports the byte count and SHA-256 of what it wrote', async () => {
    const path = join(mkdtempSync(join(os.tmpdir(), 'fleetdeck-upload-writer-')), 'out.bin');
    const fd = openSync(path, 'w');
    const progress: number[] = [];
    const writer = new UploadWriter(fd, { written: (bytes) => progress.push(bytes), failed: () => undefined });
    const parts = Array.from({ length: 40 }, (_, i) => Buffer.alloc(100_000 + i, i));
    const shared = Buffer.alloc(HEADER + 10, 7);
    for (const part of parts) writer.write(frameOf(part), HEADER);
    // A view into a larger buffer is copied, so the caller's other bytes stay untouched.
    writer.write(shared.subarray(0, HEADER + 5), HEADER);
    expect(shared.length).toBe(HEADER + 10);
    const all = Buffer.concat([...parts, Buffer.alloc(5, 7)]);
    const result = await writer.finish();
    closeSync(fd);
    expect(result).toEqual({ bytes: all.length, sha256: createHash('sha256').update(all).digest('hex') });
    expect(readFileSync(path).equals(all)).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBeLessThanOrEqual(all.length);
  });

  it('reports a failing disk (ENOSPC from /dev/full) and refuses to finish', async () => {
    if (!existsSync('/dev/full')) return void console.warn('SKIPPED: needs /dev/full');
    const fd = openSync('/dev/full', 'w');
    const failures: NodeJS.ErrnoException[] = [];
    const writer = new UploadWriter(fd, { written: () => undefined, failed: (e) => failures.push(e) });
    writer.write(frameOf(Buffer.alloc(64 * 1024, 1)), HEADER);
    await expect(writer.finish()).rejects.toMatchObject({ code: 'ENOSPC' });
    closeSync(fd);
    expect(failures.map((e) => e.code)).toEqual(['ENOSPC']);
  });
});
