// File transfers in the desktop app: IPC is a poor pipe for gigabytes, so the shell serves the two
// streamed routes on a loopback port with a token that exists only for this launch, and hands the
// address to its own page over IPC. No electron import: tests run it for real.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/log.js';
import type { Master } from '../core/master.js';
import { DesktopStreamServer } from '../server/desktop-stream-server.js';

export interface DesktopStreams {
  base: string;
  token: string;
  stop(): Promise<void>;
}

/** Origins of the app's own page: the packaged file:// page, or the dev server when set. */
export function appOrigins(devServerUrl: string | undefined): string[] {
  return devServerUrl ? [new URL(devServerUrl).origin] : ['file://', 'null'];
}

export async function startDesktopStreams(master: Master, log: Logger, origins: string[]): Promise<DesktopStreams> {
  const token = randomBytes(32).toString('base64url');
  const server = new DesktopStreamServer({ host: '127.0.0.1', port: 0, master, log, token, origins });
  const { port } = await server.start();
  return { base: `http://127.0.0.1:${port}`, token, stop: () => server.stop() };
}
