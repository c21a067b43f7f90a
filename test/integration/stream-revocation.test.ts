// Long-lived connections end with their credential, against a real master process over HTTP: an
// open `/api/events` stream of a browser session ends within seconds when the session is revoked
// (by an administrator from another session, by "sign out everywhere"), when the account is
// disabled (also from the `fleetdeck user` CLI, another process: found by the periodic check), or
// when its roles change (then the reconnect gets the new scope); an API token's stream ends when
// the token is revoked; and a terminal socket opened from a session closes when it is revoked.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPtyTools } from '../../agent/terminal/pty.js';
import {
  createNode,
  MASTER_ENTRY,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  waitForStatus,
} from '../helpers/processes.js';
import { TerminalClient } from '../helpers/terminal-client.js';

const PASSWORD = 'correct horse battery';
/** The stream ends within this long of a change (the periodic check runs every 3 s). */
const ENDS_WITHIN_MS = 8_000;

let master: MasterHandle;
const procs: Proc[] = [];

beforeAll(async () => {
  master = await startMaster();
}, 60_000);
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await master?.proc.stop();
});

/** One browser: its cookie jar, and requests as the renderer sends them (CSRF echoed on changes). */
class Browser {
  readonly cookies = new Map<string, string>();

  get jar(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async call(method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { cookie: this.jar };
    if (method !== 'GET') headers['x-fleetdeck-csrf'] = this.cookies.get('fleetdeck_csrf') ?? '';
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(path, master.adminUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  }

  static async signIn(name: string): Promise<Browser> {
    const browser = new Browser();
    const signedIn = await browser.call('POST', '/api/auth/sign-in', { name, password: PASSWORD });
    expect(signedIn.status).toBe(200);
    return browser;
  }

  async sessionId(): Promise<string> {
    const sessions = (await this.call('GET', '/api/account/sessions')).body as unknown as Array<{
      id: string;
      current: boolean;
    }>;
    return (sessions.find((s) => s.current) as { id: string }).id;
  }
}

/** An open `/api/events` stream: the event names read so far, and when it ended. */
class Stream {
  names: string[] = [];
  ended: Promise<number>;
  private readonly controller = new AbortController();

  private constructor(response: Response) {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    this.ended = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return Date.now();
          const text = decoder.decode(value, { stream: true });
          for (const match of text.matchAll(/^event: (\S+)$/gm)) this.names.push(match[1] as string);
        }
      } catch {
        return Date.now();
      }
    })();
  }

  static async open(headers: Record<string, string>): Promise<Stream> {
    const stream = await Stream.connect(headers);
    if (!(stream instanceof Stream)) throw new Error(`the event stream was refused: HTTP ${stream}`);
    return stream;
  }

  /** The stream, or the status it was refused with. */
  static async connect(headers: Record<string, string>): Promise<Stream | number> {
    const controller = new AbortController();
    const response = await fetch(new URL('/api/events', master.adminUrl), { headers, signal: controller.signal });
    if (response.status !== 200) return response.status;
    const stream = new Stream(response);
    stream.controller.signal.addEventListener('abort', () => controller.abort());
    return stream;
  }

  close(): void {
    this.controller.abort();
  }

  /** Resolves when the stream ends; fails the test if it is still open after ENDS_WITHIN_MS. */
  async endsSoon(): Promise<void> {
    const timeout = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), ENDS_WITHIN_MS).unref());
    expect(await Promise.race([this.ended, timeout])).not.toBe('open');
  }

  /** Still open after `ms` (nothing ended it). */
  async staysOpen(ms: number): Promise<void> {
    const timeout = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), ms).unref());
    expect(await Promise.race([this.ended, timeout])).toBe('open');
  }
}

async function createUser(name: string, grants: unknown[]): Promise<string> {
  const created = await master.api<{ id: string }>('POST', '/api/users', { name, password: PASSWORD, grants });
  expect(created.status).toBe(201);
  return created.body.id;
}

const everyNode = (role: string) => [{ role, selector: null }];

