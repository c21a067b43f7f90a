// Real HTTP receivers on loopback for notification tests: every request is recorded (path, headers,
// raw body); the answer can be switched to an error, to hanging, or the port closed ("down") and
// reopened on the same port.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export type Answer = { status: number; body?: string } | 'hang';

export class Receiver {
  readonly received: Received[] = [];
  answer: Answer = { status: 200, body: '{"ok":true}' };
  private server: Server | null = null;
  private held: ServerResponse[] = [];
  port = 0;

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    await receiver.up();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after `down`). */
  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const answer = this.answer;
        if (answer === 'hang') {
          this.held.push(res);
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '');
      });
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: connections are refused until `up`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const res of this.held.splice(0)) res.destroy();
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  json<T = Record<string, unknown>>(r: Received): T {
    return JSON.parse(r.body) as T;
  }
}
