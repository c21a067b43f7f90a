// `fleetdeck master`: the headless master. Same core as the desktop app; serves the UI and the
// REST API over HTTP to a browser.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { VERSION } from '../../agent/version.js';
import { FleetError } from '../contract/errors.js';
import { verifyChain } from '../core/audit/verify.js';
import { createLogger } from '../core/log.js';
import { Master } from '../core/master.js';
import { checkTimeZone, DAY_MS, HOUR_MS } from '../core/metrics/calendar.js';
import { defaultDataDir, parseHostPort } from '../core/paths.js';
import { rotateClusterKey } from '../core/secrets/rotation.js';
import { openStore } from '../core/store/store.js';
import { AdminServer } from './http.js';
import { StatusServer } from './status-routes.js';
import { addStoreCommands } from './store-commands.js';
import { addTlsCommands } from './tls-command.js';
import { addUserCommands } from './user-commands.js';

function rendererDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../renderer'), join(here, '../../out/renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

/** Where a command finds the database and the cluster key (`master` and `cluster-key rotate`). */
interface StoreFlags {
  dataDir: string;
  db?: string;
  dbPasswordFile?: string;
  clusterKeyFile?: string;
}

interface MasterFlags extends StoreFlags {
  agentListen: string;
  adminListen: string;
  agentTls: boolean;
  agentUrl?: string;
  heartbeatSec?: string;
  restartGraceSec?: string;
  commandRetentionDays?: string;
  metricsFlushSec: string;
  billingDay: string;
  billingTz: string;
  minuteRetentionHours: string;
  hourRetentionDays: string;
  dayRetentionDays: string;
  role: string;
  publicUrl?: string;
  notifyRetryBaseMs: string;
  notifyRetryMaxMs: string;
  terminalGraceSec: string;
  terminalRecordingMaxMb: string;
  terminalRetentionDays: string;
  statusListen?: string;
  statusRefreshSec: string;
  auditRetentionDays: string;
  sessionIdleMin: string;
  sessionMaxHours: string;
  logLevel?: string;
}

/** A whole number flag within bounds, or a clear error naming the flag. */
function intFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FleetError('bad_request', `${flag} must be a whole number from ${min} to ${max} (got "${value}").`);
  }
  return n;
}

function roleFlag(value: string): 'full' | 'console' {
  if (value === 'full' || value === 'console') return value;
  throw new FleetError('bad_request', `--role must be full or console (got "${value}").`);
}

function metricsSettings(flags: MasterFlags) {
  try {
    checkTimeZone(flags.billingTz);
  } catch (error) {
    throw new FleetError('bad_request', `--billing-tz: ${(error as Error).message}`);
  }
  return {
    metrics: {
      flushIntervalMs: intFlag('--metrics-flush-sec', flags.metricsFlushSec, 1, 300) * 1000,
      billingDay: intFlag('--billing-day', flags.billingDay, 1, 31),
      billingTimeZone: flags.billingTz,
    },
    metricsRetention: {
      minutesMs: intFlag('--minute-retention-hours', flags.minuteRetentionHours, 1, 24 * 90) * HOUR_MS,
      hoursMs: intFlag('--hour-retention-days', flags.hourRetentionDays, 1, 3650) * DAY_MS,
      daysMs: intFlag('--day-retention-days', flags.dayRetentionDays, 1, 36_500) * DAY_MS,
    },
  };
}

/** An optional whole-number flag (commander gives these defaults, so only an empty value is unset). */
function optionalIntFlag(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  return value ? intFlag(flag, value, min, max) : undefined;
}

function timingSettings(flags: MasterFlags) {
  const heartbeatSec = optionalIntFlag('--heartbeat-sec', flags.heartbeatSec, 1, 300);
  const restartGraceSec = optionalIntFlag('--restart-grace-sec', flags.restartGraceSec, 0, 86_400);
  return {
    timings: heartbeatSec ? { heartbeatMs: heartbeatSec * 1000, deadlineMs: heartbeatSec * 3000 } : undefined,
    restartGraceMs: restartGraceSec === undefined ? undefined : restartGraceSec * 1000,
    commandRetentionDays: optionalIntFlag('--command-retention-days', flags.commandRetentionDays, 1, 36_500),
  };
}

/**
 * The MariaDB password: `--db-password-file` (one trailing newline dropped), else
 * FLEETDECK_DB_PASSWORD; either wins over a password in the URL, which `ps` and unit files show.
 */
