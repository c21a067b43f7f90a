// Where and how the agent lives on a host installed over SSH, and the shell text that manages it.
// Everything is quoted for POSIX sh; paths come from detection or the admin, never from the network.

import { readFileSync } from 'node:fs';
import { resourcePath } from '../paths.js';

export interface HostFactsOverSsh {
  os: string;
  arch: string;
  uid: number;
  home: string;
  node: string | null;
  systemd: boolean;
  crontab: boolean;
  /** Passwordless sudo: not used for the install (it goes where the user can write), reported. */
  sudo: boolean;
}

export const DETECT_SCRIPT = [
  'uname -s',
  'uname -m',
  'id -u',
  'printf "%s\\n" "$HOME"',
  '(command -v node >/dev/null 2>&1 && node --version) || echo none',
  '([ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && echo systemd) || echo nosystemd',
  '(command -v crontab >/dev/null 2>&1 && echo crontab) || echo nocrontab',
  '(sudo -n true >/dev/null 2>&1 && echo sudo) || echo nosudo',
].join('; ');

export function parseDetect(stdout: string): HostFactsOverSsh {
  const [os, arch, uid, home, node, systemd, crontab, sudo] = stdout.trim().split('\n');
  return {
    os: os ?? '',
    arch: arch ?? '',
    uid: Number(uid),
    home: home ?? '',
    node: node && node !== 'none' ? node.trim() : null,
    systemd: systemd === 'systemd',
    crontab: crontab === 'crontab',
    sudo: sudo === 'sudo',
  };
}

export function nodeMajor(version: string | null): number {
  return Number(/^v?(\d+)/.exec(version ?? '')?.[1] ?? 0);
}

export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface Layout {
  dir: string;
  /** The standalone executable is used where the host has no suitable Node.js. */
  standalone: boolean;
  /** What runs: the bundle (with node) or the standalone executable. */
  program: string;
  bundle: string;
  config: string;
  runScript: string;
  pidFile: string;
  log: string;
  stateDir: string;
  unit: string | null;
}

/** `uname -m` → the standalone build's architecture name, or null when none is built for it. */
export function agentArch(machine: string): 'x64' | 'arm64' | null {
  if (machine === 'x86_64' || machine === 'amd64') return 'x64';
  if (machine === 'aarch64' || machine === 'arm64') return 'arm64';
  return null;
}

export function layoutFor(facts: HostFactsOverSsh, installDir?: string, standalone = false): Layout {
  const dir = installDir ?? (facts.uid === 0 ? '/opt/fleetdeck-agent' : `${facts.home}/.local/share/fleetdeck-agent`);
  const unit = !facts.systemd
    ? null
    : facts.uid === 0
      ? '/etc/systemd/system/fleetdeck-agent.service'
      : `${facts.home}/.config/systemd/user/fleetdeck-agent.service`;
  const bundle = `${dir}/fleetdeck-agent.cjs`;
  return {
    dir,
    standalone,
    program: standalone ? `${dir}/fleetdeck-agent` : bundle,
    bundle,
    config: `${dir}/agent.yaml`,
    runScript: `${dir}/run.sh`,
    pidFile: `${dir}/agent.pid`,
    log: `${dir}/agent.log`,
    stateDir: `${dir}/state`,
    unit,
  };
}

function agentCommand(layout: Layout): string {
  return layout.standalone ? q(layout.program) : `node ${q(layout.bundle)}`;
}

/** Restarts the agent when it exits, forever: the fallback's supervisor where systemd is absent. */
export function runScript(layout: Layout): string {
  return `#!/bin/sh
# FleetDeck agent supervisor (installed over SSH). Restarts the agent whenever it exits.
while true; do
  ${agentCommand(layout)} --config ${q(layout.config)}
  sleep 5
done
`;
}

/** The agent's unit, from resources/units/fleetdeck-agent.service (its comment lines left out). */
export function systemdUnit(layout: Layout, system: boolean): string {
  const values: Record<string, string> = {
    exec: layout.standalone ? layout.program : `/usr/bin/env node ${layout.bundle}`,
    config: layout.config,
    wantedBy: system ? 'multi-user.target' : 'default.target',
  };
  return agentUnitTemplate()
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n')
    .replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const value = values[key];
      if (value === undefined) throw new Error(`the agent unit template names an unknown value {{${key}}}`);
      return value;
    });
}

let unitTemplate: string | null = null;
function agentUnitTemplate(): string {
  unitTemplate ??= readFileSync(resourcePath('units/fleetdeck-agent.service'), 'utf8');
  return unitTemplate;
}

/** Upgrade: keeps what runs now as `<program>.prev` and puts the uploaded `<program>.new` in its place. */
export function swapCommand(layout: Layout): string {
  const { program } = layout;
  return `cp -f ${q(program)} ${q(`${program}.prev`)} && mv -f ${q(`${program}.new`)} ${q(program)}`;
}

/**
 * A failed upgrade: back to what swapCommand kept. The program, not the bundle: a standalone install
 * has no bundle, and restoring `<bundle>.prev` there failed and left the broken agent in place.
 */
export function rollbackCommand(layout: Layout): string {
  return `mv -f ${q(`${layout.program}.prev`)} ${q(layout.program)}`;
}

const CRON_TAG = '# fleetdeck-agent';

