// `fleetdeck user add|list|passwd|disable|enable`: accounts from the shell, against the master's
// database (the master may be running). The password comes from --password-file, else standard input
// when it is not a terminal (one line), else a prompt that does not echo.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { FleetError } from '../contract/errors.js';
import { silentLogger } from '../core/log.js';
import { Accounts } from '../core/people/accounts.js';
import type { Store } from '../core/store/store.js';

interface PasswordFlags {
  passwordFile?: string;
}

const say = (text: string) => process.stdout.write(`${text}\n`);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A line typed at the terminal, not echoed. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) write.call(rl, question);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

export async function passwordFrom(flags: PasswordFlags): Promise<string> {
  if (flags.passwordFile) {
    try {
      return readFileSync(flags.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new FleetError(
        'bad_request',
        `--password-file: cannot read ${flags.passwordFile}: ${(error as Error).message}`,
      );
    }
  }
  if (!process.stdin.isTTY) return (await readStdin()).split(/\r?\n/)[0] ?? '';
  const first = await prompt('Password: ');
  const again = await prompt('Again: ');
  if (first !== again) throw new FleetError('bad_request', 'The two passwords differ.');
  return first;
}

type WithAccounts = <F>(flags: F, run: (accounts: Accounts) => Promise<void>) => Promise<void>;

/** Opens the store from the command's flags, runs, closes. */
export function withAccounts(open: (flags: unknown) => Promise<Store>): WithAccounts {
  return async (flags, run) => {
    const store = await open(flags);
    try {
      await run(
        new Accounts({
          db: store.db,
          dialect: store.dialect,
          log: silentLogger,
          totpBox: () => null,
          oidcBox: () => null,
        }),
      );
    } finally {
      await store.close();
    }
  };
}

async function userByName(accounts: Accounts, name: string) {
  const user = await accounts.users.byName(name);
  if (!user) throw new FleetError('not_found', `No account named ${name} (fleetdeck user list shows them).`);
  return user;
}

export function addUserCommands(
  program: Command,
  storeOptions: (command: Command) => Command,
  open: (flags: unknown) => Promise<Store>,
): void {
  const run = withAccounts(open);
  const user = program.command('user').description('accounts that sign in to the web UI');
  storeOptions(
    user
      .command('add <name>')
      .description('create an account (--admin: an administrator of every node; else no role until one is given)')
      .option('--admin', 'make it an administrator of every node')
      .option('--password-file <path>', 'read the password from this file (else standard input, else a prompt)'),
  ).action(async (name: string, flags: PasswordFlags & { admin?: boolean }) => {
    await run(flags, async (accounts) => {
      const password = await passwordFrom(flags);
      await accounts.users.create({
        name,
        password,
        grants: flags.admin ? [{ role: 'administrator', selector: null }] : [],
      });
      say(`Created the account ${name}${flags.admin ? ' (administrator)' : ''}. Sign in at the web UI.`);
    });
  });
  storeOptions(user.command('list').description('every account, its roles and state')).action(async (flags) => {
    await run(flags, async (accounts) => {
      const users = await accounts.users.list();
      if (users.length === 0) say('No accounts yet: fleetdeck user add --admin NAME, or the first-run link.');
      for (const u of users) {
        const roles = u.grants
          .map((g) => (g.selector ? `${g.role}(${g.selector.map(([k, v]) => `${k}=${v}`).join(',')})` : g.role))
          .join(' ');
        const flagsText = [u.disabled ? 'disabled' : '', u.totpEnabled ? '2fa' : '', u.oidc ? 'sso' : '']
          .filter(Boolean)
          .join(',');
        say(`${u.name}\t${roles || '(no role)'}${flagsText ? `\t${flagsText}` : ''}`);
      }
    });
  });
  storeOptions(
    user
      .command('passwd <name>')
      .description("set an account's password (its sessions are signed out)")
      .option('--password-file <path>', 'read the password from this file (else standard input, else a prompt)'),
  ).action(async (name: string, flags: PasswordFlags) => {
    await run(flags, async (accounts) => {
      const target = await userByName(accounts, name);
      await accounts.users.setPassword(target.id, await passwordFrom(flags));
      const ended = await accounts.sessions.revokeAll(target.id);
      say(`Set the password of ${name}; ${ended} session(s) signed out.`);
    });
  });
  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    storeOptions(
      user
        .command(`${verb} <name>`)
        .description(disabled ? 'disable an account (signed out everywhere)' : 'enable a disabled account'),
    ).action(async (name: string, flags) => {
      await run(flags, async (accounts) => {
        const target = await userByName(accounts, name);
        await accounts.users.setDisabled(target.id, disabled);
        const ended = disabled ? await accounts.sessions.revokeAll(target.id) : 0;
        say(disabled ? `Disabled ${name}; ${ended} session(s) signed out.` : `Enabled ${name}.`);
      });
    });
  }
}
