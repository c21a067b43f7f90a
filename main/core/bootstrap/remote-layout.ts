// Where and how the agent lives on a host installed over SSH, and the shell text that manages it.
// Everything is quoted for POSIX sh; paths come from detection or the admin, never from the network.

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

export function systemdUnit(layout: Layout, system: boolean): string {
  return `[Unit]
Description=FleetDeck agent
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
ExecStart=${layout.standalone ? layout.program : `/usr/bin/env node ${layout.bundle}`} --config ${layout.config}
Restart=always
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=${system ? 'multi-user.target' : 'default.target'}
`;
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
  // The supervisor's session: kill the whole group so the agent goes with it.
  return `if [ -f ${q(layout.pidFile)} ]; then kill -TERM -- -"$(cat ${q(layout.pidFile)})" 2>/dev/null || kill "$(cat ${q(layout.pidFile)})" 2>/dev/null; rm -f ${q(layout.pidFile)}; fi; true`;
}

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
