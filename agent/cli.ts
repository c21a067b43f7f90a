// `fleetdeck-agent`: parses flags, merges them with the config file and environment, runs the agent.
import { Command, Option } from 'commander';
import { Agent } from './agent.js';
import {
  ConfigError,
  fromEnv,
  fromFile,
  type PartialConfig,
  redactedConfig,
  resolveConfig,
  splitList,
  tokenFromFile,
} from './config.js';
import { enrollMain } from './enroll.js';
import { createAgentLogger } from './log.js';
import { DEFAULT_NET_EXCLUDE } from './metrics/interface-filter.js';
import { VERSION } from './version.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function program(): Command {
  return new Command('fleetdeck-agent')
    .description(
      'FleetDeck agent: dials out to a FleetDeck master over WebSocket (TLS), reports this host and runs its work.\n' +
        'Settings come from, highest first: these flags, the --config file, FLEETDECK_* environment variables, defaults.',
    )
    .version(VERSION)
    .option('--master <urls>', 'master gateway URL(s), comma-separated, tried in turn (env FLEETDECK_MASTER)')
    .option(
      '--token <token>',
      'node token shown by the master (env FLEETDECK_TOKEN); visible in ps, prefer --token-file',
    )
    .option('--token-file <path>', 'read the token from this file (env FLEETDECK_TOKEN_FILE)')
    .option(
      '--ca-fingerprint <sha256>',
      "pin the master's certificate: sha256:<64 hex>; repeat or comma-separate to accept any of several (env FLEETDECK_CA_FINGERPRINT)",
      collect,
    )
    .option('--config <path>', 'YAML or JSON config file with the same settings in camelCase')
    .option('--state-dir <path>', 'where the agent keeps its state (env FLEETDECK_STATE_DIR)')
    .option('--exec', 'allow running commands (capability exec; the default)')
    .option('--no-exec', 'refuse to run commands')
    .option('--files', 'allow file access (capability files; the default)')
    .option('--no-files', 'refuse file access')
    .option('--files-write', 'allow file changes (capability files:write; the default)')
    .option('--no-files-write', 'allow file reads only')
    .option('--processes', 'list top processes on request (capability processes; the default, Linux only)')
    .option('--no-processes', 'refuse to list processes')
    .option('--probes', 'run the probes the master assigns (capability probes; the default)')
    .option('--no-probes', 'refuse probes: the master assigns this node none')
    .option(
      '--terminal',
      'allow interactive terminals (capability terminal; off by default, and the master cannot turn it on)',
    )
    .option('--no-terminal', 'refuse terminals (the default)')
    .addOption(
      new Option('--terminal-max-sessions <n>', 'terminals open at once, 1 to 64 (default 4)').argParser(Number),
    )
    .addOption(
      new Option(
        '--terminal-idle-min <n>',
        'close a terminal after this many minutes without input (default 30)',
      ).argParser(Number),
    )
    .addOption(
      new Option('--terminal-max-kib-per-sec <n>', 'output KiB per second per terminal (default 8192)').argParser(
        Number,
      ),
    )
    .option(
      '--root <path>',
      'a directory the file service may access; repeat for several (env FLEETDECK_ROOTS, ":"-separated)',
      collect,
    )
    .option('--insecure-plain-ws', 'allow unencrypted ws:// master URLs')
    .addOption(new Option('--backoff-base-ms <ms>', 'first reconnect delay window').argParser(Number))
    .addOption(new Option('--backoff-max-ms <ms>', 'largest reconnect delay window').argParser(Number))
    .addOption(
      new Option('--max-concurrent-commands <n>', 'commands run at once; more wait in order').argParser(Number),
    )
    .addOption(
      new Option('--metrics-interval-sec <n>', 'seconds between metric samples, 1 to 60 (default 2)').argParser(Number),
    )
    .option(
      '--net-include <names>',
      'count only these network interfaces (comma-separated, * and ? globs); wins over --net-exclude',
    )
    .option(
      '--net-exclude <names>',
      `interfaces that do not count toward traffic (default: ${DEFAULT_NET_EXCLUDE.join(',')})`,
    )
    .addOption(new Option('--log-level <level>', 'log verbosity').choices(['debug', 'info', 'warn', 'error']))
    .option(
      '--print-config',
      'print the effective configuration (token redacted) with where each value came from, and exit',
    );
}

/** Only flags the user actually typed count as CLI values; commander's defaults do not. */
function fromCli(cmd: Command): PartialConfig {
  const opts = cmd.opts();
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  const out: PartialConfig = {};
  if (given('master'))
    out.masters = String(opts.master)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (given('token')) Object.assign(out, { token: String(opts.token), tokenFile: null });
  else if (given('tokenFile')) Object.assign(out, tokenFromFile(String(opts.tokenFile)));
  if (given('caFingerprint')) out.caFingerprint = (opts.caFingerprint as string[]).flatMap(splitList);
  if (given('stateDir')) out.stateDir = String(opts.stateDir);
  if (given('exec')) out.exec = Boolean(opts.exec);
  if (given('files')) out.files = Boolean(opts.files);
  if (given('filesWrite')) out.filesWrite = Boolean(opts.filesWrite);
  if (given('processes')) out.processes = Boolean(opts.processes);
  if (given('probes')) out.probes = Boolean(opts.probes);
  if (given('terminal')) out.terminal = Boolean(opts.terminal);
  if (given('terminalMaxSessions')) out.terminalMaxSessions = opts.terminalMaxSessions as number;
  if (given('terminalIdleMin')) out.terminalIdleMin = opts.terminalIdleMin as number;
  if (given('terminalMaxKibPerSec')) out.terminalMaxKibPerSec = opts.terminalMaxKibPerSec as number;
  if (given('root')) out.roots = opts.root as string[];
  if (given('insecurePlainWs')) out.insecurePlainWs = true;
  if (given('backoffBaseMs')) out.backoffBaseMs = opts.backoffBaseMs as number;
  if (given('backoffMaxMs')) out.backoffMaxMs = opts.backoffMaxMs as number;
  if (given('maxConcurrentCommands')) out.maxConcurrentCommands = opts.maxConcurrentCommands as number;
  if (given('metricsIntervalSec')) out.metricsIntervalSec = opts.metricsIntervalSec as number;
  if (given('netInclude')) out.netInclude = splitList(String(opts.netInclude));
  if (given('netExclude')) out.netExclude = splitList(String(opts.netExclude));
  if (given('logLevel')) out.logLevel = opts.logLevel as PartialConfig['logLevel'];
  return out;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // `fleetdeck-agent enroll …`: one step of a one-line install (agent/enroll.ts), then exit.
  if (argv[0] === 'enroll') return enrollMain(argv.slice(1));
  const cmd = program();
  cmd.parse(argv, { from: 'user' });
  let resolved: ReturnType<typeof resolveConfig>;
  try {
    const configPath = cmd.opts().config as string | undefined;
    resolved = resolveConfig({
      cli: fromCli(cmd),
      file: configPath ? fromFile(configPath) : {},
      env: fromEnv(env),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`fleetdeck-agent: ${error.message}\nRun fleetdeck-agent --help for every setting.\n`);
    return 2;
  }
  if (cmd.opts().printConfig) {
    process.stdout.write(`${JSON.stringify(redactedConfig(resolved), null, 2)}\n`);
    return 0;
  }
  const log = createAgentLogger(resolved.config.logLevel);
  const agent = new Agent(resolved.config, log);
  log.info('starting', { version: VERSION, masters: resolved.config.masters.join(',') });
  agent.start();
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info('stopping', { signal });
      void agent.stop().then(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`fleetdeck-agent: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