/** Starts (or restarts) the agent. */
export function startCommand(layout: Layout, facts: HostFactsOverSsh): string {
  if (layout.unit) {
    const ctl = facts.uid === 0 ? 'systemctl' : 'systemctl --user';
    return `${ctl} daemon-reload && ${ctl} enable fleetdeck-agent && ${ctl} restart fleetdeck-agent`;
  }
  const start = `setsid nohup ${q(layout.runScript)} >> ${q(layout.log)} 2>&1 < /dev/null & echo $! > ${q(layout.pidFile)}`;
  // Survives logout (own session) and, with cron, reboots.
  const cron = facts.crontab
    ? `(crontab -l 2>/dev/null | grep -v ${q(CRON_TAG)}; echo "@reboot ${layout.runScript} >> ${layout.log} 2>&1 ${CRON_TAG}") | crontab -; `
    : '';
  return `${stopCommand(layout, facts)}; ${cron}${start}`;
}

/** Stops the agent and its supervisor. */
export function stopCommand(layout: Layout, facts: HostFactsOverSsh): string {
  if (layout.unit) {
    const ctl = facts.uid === 0 ? 'systemctl' : 'systemctl --user';
    return `${ctl} stop fleetdeck-agent 2>/dev/null || true`;
  }
  // The supervisor's session: kill the whole group so the agent goes with it. No `--`: dash's kill
  // refuses it, and the fallback then killed only the supervisor and left the agent running.
  return `if [ -f ${q(layout.pidFile)} ]; then kill -TERM -"$(cat ${q(layout.pidFile)})" 2>/dev/null || kill "$(cat ${q(layout.pidFile)})" 2>/dev/null; rm -f ${q(layout.pidFile)}; fi; true`;
}

/**
 * A pgrep/pkill pattern for every process started from the install directory (the supervisor script
 * and the agent both name it on their command line). The first character is bracketed so the pattern
 * does not match the remote shell that runs it, whose command line contains the pattern itself
 * (install directories are absolute, so that character is always "/"). A command using it must not
 * name the directory in plain text anywhere else, or it would match (and kill) its own shell.
 */
export function installPattern(layout: Layout): string {
  const escaped = `${layout.dir}/`.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  return `[${escaped.slice(0, 1)}]${escaped.slice(1)}`;
}

/** How long uninstall waits for the agent's processes to exit before it kills them. */
const STOP_GRACE_SEC = 10;

/**
 * Stops whatever still runs from the install directory (a supervisor the pid file no longer names, an
 * agent orphaned by an earlier stop): TERM, up to STOP_GRACE_SEC for them to go, then KILL. Run on its
 * own (see installPattern).
 */
export function killLeftoversCommand(layout: Layout): string {
  const pattern = q(installPattern(layout));
  return [
    `pkill -TERM -f ${pattern} 2>/dev/null`,
    `i=0; while pgrep -f ${pattern} >/dev/null 2>&1 && [ $i -lt ${STOP_GRACE_SEC * 4} ]; do sleep 0.25; i=$((i+1)); done`,
    `pkill -KILL -f ${pattern} 2>/dev/null`,
    'true',
  ].join('; ');
}

/** Marks printed by the verification, one per line; nothing printed = nothing left. */
export const LEFT_OVER = {
  process: 'left-over process:',
  unit: 'left-over unit:',
  files: 'left-over files:',
  cron: 'left-over cron entry',
  location: 'left-over location file:',
} as const;

/** Prints every process still running from the install directory, marked; run on its own. */
export function leftoverProcessesCommand(layout: Layout): string {
  return `pgrep -af ${q(installPattern(layout))} 2>/dev/null | sed 's/^/${LEFT_OVER.process} /'; true`;
}

/** After removal: prints what is left of the agent's unit, files and cron line; exit 0 either way. */
export function verifyRemovedCommand(layout: Layout, facts: HostFactsOverSsh): string {
  const checks = [
    `if [ -e ${q(layout.dir)} ]; then echo ${q(`${LEFT_OVER.files} ${layout.dir}`)}; fi`,
    `if [ -e "$HOME/.config/fleetdeck-agent.location" ]; then echo ${q(`${LEFT_OVER.location} ~/.config/fleetdeck-agent.location`)}; fi`,
  ];
  if (layout.unit) {
    const ctl = facts.uid === 0 ? 'systemctl' : 'systemctl --user';
    checks.push(
      `if [ -e ${q(layout.unit)} ]; then echo ${q(`${LEFT_OVER.unit} ${layout.unit}`)}; fi`,
      `if ${ctl} is-active --quiet fleetdeck-agent 2>/dev/null; then echo ${q(`${LEFT_OVER.unit} fleetdeck-agent is still active`)}; fi`,
    );
  }
  if (facts.crontab) {
    checks.push(`if crontab -l 2>/dev/null | grep -q ${q(CRON_TAG)}; then echo ${q(LEFT_OVER.cron)}; fi`);
  }
  return `${checks.join('; ')}; true`;
}

/** Stops the unit or supervisor, then removes the unit, cron line, files and location record. */
export function removeCommand(layout: Layout, facts: HostFactsOverSsh): string {
  const parts = [stopCommand(layout, facts)];
  if (layout.unit) {
    const ctl = facts.uid === 0 ? 'systemctl' : 'systemctl --user';
    parts.push(
      `${ctl} disable fleetdeck-agent 2>/dev/null || true`,
      `rm -f ${q(layout.unit)}`,
      `${ctl} daemon-reload || true`,
    );
  }
  if (facts.crontab) parts.push(`(crontab -l 2>/dev/null | grep -v ${q(CRON_TAG)}) | crontab - || true`);
  parts.push(`rm -rf ${q(layout.dir)}`, `rm -f "$HOME/.config/fleetdeck-agent.location"`);
  return parts.join('; ');
}
