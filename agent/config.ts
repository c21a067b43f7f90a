// Agent configuration. Precedence, field by field: CLI flags > config file > environment > defaults.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_NET_EXCLUDE } from './metrics/interface-filter.js';

export const FINGERPRINT_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** Accepts `sha256:AB:CD:…`, `AB:CD:…` or bare hex; returns `sha256:<lowercase hex>`. */
export function normalizeFingerprint(value: string): string {
  const hex = value
    .trim()
    .replace(/^sha256:/i, '')
    .replaceAll(':', '')
    .toLowerCase();
  const normalized = `sha256:${hex}`;
  if (!FINGERPRINT_PATTERN.test(normalized)) {
    throw new ConfigError(
      `"${value}" is not a SHA-256 certificate fingerprint: expected sha256: followed by 64 hex digits (as the master prints).`,
    );
  }
  return normalized;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const MasterUrl = z
  .string()
  .regex(/^wss?:\/\/[^\s/]+/, 'master URLs look like wss://host:7443 (or ws:// with --insecure-plain-ws)');

const MISSING_MASTER = 'at least one master URL is needed (--master, FLEETDECK_MASTER or the config file)';
const MISSING_TOKEN = 'a token is needed (--token, --token-file, FLEETDECK_TOKEN or the config file)';

export const AgentConfig = z.object({
  masters: z.array(MasterUrl, { error: MISSING_MASTER }).min(1, MISSING_MASTER),
  token: z.string({ error: MISSING_TOKEN }).min(1, MISSING_TOKEN),
  /** The file the token was read from (null: given by flag, env or inline): a rotated token is written back there. */
  tokenFile: z.string().nullable(),
  /** Certificate pins: the master's certificate must match one (empty: CA-verified TLS). */
  caFingerprint: z.array(z.string()).max(16, 'at most 16 certificate pins'),
  stateDir: z.string().min(1),
  exec: z.boolean(),
  files: z.boolean(),
  filesWrite: z.boolean(),
  processes: z.boolean(),
  /** Runs the probes the master assigns (capability probes). */
  probes: z.boolean(),
  terminal: z.boolean(),
  terminalMaxSessions: z
    .number()
    .int()
    .min(1, 'terminalMaxSessions is 1 to 64')
    .max(64, 'terminalMaxSessions is 1 to 64'),
  terminalIdleMin: z
    .number()
    .int()
    .min(1, 'terminalIdleMin is 1 to 10080 minutes')
    .max(10_080, 'terminalIdleMin is 1 to 10080 minutes'),
  terminalMaxKibPerSec: z
    .number()
    .int()
    .min(16, 'terminalMaxKibPerSec is 16 to 1048576')
    .max(1_048_576, 'terminalMaxKibPerSec is 16 to 1048576'),
  roots: z.array(z.string().min(1)),
  insecurePlainWs: z.boolean(),
  backoffBaseMs: z.number().int().min(10).max(600_000),
  backoffMaxMs: z.number().int().min(100).max(3_600_000),
  maxConcurrentCommands: z.number().int().min(1).max(1024),
  metricsIntervalSec: z
    .number()
    .int()
    .min(1, 'metricsIntervalSec is 1 to 60 seconds')
    .max(60, 'metricsIntervalSec is 1 to 60 seconds'),
  netInclude: z.array(z.string().min(1).max(64)).max(256),
  netExclude: z.array(z.string().min(1).max(64)).max(256),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']),
});
export type AgentConfig = z.infer<typeof AgentConfig>;
export type ConfigField = keyof AgentConfig;
export type ConfigSource = 'cli' | 'file' | 'env' | 'default';

/** Fields a config file may set; unknown keys are an error so typos do not pass silently. */
const FileConfig = z
  .object({
    master: z.union([z.string(), z.array(z.string())]),
    token: z.string(),
    tokenFile: z.string(),
    caFingerprint: z.union([z.string(), z.array(z.string())]),
    stateDir: z.string(),
    exec: z.boolean(),
    files: z.boolean(),
    filesWrite: z.boolean(),
    processes: z.boolean(),
    probes: z.boolean(),
    terminal: z.boolean(),
    terminalMaxSessions: z.number(),
    terminalIdleMin: z.number(),
    terminalMaxKibPerSec: z.number(),
    roots: z.array(z.string()),
    insecurePlainWs: z.boolean(),
    backoffBaseMs: z.number(),
    backoffMaxMs: z.number(),
    maxConcurrentCommands: z.number(),
    metricsIntervalSec: z.number(),
    netInclude: z.array(z.string()),
    netExclude: z.array(z.string()),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']),
  })
  .partial()
  .strict();

export type PartialConfig = Partial<AgentConfig>;

export function defaultStateDir(): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (process.platform === 'win32') return join(process.env.ProgramData ?? os.homedir(), 'FleetDeck', 'agent');
  return isRoot ? '/var/lib/fleetdeck-agent' : join(os.homedir(), '.local', 'state', 'fleetdeck-agent');
}

