// `fleetdeck master`: the headless master. Same core as the desktop app; serves the UI and the
// REST API over HTTP to a browser.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { VERSION } from '../../agent/version.js';
import { FleetError } from '../contract/errors.js';
import { createLogger } from '../core/log.js';
import { Master } from '../core/master.js';
import { checkTimeZone, DAY_MS, HOUR_MS } from '../core/metrics/calendar.js';
import { defaultDataDir, parseHostPort } from '../core/paths.js';
import { AdminServer } from './http.js';

function rendererDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../renderer'), join(here, '../../out/renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

interface MasterFlags {
  dataDir: string;
  agentListen: string;
  adminListen: string;
  db?: string;
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

async function runMaster(flags: MasterFlags): Promise<void> {
  const log = createLogger(flags.logLevel);
  const metricSettings = metricsSettings(flags);
  const timing = timingSettings(flags);
  const master = await Master.start({
    dataDir: flags.dataDir,
    agentListen: parseHostPort(flags.agentListen, '0.0.0.0'),
    dbUrl: flags.db,
    agentTls: flags.agentTls,
    publicAgentUrl: flags.agentUrl,
    adminToken: process.env.FLEETDECK_ADMIN_TOKEN,
    ...timing,
    ...metricSettings,
    role: roleFlag(flags.role),
    log,
  });
  const admin = new AdminServer({
    ...parseHostPort(flags.adminListen, '127.0.0.1'),
    master,
    log,
    staticDir: rendererDir(),
  });
  const adminAddress = await admin.start().catch(async (error) => {
    await master.stop();
    throw error;
  });
  const host = adminAddress.host.includes(':') ? `[${adminAddress.host}]` : adminAddress.host;
  const adminUrl = `http://${host}:${adminAddress.port}/`;
  master.cluster.instances.setAdminUrl(adminUrl);
  const login = master.admin.file
    ? `paste the admin token from ${master.admin.file} (e.g. cat it)`
    : 'use the token in FLEETDECK_ADMIN_TOKEN';
  process.stderr.write(
    `\nFleetDeck master ${VERSION} is running.\n` +
      `  Admin UI and API: ${adminUrl}\n` +
      `  Log in:           ${login}\n` +
      `  Agent gateway:    ${master.agentUrl}${master.tls ? `  (pin ${master.tls.fingerprint})` : '  (plain ws://, unencrypted)'}\n` +
      `  Data:             ${flags.dataDir}\n\n`,
  );
  log.info(
    { adminUrl, agentUrl: master.agentUrl, agentPort: master.agentPort, fingerprint: master.tls?.fingerprint ?? null },
    'master ready',
  );
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection (a bug: please report it)'));
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    await admin.stop();
    await master.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

export function buildCli(): Command {
  const program = new Command('fleetdeck')
    .description('FleetDeck: command center for a fleet of servers')
    .version(VERSION);
  program
    .command('master')
    .description('run the master headless: agent gateway plus the admin UI/API for a browser')
    .option(
      '--data-dir <path>',
      'where the database, TLS identity and admin token live (env FLEETDECK_DATA_DIR)',
      defaultDataDir(),
    )
    .option('--agent-listen <host:port>', 'agent gateway address', '0.0.0.0:7443')
    .option(
      '--admin-listen <host:port>',
      'admin UI/API address (keep it on loopback unless fronted by TLS)',
      '127.0.0.1:7080',
    )
    .option('--db <url>', 'database: a SQLite file path or sqlite:/path (default: fleetdeck.db in the data dir)')
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
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (env FLEETDECK_LOG_LEVEL)')
    .action(async (flags: MasterFlags) => {
      await runMaster(flags);
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
