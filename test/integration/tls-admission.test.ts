// TLS handshake admission on real loopback sockets: a burst of clients is served a bounded number
// of handshakes at a time, all of them get through, and connections that cannot be served in time
// are closed rather than left hanging.
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect as connectTcp, createServer as createNetServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { connect as connectTls, createSecureContext } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateTlsIdentity } from '../../main/core/gateway/tls.js';
import {
  DEFAULT_TLS_ADMISSION,
  TlsAdmission,
  type TlsAdmissionOptions,
} from '../../main/core/gateway/tls-admission.js';

const identity = await loadOrCreateTlsIdentity(mkdtempSync(join(os.tmpdir(), 'fleetdeck-admission-')), 'localhost');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function admittingServer(options: Partial<Omit<TlsAdmissionOptions, 'secureContext'>>) {
  const http = createHttpServer((_req, res) => res.end('ok'));
  const admission = new TlsAdmission(
    {
      ...DEFAULT_TLS_ADMISSION,
      maxConcurrent: 2,
      maxQueued: 1_000,
      maxWaitMs: 8_000,
      handshakeTimeoutMs: 10_000,
      ...options,
      secureContext: createSecureContext({ key: identity.key, cert: identity.cert }),
    },
    http,
  );
  let peak = 0;
  const sample = setInterval(() => {
    peak = Math.max(peak, admission.handshaking);
  }, 1);
  const server: Server = createNetServer({ pauseOnConnect: true }, (socket) => {
    admission.admit(socket);
    peak = Math.max(peak, admission.handshaking);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sockets = new Set<Socket>();
  server.on('connection', (s) => sockets.add(s));
  cleanups.push(() => {
    clearInterval(sample);
    admission.stop();
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { admission, port: (server.address() as { port: number }).port, peak: () => peak };
}

/** One HTTPS GET over a fresh TLS connection: 'ok', or the error that ended it. */
function get(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      socket.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    });
    let body = '';
    socket.on('data', (d) => {
      body += d.toString();
    });
    socket.on('end', () => resolve(body.endsWith('ok') ? 'ok' : body));
    socket.on('error', (e) => resolve(`error: ${e.message}`));
  });
}

/** A client that sends the first byte of a TLS record and then nothing: it holds a handshake slot. */
function stalledHandshake(port: number): Socket {
  const socket = connectTcp(port, '127.0.0.1', () => socket.write(Buffer.from([0x16])));
  socket.on('error', () => undefined);
  cleanups.push(() => socket.destroy());
  return socket;
}

describe('TLS handshake admission', () => {
  it('serves a burst of 60 clients, never more than the allowed handshakes at once', async () => {
    const server = await admittingServer({ maxConcurrent: 2 });
    const results = await Promise.all(Array.from({ length: 60 }, () => get(server.port)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(60);
    expect(server.peak()).toBeGreaterThan(0);
    expect(server.peak()).toBeLessThanOrEqual(2);
    expect(server.admission.shed).toBe(0);
  });

  it('a client that stalls mid-handshake holds its slot only until the handshake timeout', async () => {
    const server = await admittingServer({ maxConcurrent: 1, handshakeTimeoutMs: 300 });
    const stalled = stalledHandshake(server.port);
    const closed = new Promise<void>((r) => stalled.on('close', () => r()));
    await new Promise((r) => setTimeout(r, 50));
    // Queued behind the stalled one, then served once its slot times out.
    expect(await get(server.port)).toBe('ok');
    await closed;
  });

  it('a client that never sends a byte holds no slot and is closed after the first-byte deadline', async () => {
    const server = await admittingServer({ maxConcurrent: 1, firstByteTimeoutMs: 300 });
    const silent = connectTcp(server.port, '127.0.0.1');
    cleanups.push(() => silent.destroy());
    const closed = new Promise<void>((r) => silent.on('close', () => r()));
    await new Promise((r) => setTimeout(r, 50));
    expect(server.admission.figures.silent).toBe(1);
    expect(await get(server.port)).toBe('ok');
    await closed;
    expect(server.admission.figures).toMatchObject({ silent: 0, unauthenticated: 0, timedOut: 1 });
  });

  it('closes connections that waited too long or found the wait full, so agents redial', async () => {
    const server = await admittingServer({ maxConcurrent: 1, maxQueued: 1, maxWaitMs: 100, handshakeTimeoutMs: 400 });
    stalledHandshake(server.port);
    await new Promise((r) => setTimeout(r, 50));
    const [waited, overflow] = await Promise.all([get(server.port), get(server.port)]);
    // Closed unserved (reset or ended before the handshake): either way the client redials.
    expect(waited).not.toBe('ok');
    expect(overflow).not.toBe('ok');
    expect(server.admission.shed).toBe(2);
    // Once the stalled one is gone, the next client gets through.
    await new Promise((r) => setTimeout(r, 400));
    expect(await get(server.port)).toBe('ok');
  });
});