export function defaults(): PartialConfig {
  return {
    tokenFile: null,
    caFingerprint: [],
    stateDir: defaultStateDir(),
    exec: true,
    files: true,
    filesWrite: true,
    processes: true,
    probes: true,
    terminal: false,
    terminalMaxSessions: 4,
    terminalIdleMin: 30,
    terminalMaxKibPerSec: 8192,
    roots: [os.homedir()],
    insecurePlainWs: false,
    backoffBaseMs: 1_000,
    backoffMaxMs: 60_000,
    maxConcurrentCommands: 8,
    metricsIntervalSec: 2,
    netInclude: [],
    netExclude: [...DEFAULT_NET_EXCLUDE],
    logLevel: 'info',
  };
}

export const splitList = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function parseBool(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name}="${value}" is not a boolean: use true or false.`);
}

function parseInteger(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ConfigError(`${name}="${value}" is not a whole number.`);
  return n;
}

export function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`cannot read the token file ${path}: ${(error as Error).message}`);
  }
}

/** The token read from a file, with the path it came from. */
export function tokenFromFile(path: string): { token: string; tokenFile: string } {
  return { token: readTokenFile(path), tokenFile: path };
}

export function fromEnv(env: NodeJS.ProcessEnv): PartialConfig {
  const out: PartialConfig = {};
  const get = (key: string) => env[`FLEETDECK_${key}`];
  const master = get('MASTER');
  if (master) out.masters = splitList(master);
  // Token and its file always come from the same layer, so a rotated token goes back where it came from.
  const token = get('TOKEN');
  if (token) Object.assign(out, { token, tokenFile: null });
  else if (get('TOKEN_FILE')) Object.assign(out, tokenFromFile(get('TOKEN_FILE') as string));
  if (get('CA_FINGERPRINT')) out.caFingerprint = splitList(get('CA_FINGERPRINT') as string);
  if (get('STATE_DIR')) out.stateDir = get('STATE_DIR') as string;
  for (const [key, field] of [
    ['EXEC', 'exec'],
    ['FILES', 'files'],
    ['FILES_WRITE', 'filesWrite'],
    ['PROCESSES', 'processes'],
    ['PROBES', 'probes'],
    ['TERMINAL', 'terminal'],
    ['INSECURE_PLAIN_WS', 'insecurePlainWs'],
  ] as const) {
    const value = get(key);
    if (value !== undefined && value !== '') out[field] = parseBool(`FLEETDECK_${key}`, value);
  }
  if (get('ROOTS'))
    out.roots = (get('ROOTS') as string).split(process.platform === 'win32' ? ';' : ':').filter(Boolean);
  if (get('BACKOFF_BASE_MS'))
    out.backoffBaseMs = parseInteger('FLEETDECK_BACKOFF_BASE_MS', get('BACKOFF_BASE_MS') as string);
  if (get('BACKOFF_MAX_MS'))
    out.backoffMaxMs = parseInteger('FLEETDECK_BACKOFF_MAX_MS', get('BACKOFF_MAX_MS') as string);
  if (get('MAX_CONCURRENT_COMMANDS')) {
    out.maxConcurrentCommands = parseInteger(
      'FLEETDECK_MAX_CONCURRENT_COMMANDS',
      get('MAX_CONCURRENT_COMMANDS') as string,
    );
  }
  if (get('METRICS_INTERVAL_SEC')) {
    out.metricsIntervalSec = parseInteger('FLEETDECK_METRICS_INTERVAL_SEC', get('METRICS_INTERVAL_SEC') as string);
  }
  for (const [key, field] of [
    ['TERMINAL_MAX_SESSIONS', 'terminalMaxSessions'],
    ['TERMINAL_IDLE_MIN', 'terminalIdleMin'],
    ['TERMINAL_MAX_KIB_PER_SEC', 'terminalMaxKibPerSec'],
  ] as const) {
    const value = get(key);
    if (value) out[field] = parseInteger(`FLEETDECK_${key}`, value);
  }
  if (get('NET_INCLUDE') !== undefined) out.netInclude = splitList(get('NET_INCLUDE') as string);
  if (get('NET_EXCLUDE') !== undefined) out.netExclude = splitList(get('NET_EXCLUDE') as string);
  if (get('LOG_LEVEL')) out.logLevel = get('LOG_LEVEL') as AgentConfig['logLevel'];
  return out;
}

export function fromFile(path: string): PartialConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`the config file ${path} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  const parsed = FileConfig.safeParse(data ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`config file ${path}: ${issue?.path.join('.') || '(top level)'}: ${issue?.message}`);
  }
  const { master, tokenFile, caFingerprint, ...rest } = parsed.data;
  const out: PartialConfig = { ...rest };
  if (caFingerprint !== undefined)
    out.caFingerprint = Array.isArray(caFingerprint) ? caFingerprint : splitList(caFingerprint);
  if (master !== undefined) out.masters = Array.isArray(master) ? master : splitList(master);
  if (rest.token !== undefined) out.tokenFile = null;
  else if (tokenFile !== undefined) Object.assign(out, tokenFromFile(tokenFile));
  return out;
}