describe('long-lived connections end with their credential', () => {
  let adminBrowser: Browser;

  beforeAll(async () => {
    await createUser('root', everyNode('administrator'));
    adminBrowser = await Browser.signIn('root');
  });

  it('ends a session stream revoked by an administrator from another session; reconnecting gets 401', async () => {
    await createUser('ann', everyNode('viewer'));
    const ann = await Browser.signIn('ann');
    const stream = await Stream.open({ cookie: ann.jar });
    await stream.staysOpen(500);
    const revoked = await adminBrowser.call('DELETE', `/api/sessions/${await ann.sessionId()}`);
    expect(revoked.status).toBe(200);
    await stream.endsSoon();
    // The last event says the stream was cut; its id resumes nothing.
    expect(stream.names.at(-1)).toBe('streamClosed');
    expect(await Stream.connect({ cookie: ann.jar })).toBe(401);
  });

  it('ends every stream of the account on "sign out everywhere", and no other account\'s', async () => {
    await createUser('bea', everyNode('viewer'));
    const [laptop, phone] = [await Browser.signIn('bea'), await Browser.signIn('bea')];
    const streams = [await Stream.open({ cookie: laptop.jar }), await Stream.open({ cookie: phone.jar })];
    const bystander = await Stream.open({ cookie: adminBrowser.jar });
    expect((await phone.call('POST', '/api/account/sign-out-everywhere')).body).toEqual({ revoked: 2 });
    await Promise.all(streams.map((s) => s.endsSoon()));
    expect(await Stream.connect({ cookie: laptop.jar })).toBe(401);
    await bystander.staysOpen(1_000);
    bystander.close();
  });

  it('ends the stream of a disabled account, also when the CLI in another process disables it', async () => {
    const cid = await createUser('cid', everyNode('viewer'));
    const first = await Browser.signIn('cid');
    const stream = await Stream.open({ cookie: first.jar });
    expect((await adminBrowser.call('PATCH', `/api/users/${cid}`, { disabled: true })).status).toBe(200);
    await stream.endsSoon();
    expect(await Stream.connect({ cookie: first.jar })).toBe(401);

    // From the shell: nothing in the master hears of it, the periodic check finds it in the store.
    expect((await adminBrowser.call('PATCH', `/api/users/${cid}`, { disabled: false })).status).toBe(200);
    const second = await Browser.signIn('cid');
    const again = await Stream.open({ cookie: second.jar });
    const cli = spawnSync(process.execPath, [MASTER_ENTRY, 'user', 'disable', 'cid', '--data-dir', master.dataDir], {
      encoding: 'utf8',
    });
    expect(cli.stdout).toContain('Disabled cid; 1 session(s) signed out.');
    await again.endsSoon();
    expect(await Stream.connect({ cookie: second.jar })).toBe(401);
  });

  it('ends the stream when the roles change; the reconnect is served with the new scope', async () => {
    const dee = await createUser('dee', everyNode('viewer'));
    const browser = await Browser.signIn('dee');
    const stream = await Stream.open({ cookie: browser.jar });
    // Saving the same roles again changes nothing.
    expect((await adminBrowser.call('PATCH', `/api/users/${dee}`, { grants: everyNode('viewer') })).status).toBe(200);
    await stream.staysOpen(4_000);
    const scoped = [{ role: 'viewer', selector: [['env', 'prod']] }];
    expect((await adminBrowser.call('PATCH', `/api/users/${dee}`, { grants: scoped })).status).toBe(200);
    await stream.endsSoon();
    const reconnected = await Stream.open({ cookie: browser.jar });
    expect((await browser.call('GET', '/api/me')).body).toMatchObject({ grants: scoped });
    await reconnected.staysOpen(500);
    reconnected.close();
  });

  it("ends an API token's stream when the token is revoked", async () => {
    const created = await adminBrowser.call('POST', '/api/api-tokens', {
      name: 'stream-reader',
      role: 'viewer',
      selector: null,
      expiresInDays: 1,
    });
    expect(created.status).toBe(201);
    const { token, view } = created.body as { token: string; view: { id: string } };
    const stream = await Stream.open({ authorization: `Bearer ${token}` });
    expect((await adminBrowser.call('POST', `/api/api-tokens/${view.id}/revoke`)).status).toBe(200);
    await stream.endsSoon();
    expect(await Stream.connect({ authorization: `Bearer ${token}` })).toBe(401);
  });

  const hasPty = process.platform === 'linux' && 'script' in findPtyTools();
  it.runIf(hasPty)('closes a terminal socket opened from a revoked session; a new ticket is refused', async () => {
    const { node, token } = await createNode(master, 'revoked-terminal');
    procs.push(startAgent({ master, token, args: ['--terminal'] }));
    await waitForStatus(master, node.id, 'online');
    await createUser('eve', everyNode('operator'));
    const eve = await Browser.signIn('eve');
    const opened = await eve.call('POST', `/api/nodes/${node.id}/terminals`, { cols: 80, rows: 24 });
    expect(opened.status).toBe(201);
    const session = opened.body as unknown as Parameters<typeof TerminalClient.connect>[1];
    const client = await TerminalClient.connect(master, session);
    try {
      client.type('echo "rea""dy-$((40+2))"\r');
      await client.waitFor(/ready-42/, 15_000);
      expect((await adminBrowser.call('DELETE', `/api/sessions/${await eve.sessionId()}`)).status).toBe(200);
      const closed = await Promise.race([
        client.closed,
        new Promise<null>((resolve) => setTimeout(() => resolve(null), ENDS_WITHIN_MS).unref()),
      ]);
      expect(closed).toMatchObject({ code: 4001 });
      const ticket = await eve.call('POST', `/api/terminals/${session.session.id}/ticket`);
      expect(ticket.status).toBe(401);
    } finally {
      client.close();
    }
  });
});