function databasePassword(flags: StoreFlags): string | undefined {
  if (flags.dbPasswordFile) {
    let text: string;
    try {
      text = readFileSync(flags.dbPasswordFile, 'utf8');
    } catch (error) {
      throw new FleetError(
        'bad_request',
        `--db-password-file: cannot read ${flags.dbPasswordFile}: ${(error as Error).message}`,
      );
    }
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new FleetError('bad_request', `--db-password-file: ${flags.dbPasswordFile} is empty.`);
    return password;
  }
  return process.env.FLEETDECK_DB_PASSWORD || undefined;
}

function urlHasPassword(url: string | undefined): boolean {
  if (!url || !/^(mysql|mariadb):\/\//.test(url)) return false;
  try {
    return new URL(url.replace(/^mariadb:/, 'mysql:')).password !== '';
  } catch {
    return false;
  }
}

function clusterKeyFile(flags: StoreFlags): string {
  return flags.clusterKeyFile || process.env.FLEETDECK_CLUSTER_KEY_FILE || join(flags.dataDir, 'cluster.key');
}

function notifySettings(flags: MasterFlags) {
  const retryBaseMs = intFlag('--notify-retry-base-ms', flags.notifyRetryBaseMs, 100, 3_600_000);
  const retryMaxMs = intFlag('--notify-retry-max-ms', flags.notifyRetryMaxMs, 100, 86_400_000);
  if (retryMaxMs < retryBaseMs) {
    throw new FleetError('bad_request', '--notify-retry-max-ms must be at least --notify-retry-base-ms.');
  }
  if (flags.publicUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(flags.publicUrl)) {
    throw new FleetError('bad_request', `--public-url must be an http:// or https:// URL (got "${flags.publicUrl}").`);
  }
  return { notify: { retryBaseMs, retryMaxMs }, publicUiUrl: flags.publicUrl };
}

function terminalSettings(flags: MasterFlags) {
  return {
    terminal: {
      graceMs: intFlag('--terminal-grace-sec', flags.terminalGraceSec, 0, 86_400) * 1000,
      recordingMaxBytes: intFlag('--terminal-recording-max-mb', flags.terminalRecordingMaxMb, 1, 1024) * 1024 * 1024,
      retentionDays: intFlag('--terminal-retention-days', flags.terminalRetentionDays, 1, 36_500),
    },
    auditRetentionDays: intFlag('--audit-retention-days', flags.auditRetentionDays, 1, 36_500),
  };
}

async function runMaster(flags: MasterFlags): Promise<void> {
  const log = createLogger(flags.logLevel);
  const metricSettings = metricsSettings(flags);
  const timing = timingSettings(flags);
  const dbPassword = databasePassword(flags);
  if (urlHasPassword(flags.db)) {
    log.warn(
      dbPassword === undefined
        ? 'the database password is in the --db URL, where ps and unit files show it: use FLEETDECK_DB_PASSWORD or --db-password-file'
        : 'the --db URL carries a password, which ps and unit files show; the one from FLEETDECK_DB_PASSWORD or --db-password-file is used',
    );
  }
  const master = await Master.start({
    dataDir: flags.dataDir,
    agentListen: parseHostPort(flags.agentListen, '0.0.0.0'),
    dbUrl: flags.db,
    dbPassword,
    clusterKeyFile: clusterKeyFile(flags),
    agentTls: flags.agentTls,
    publicAgentUrl: flags.agentUrl,
    adminToken: process.env.FLEETDECK_ADMIN_TOKEN,
    ...timing,
    ...metricSettings,
    ...notifySettings(flags),
    ...terminalSettings(flags),
    statusPage: {
      refreshMs: intFlag('--status-refresh-sec', flags.statusRefreshSec, 5, 3600) * 1000,
      listen: flags.statusListen ?? null,
    },
    accounts: {
      sessions: {
        idleMs: intFlag('--session-idle-min', flags.sessionIdleMin, 1, 7 * 24 * 60) * 60_000,
        absoluteMs: intFlag('--session-max-hours', flags.sessionMaxHours, 1, 24 * 90) * 3_600_000,
      },
    },
    role: roleFlag(flags.role),
    log,
  });
  const admin = new AdminServer({
    ...parseHostPort(flags.adminListen, '127.0.0.1'),
    master,
    log,
    staticDir: rendererDir(),
    secureCookies: flags.publicUrl?.startsWith('https://') ?? false,
  });
  const adminAddress = await admin.start().catch(async (error) => {
    await master.stop();
    throw error;
  });
  const host = adminAddress.host.includes(':') ? `[${adminAddress.host}]` : adminAddress.host;
  const adminUrl = `http://${host}:${adminAddress.port}/`;
  // The public status page on a listener of its own (it also stays at its path on the admin address).
  const statusServer = flags.statusListen
    ? new StatusServer({ ...parseHostPort(flags.statusListen, '0.0.0.0'), service: master.statusPage, log })
    : null;
  const statusAddress = await statusServer?.start().catch(async (error) => {
    await admin.stop();
    await master.stop();
    throw error;
  });
  master.cluster.instances.setAdminUrl(adminUrl);
  const setupToken = await master.accounts.issueSetupToken();
  const publicUi = (flags.publicUrl ?? adminUrl).replace(/\/?$/, '/');
  const login = setupToken
    ? `no account yet: open ${publicUi}?setup=${setupToken} (one use, 24 h) to create the first administrator`
    : 'with your account (or the admin token, for scripts and the upgrade)';
  const token = master.admin.file
    ? `in ${master.admin.file} (Authorization: Bearer …)`
    : 'FLEETDECK_ADMIN_TOKEN (Authorization: Bearer …)';
  process.stderr.write(
    `\nFleetDeck master ${VERSION} is running.\n` +
      `  Admin UI and API: ${adminUrl}\n` +
      `  Sign in:          ${login}\n` +
      `  Admin token:      ${token}\n` +
      `  Agent gateway:    ${master.agentUrl}${master.tls ? `  (pin ${master.pins.join(', ')})` : '  (plain ws://, unencrypted)'}\n` +
      (statusAddress
        ? `  Status page:      http://${statusAddress.host}:${statusAddress.port}/ (when enabled)\n`
        : '') +
      `  Data:             ${flags.dataDir}\n\n`,
  );
  if (setupToken)
    log.info({ setupUrl: `${publicUi}?setup=<printed on stderr>` }, 'no account yet: first-run setup link printed');
  log.info(
    {
      adminUrl,
      agentUrl: master.agentUrl,
      agentPort: master.agentPort,
      fingerprint: master.fingerprint,
      ...(statusAddress ? { statusUrl: `http://${statusAddress.host}:${statusAddress.port}/` } : {}),
    },
    'master ready',
  );
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection (a bug: please report it)'));
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    await statusServer?.stop();
    await admin.stop();
    await master.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** `fleetdeck cluster-key rotate`: a new key, every secret re-sealed in one transaction. */
async function rotateKey(flags: StoreFlags): Promise<void> {
  const file = clusterKeyFile(flags);
  const store = await openStore(flags.db ?? join(flags.dataDir, 'fleetdeck.db'), { password: databasePassword(flags) });
  try {
    const result = await rotateClusterKey(store.db, store.dialect, file);
    process.stdout.write(
      `Rotated the cluster key: ${result.previousKeyId} → ${result.keyId}; ${result.resealed} sealed secret(s) re-sealed in one transaction.\n` +
        `${file} now holds the new key and the previous one (still accepted for opening).\n` +
        (store.dialect === 'mariadb'
          ? "Copy it to every other instance's --cluster-key-file; each reads it again within 5 s, no restart needed.\n"
          : ''),
    );
  } finally {
    await store.close();
  }
}

/** `fleetdeck audit verify`: exit 0 when the chain verifies, 1 naming the first entry that does not. */
async function verifyAudit(flags: StoreFlags): Promise<void> {
  const store = await openStore(flags.db ?? join(flags.dataDir, 'fleetdeck.db'), { password: databasePassword(flags) });
  try {
    const result = await verifyChain(store.db);
    if (result.ok) {
      process.stdout.write(
        `The audit log verifies: ${result.entries} entries after the anchor ${result.anchorSeq}, head ${result.headSeq} ${result.headHash}.\n`,
      );
      return;
    }
    process.stdout.write(`The audit log does not verify at entry ${result.seq}: ${result.problem}.\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

/** The options every command that opens the store takes. */
function storeOptions(command: Command): Command {
  return command
    .option(
      '--data-dir <path>',
      'where the database, TLS identity, admin token and cluster key live (env FLEETDECK_DATA_DIR)',
      defaultDataDir(),
    )
    .option(
      '--db <url>',
      'database: a SQLite file path or sqlite:/path (default: fleetdeck.db in the data dir), or mysql://user@host:3306/db',
    )
    .option('--db-password-file <path>', 'read the MariaDB password from this file (else env FLEETDECK_DB_PASSWORD)')
    .option(
      '--cluster-key-file <path>',
      'the cluster key that seals saved SSH secrets; the same file on every instance (env FLEETDECK_CLUSTER_KEY_FILE; default cluster.key in the data dir)',
    );
}

export function buildCli(): Command {
  const program = new Command('fleetdeck')
    .description('FleetDeck: command center for a fleet of servers')
    .version(VERSION);
  storeOptions(
    program.command('master').description('run the master headless: agent gateway plus the admin UI/API for a browser'),
  )
    .option('--agent-listen <host:port>', 'agent gateway address', '0.0.0.0:7443')
    .option(
      '--admin-listen <host:port>',
      'admin UI/API address (keep it on loopback unless fronted by TLS)',
      '127.0.0.1:7080',
    )
    .option('--no-agent-tls', 'serve agents over plain ws:// (unencrypted; only on trusted networks)')
    .option('--agent-url <url>', 'the gateway URL agents should dial, when it differs from this host (proxy, NAT)')
    .option('--heartbeat-sec <n>', 'seconds between pings to each agent; silent for 3× this = offline', '3')
    .option(
      '--restart-grace-sec <n>',
      'after a restart, seconds agents get to reconnect before they count as offline',
      '45',
    )
    .option('--command-retention-days <n>', 'finished commands and task runs are deleted after this many days', '30')
    .option(
      '--metrics-flush-sec <n>',
      'seconds between rollup writes (a crash loses at most this much rollup time)',
      '10',
    )
    .option(
      '--billing-day <n>',
      'day of the month a transfer billing cycle starts (1-31; short months use their last day)',
      '1',
    )
    .option('--billing-tz <zone>', 'IANA time zone of daily traffic totals and billing cycles', 'UTC')
    .option('--minute-retention-hours <n>', 'keep 1-minute rollups this many hours', '48')
    .option('--hour-retention-days <n>', 'keep 1-hour rollups this many days', '90')
    .option('--day-retention-days <n>', 'keep daily traffic totals this many days', '730')
    .option('--role <role>', 'full, or console: a read-only viewer of a shared database that refuses changes', 'full')
    .option(
      '--public-url <url>',
      'the admin UI URL people open (behind a proxy, say), for links in notifications (default: the admin address)',
    )
    .option(
      '--notify-retry-base-ms <n>',
      'first retry delay of an undelivered notification (doubles, with jitter)',
      '10000',
    )
    .option('--notify-retry-max-ms <n>', 'longest delay between notification retries', '300000')
    .option('--terminal-grace-sec <n>', 'keep a terminal session this long after its browser dropped', '60')
    .option('--terminal-recording-max-mb <n>', 'a terminal recording stops at this size (MiB)', '16')
    .option('--terminal-retention-days <n>', 'keep terminal sessions and their recordings this many days', '90')
    .option(
      '--status-listen <host:port>',
      'also serve the public status page (when enabled in Settings) on this address, alone (no admin API there)',
    )
    .option('--status-refresh-sec <n>', 'rebuild the public status page from the database this often (5-3600)', '30')
    .option('--audit-retention-days <n>', 'keep audit log entries this many days (the chain stays verifiable)', '400')
    .option('--session-idle-min <n>', 'a browser session ends after this many minutes without a request', '60')
    .option('--session-max-hours <n>', 'a browser session ends this many hours after signing in, active or not', '12')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (env FLEETDECK_LOG_LEVEL)')
    .action(async (flags: MasterFlags) => {
      await runMaster(flags);
    });
  const clusterKey = program.command('cluster-key').description('the key that seals saved SSH secrets in the database');
  storeOptions(
    clusterKey
      .command('rotate')
      .description('create a new cluster key and re-seal every saved secret with it, in one transaction'),
  ).action(async (flags: StoreFlags) => {
    await rotateKey(flags);
  });
  const audit = program.command('audit').description('the audit log of who did what');
  storeOptions(
    audit
      .command('verify')
      .description("walk the audit log's hash chain; name the first entry that was edited, deleted or reordered"),
  ).action(async (flags: StoreFlags) => {
    await verifyAudit(flags);
  });
  addStoreCommands(program);
  addTlsCommands(program);
  addUserCommands(program, storeOptions, (flags) => {
    const f = flags as StoreFlags;
    return openStore(f.db ?? join(f.dataDir, 'fleetdeck.db'), { password: databasePassword(f) });
  });
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
  } catch (error) {
    const message = error instanceof FleetError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`fleetdeck: ${message}\n`);
    process.exit(error instanceof FleetError ? 2 : 1);
  }
}
