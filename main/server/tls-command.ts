// `fleetdeck tls rotate|status|retire`: the running master does the work (it must announce the next
// certificate to the agents connected to it), so these call its admin API with the admin token.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { FleetError } from '../contract/errors.js';
import type { TlsStatus } from '../contract/tls-schemas.js';
import { defaultDataDir } from '../core/paths.js';

interface AdminFlags {
  adminUrl: string;
  dataDir: string;
}

function adminToken(dataDir: string): string {
  const fromEnv = process.env.FLEETDECK_ADMIN_TOKEN;
  if (fromEnv) return fromEnv;
  try {
    return readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  } catch {
    throw new FleetError(
      'bad_request',
      `no admin token: set FLEETDECK_ADMIN_TOKEN or point --data-dir at the master's data directory (${dataDir} has no admin-token)`,
    );
  }
}

async function call(flags: AdminFlags, method: 'GET' | 'POST', path: string, body?: unknown): Promise<TlsStatus> {
  const url = new URL(path, flags.adminUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${adminToken(flags.dataDir)}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new FleetError(
      'unavailable',
      `cannot reach the master at ${flags.adminUrl} (${(error as Error).message}); is it running? (--admin-url)`,
    );
  }
  const json = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok)
    throw new FleetError('bad_request', json?.error?.message ?? `the master answered ${response.status}`);
  return json as unknown as TlsStatus;
}

function print(status: TlsStatus): void {
  const lines = [
    `served:      ${status.served}`,
    `agents pin:  ${status.pins.join(', ')}`,
    ...status.certificates.map(
      (c) =>
        `  ${c.state.padEnd(8)} ${c.fingerprint}${c.retireAt && c.state === 'previous' ? `  (retired by ${new Date(c.retireAt).toISOString()} at the latest)` : ''}`,
    ),
    `confirmed:   ${status.confirmed} agent(s)`,
    ...(status.unconfirmed.length
      ? [`not yet:     ${status.unconfirmed.slice(0, 20).join(', ')}${status.unconfirmed.length > 20 ? ', …' : ''}`]
      : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const adminOptions = (command: Command) =>
  command
    .option('--admin-url <url>', "the master's admin API", 'http://127.0.0.1:7080')
    .option('--data-dir <path>', 'where the admin token is (or FLEETDECK_ADMIN_TOKEN)', defaultDataDir());

export function addTlsCommands(program: Command): void {
  const tls = program.command('tls').description("the agent gateway's certificate, which agents pin");
  adminOptions(
    tls.command('status').description('the served certificate, a rotation in progress, agents that confirmed'),
  ).action(async (flags: AdminFlags) => print(await call(flags, 'GET', '/api/tls')));
  adminOptions(
    tls
      .command('rotate')
      .description(
        'new key and certificate: announce its pin to connected agents, switch every instance to it, retire the old one once all agents confirmed or after the grace',
      )
      .option('--grace-sec <n>', 'longest the previous key is kept after the switch', String(7 * 86_400))
      .option('--announce-timeout-sec <n>', 'longest to wait for connected agents before switching', '30'),
  ).action(async (flags: AdminFlags & { graceSec: string; announceTimeoutSec: string }) => {
    const graceSec = Number(flags.graceSec);
    const announceTimeoutSec = Number(flags.announceTimeoutSec);
    if (!Number.isInteger(graceSec) || !Number.isInteger(announceTimeoutSec)) {
      throw new FleetError('bad_request', '--grace-sec and --announce-timeout-sec take whole numbers of seconds');
    }
    print(await call(flags, 'POST', '/api/tls/rotate', { graceSec, announceTimeoutSec }));
  });
  adminOptions(tls.command('retire').description('retire the previous certificate now (its key is deleted)')).action(
    async (flags: AdminFlags) => print(await call(flags, 'POST', '/api/tls/retire', {})),
  );
}