export interface ResolvedConfig {
  config: AgentConfig;
  sources: Record<ConfigField, ConfigSource>;
}

/** Merges the layers field by field and validates the result. */
export function resolveConfig(layers: { cli: PartialConfig; file: PartialConfig; env: PartialConfig }): ResolvedConfig {
  const merged: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  const ordered: Array<[ConfigSource, PartialConfig]> = [
    ['default', defaults()],
    ['env', layers.env],
    ['file', layers.file],
    ['cli', layers.cli],
  ];
  for (const [source, layer] of ordered) {
    for (const [field, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      merged[field] = value;
      sources[field] = source;
    }
  }
  const parsed = AgentConfig.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue?.path.join('.') || 'config'}: ${issue?.message}`);
  }
  const config = parsed.data;
  config.caFingerprint = [...new Set(config.caFingerprint.map(normalizeFingerprint))];
  if (config.backoffMaxMs < config.backoffBaseMs) {
    throw new ConfigError('backoffMaxMs must be at least backoffBaseMs.');
  }
  for (const url of config.masters) {
    if (url.startsWith('ws://') && !config.insecurePlainWs) {
      throw new ConfigError(
        `${url} is plain ws:// (unencrypted, token visible on the network). Use wss://, or pass --insecure-plain-ws if you really mean it.`,
      );
    }
  }
  return { config, sources: sources as Record<ConfigField, ConfigSource> };
}

/** The effective config with the token hidden, for --print-config and logs. */
export function redactedConfig(resolved: ResolvedConfig) {
  return { ...resolved.config, token: '[redacted]', sources: resolved.sources };
}
