#!/bin/sh
# FleetDeck agent installer. The master serves this file at GET /install.sh with its own values filled
# in below (main/core/enroll/install-script.ts): where it is, the certificate the agent pins and the
# SHA-256 of every agent file it serves. Run it as root for a system service, or as a user for a
# service of that user. Running it again upgrades the files and restarts the agent; an enrolled host
# keeps its node and token.
set -eu

FD_BASE='@@BASE@@'
FD_MASTER='@@MASTER@@'
FD_FINGERPRINT='@@FINGERPRINT@@'
FD_PIN='@@PIN@@'
FD_VERSION='@@VERSION@@'
SHA_BUNDLE='@@SHA_BUNDLE@@'
SHA_X64='@@SHA_X64@@'
SHA_ARM64='@@SHA_ARM64@@'

AGENT_USER=fleetdeck-agent
LOG_MAX_BYTES=10485760

say() { printf 'fleetdeck-install: %s\n' "$*"; }
die() {
  printf 'fleetdeck-install: error: %s\n' "$*" >&2
  exit 1
}
has() { command -v "$1" >/dev/null 2>&1; }
# Single-quotes a value for the shell text this script writes (run.sh, the OpenRC script).
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
# A JSON string (the config file is JSON, which YAML reads too).
json() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

usage() {
  cat <<EOF
FleetDeck agent installer (agent $FD_VERSION, master $FD_BASE)

  sh install.sh --code ABCD-EFGH [options]

  --code CODE          the enrollment code from "Add a node" (not needed again on an enrolled host)
  --run-as-root        root installs: run the agent as root (default: its own user $AGENT_USER)
  --no-exec            the agent refuses to run commands
  --no-files           the agent refuses file access
  --read-only-files    files may be read, not changed
  --terminal           allow interactive terminals (off unless given; needs util-linux script)
  --root DIR           a directory the file service may touch (repeat; default: the agent's home)
  --standalone         use the standalone executable even where Node.js 18+ is installed
  --reenroll           trade a new code although this host is enrolled (a new node and token)
  --no-start           install and enroll, but do not start the agent
EOF
}

CODE=''
AS_ROOT=0
CAN_EXEC=true
CAN_FILES=true
CAN_WRITE=true
CAN_TERMINAL=false
ROOTS=''
STANDALONE=0
REENROLL=0
START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --code)
      [ $# -ge 2 ] || die '--code needs the code, e.g. --code ABCD-EFGH'
      CODE=$2
      shift 2
      ;;
    --code=*)
      CODE=${1#--code=}
      shift
      ;;
    --run-as-root) AS_ROOT=1 && shift ;;
    --no-exec) CAN_EXEC=false && shift ;;
    --no-files) CAN_FILES=false && shift ;;
    --read-only-files) CAN_WRITE=false && shift ;;
    --terminal) CAN_TERMINAL=true && shift ;;
    --root)
      [ $# -ge 2 ] || die '--root needs a directory'
      case "$2" in
        /*) ;;
        *) die "--root takes an absolute path (got $2)" ;;
      esac
      ROOTS="$ROOTS${ROOTS:+,}$(json "$2")"
      shift 2
      ;;
    --standalone) STANDALONE=1 && shift ;;
    --reenroll) REENROLL=1 && shift ;;
    --no-start) START=0 && shift ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option $1 (sh install.sh --help lists them)" ;;
  esac
done

# ---- where things go -------------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  SYSTEM=1
  PREFIX=/opt/fleetdeck-agent
  CONF_DIR=/etc/fleetdeck-agent
  STATE_DIR=/var/lib/fleetdeck-agent
  LOG_DIR=/var/log/fleetdeck-agent
else
  SYSTEM=0
  [ "$AS_ROOT" -eq 0 ] || die '--run-as-root needs the script to run as root (sudo sh install.sh ...)'
  [ -n "${HOME:-}" ] || die 'HOME is not set'
  PREFIX="$HOME/.local/share/fleetdeck-agent"
  CONF_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/fleetdeck-agent"
  STATE_DIR="${XDG_STATE_HOME:-$HOME/.local/state}/fleetdeck-agent"
  LOG_DIR=$STATE_DIR
fi
CONFIG="$CONF_DIR/agent.yaml"
TOKEN_FILE="$CONF_DIR/token"
RUN_USER=''
if [ "$SYSTEM" -eq 1 ] && [ "$AS_ROOT" -eq 0 ]; then RUN_USER=$AGENT_USER; fi

# ---- downloads, checked against the SHA-256 pinned above -------------------------------------
fetch() {
  if has curl; then
    # The gateway's certificate is self-signed: curl checks its public key against the pin instead.
    if [ -n "$FD_PIN" ]; then
      curl -fsS --retry 3 --insecure --pinnedpubkey "$FD_PIN" -o "$2" "$1"
    else
      curl -fsS --retry 3 -o "$2" "$1"
    fi
  elif has wget; then
    # wget cannot pin a key: what it fetched is trusted only after its SHA-256 matches.
    wget -q --no-check-certificate -O "$2" "$1"
  else
    die 'neither curl nor wget is installed: install one and run this again'
  fi
}

sha256() {
  if has sha256sum; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif has shasum; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif has openssl; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    die 'no SHA-256 tool (sha256sum, shasum or openssl) to check the download'
  fi
}

node_ok() {
  has node || return 1
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 1
  [ "$major" -ge 18 ] 2>/dev/null
}

case "$(uname -m)" in
  x86_64 | amd64) SHA_BINARY=$SHA_X64 ARCH=x64 ;;
  aarch64 | arm64) SHA_BINARY=$SHA_ARM64 ARCH=arm64 ;;
  *) SHA_BINARY='' ARCH=$(uname -m) ;;
esac
[ "$(uname -s)" = Linux ] || SHA_BINARY=''

NODE=''
if [ "$STANDALONE" -eq 0 ] && [ -n "$SHA_BUNDLE" ] && node_ok; then
  ARTIFACT=fleetdeck-agent.cjs
  WANT=$SHA_BUNDLE
  NODE=$(command -v node)
elif [ -n "$SHA_BINARY" ]; then
  ARTIFACT="fleetdeck-agent-linux-$ARCH"
  WANT=$SHA_BINARY
else
  die "this master has no agent for $(uname -s) $ARCH without Node.js 18+: install Node.js 18 or newer and run this again, or build the standalone agent on the master (npm run dist:agent)"
fi
PROGRAM="$PREFIX/$ARTIFACT"

# Runs the installed agent program with these arguments.
agent() {
  if [ -n "$NODE" ]; then "$NODE" "$PROGRAM" "$@"; else "$PROGRAM" "$@"; fi
}

# ---- the agent's user ----------------------------------------------------------------------
if [ -n "$RUN_USER" ] && ! id "$RUN_USER" >/dev/null 2>&1; then
  NOLOGIN=/usr/sbin/nologin
  [ -x "$NOLOGIN" ] || NOLOGIN=/sbin/nologin
  [ -x "$NOLOGIN" ] || NOLOGIN=/bin/false
  if has useradd; then
    useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell "$NOLOGIN" "$RUN_USER"
  elif has adduser; then
    adduser -S -D -H -h "$STATE_DIR" -s "$NOLOGIN" "$RUN_USER"
  else
    die "cannot create the user $RUN_USER (no useradd or adduser): create it, or pass --run-as-root"
  fi
  say "created the system user $RUN_USER"
fi

umask 077
mkdir -p "$PREFIX" "$CONF_DIR" "$STATE_DIR" "$LOG_DIR"
chmod 700 "$CONF_DIR" "$STATE_DIR"
chmod 755 "$PREFIX"

# ---- the agent program -------------------------------------------------------------------------
if [ -f "$PROGRAM" ] && [ "$(sha256 "$PROGRAM")" = "$WANT" ]; then
  say "agent $FD_VERSION is already installed ($PROGRAM)"
else
  DOWNLOAD="$PREFIX/.$ARTIFACT.download"
  trap 'rm -f "$DOWNLOAD"' EXIT
  fetch "$FD_BASE/agent/$ARTIFACT" "$DOWNLOAD" || die "could not download $FD_BASE/agent/$ARTIFACT"
  GOT=$(sha256 "$DOWNLOAD")
  [ "$GOT" = "$WANT" ] || die "the downloaded agent is not the one this script names (SHA-256 $GOT, expected $WANT): nothing was changed"
  chmod 755 "$DOWNLOAD"
  mv -f "$DOWNLOAD" "$PROGRAM"
  trap - EXIT
  say "installed agent $FD_VERSION ($ARTIFACT, SHA-256 verified) as $PROGRAM"
fi

# ---- enrollment: the code becomes this node's token, over the pinned connection ---------------
if [ -s "$TOKEN_FILE" ] && [ "$REENROLL" -eq 0 ]; then
  say "this host is already enrolled (token in $TOKEN_FILE); keeping it"
else
  [ -n "$CODE" ] || die 'an enrollment code is needed: --code ABCD-EFGH (FleetDeck: Add a node)'
  if [ -n "$FD_FINGERPRINT" ]; then
    agent enroll --master "$FD_MASTER" --ca-fingerprint "$FD_FINGERPRINT" --code "$CODE" --token-file "$TOKEN_FILE" ||
      die 'enrollment failed (the reason is above); nothing is running yet'
  else
    agent enroll --master "$FD_MASTER" --insecure-plain-ws --code "$CODE" --token-file "$TOKEN_FILE" ||
      die 'enrollment failed (the reason is above); nothing is running yet'
  fi
fi

# ---- configuration (no secret in it: the token has its own file) ------------------------------
if [ -n "$FD_FINGERPRINT" ]; then TRANSPORT="\"caFingerprint\": $(json "$FD_FINGERPRINT")"; else TRANSPORT='"insecurePlainWs": true'; fi
ROOTS_LINE=''
if [ -n "$ROOTS" ]; then ROOTS_LINE=",
  \"roots\": [$ROOTS]"; fi
cat >"$CONFIG.tmp" <<EOF
{
  "master": [$(json "$FD_MASTER")],
  "tokenFile": $(json "$TOKEN_FILE"),
  $TRANSPORT,
  "stateDir": $(json "$STATE_DIR"),
  "exec": $CAN_EXEC,
  "files": $CAN_FILES,
  "terminal": $CAN_TERMINAL,
  "filesWrite": $CAN_WRITE$ROOTS_LINE
}
EOF
chmod 600 "$CONFIG.tmp"
mv -f "$CONFIG.tmp" "$CONFIG"
# The agent rewrites its token file when the master rotates the token, so it owns its directories.
if [ -n "$RUN_USER" ]; then chown -R "$RUN_USER:" "$PREFIX" "$CONF_DIR" "$STATE_DIR" "$LOG_DIR"; fi

# ---- the service -------------------------------------------------------------------------------
if [ -n "$NODE" ]; then EXEC_START="$NODE $PROGRAM"; else EXEC_START=$PROGRAM; fi

# Run before every start of the agent: an in-band upgrade that did not confirm itself by its deadline
# (agent/upgrade.ts writes the marker) is undone here, even when the new build dies before it could.
CHECK="$PREFIX/upgrade-check.sh"
cat >"$CHECK.tmp" <<EOF
#!/bin/sh
# Written by the FleetDeck install script: puts the previous agent back after a failed upgrade.
PROGRAM=$(quote "$PROGRAM")
if [ -f "\$PROGRAM.upgrade" ]; then
  read -r deadline _ <"\$PROGRAM.upgrade" || deadline=0
  if [ "\$(date +%s)" -ge "\${deadline:-0}" ]; then
    if [ -f "\$PROGRAM.prev" ]; then mv -f "\$PROGRAM.prev" "\$PROGRAM"; fi
    rm -f "\$PROGRAM.upgrade"
    echo "fleetdeck-agent: the upgrade did not come up in time; the previous agent is back" >&2
  fi
fi
exit 0
EOF
chmod 755 "$CHECK.tmp"
mv -f "$CHECK.tmp" "$CHECK"

systemd_unit() {
  cat <<EOF
# Written by the FleetDeck install script. Restart always, no start limit: an agent must come back.
[Unit]
Description=FleetDeck agent
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
ExecStartPre=$CHECK
ExecStart=$EXEC_START --config $CONFIG
Restart=always
RestartSec=5
LimitNOFILE=65536
# Logs go to the journal, which rotates them.
EOF
  if [ -n "$RUN_USER" ]; then
    # Its own user: these cost nothing its commands could do anyway (docs/install.md, "Hardening").
    # NoNewPrivileges: setuid programs (sudo, su) do not raise its commands' rights; ProtectSystem=full:
    # /usr, /boot and /etc read-only but its config directory, where it rewrites a rotated token
    # ("strict" would also close /var, /srv, /opt and /home to the files capability); PrivateTmp: its own /tmp. A root agent (--run-as-root) gets none of them: they would
    # stop it doing what root is chosen for (installing packages, editing /etc).
    cat <<EOF
User=$RUN_USER
Group=$RUN_USER
NoNewPrivileges=yes
ProtectSystem=full
ReadWritePaths=$CONF_DIR
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
RestrictSUIDSGID=yes
EOF
  fi
  cat <<EOF
LockPersonality=yes
RestrictRealtime=yes

[Install]
WantedBy=$1
EOF
}

start_systemd() {
  if [ "$SYSTEM" -eq 1 ]; then
    UNIT=/etc/systemd/system/fleetdeck-agent.service
    systemd_unit multi-user.target >"$UNIT.tmp" && chmod 644 "$UNIT.tmp" && mv -f "$UNIT.tmp" "$UNIT"
    systemctl daemon-reload
    systemctl enable fleetdeck-agent >/dev/null 2>&1
    [ "$START" -eq 0 ] || systemctl restart fleetdeck-agent
    say "systemd unit $UNIT installed; logs: journalctl -u fleetdeck-agent"
  else
    UNIT_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
    mkdir -p "$UNIT_DIR"
    systemd_unit default.target >"$UNIT_DIR/fleetdeck-agent.service"
    systemctl --user daemon-reload
    systemctl --user enable fleetdeck-agent >/dev/null 2>&1
    [ "$START" -eq 0 ] || systemctl --user restart fleetdeck-agent
    # Without lingering a user's services stop at logout and start only at login.
    if loginctl enable-linger "$(id -un)" 2>/dev/null; then
      say 'lingering enabled: the agent runs without a login session and starts at boot'
    else
      say "could not enable lingering (loginctl enable-linger $(id -un) needs an administrator here): the agent stops when you log out; ask root to run that command"
    fi
    say "user unit $UNIT_DIR/fleetdeck-agent.service installed; logs: journalctl --user -u fleetdeck-agent"
  fi
}

start_openrc() {
  SCRIPT=/etc/init.d/fleetdeck-agent
  ARGS="--config $CONFIG"
  [ -z "$NODE" ] || ARGS="$PROGRAM $ARGS"
  cat >"$SCRIPT.tmp" <<EOF
#!/sbin/openrc-run
# Written by the FleetDeck install script.
description="FleetDeck agent"
supervisor=supervise-daemon
command=$(quote "${NODE:-$PROGRAM}")
command_args=$(quote "$ARGS")
command_user=$(quote "${RUN_USER:-root}")
output_log=$(quote "$LOG_DIR/agent.log")
error_log=$(quote "$LOG_DIR/agent.log")
respawn_delay=5
respawn_max=0
depend() { need net; }
start_pre() { $(quote "$CHECK"); }
EOF
  chmod 755 "$SCRIPT.tmp" && mv -f "$SCRIPT.tmp" "$SCRIPT"
  rc-update add fleetdeck-agent default >/dev/null 2>&1 || true
  [ "$START" -eq 0 ] || rc-service fleetdeck-agent restart >/dev/null
  say "OpenRC service $SCRIPT installed (log $LOG_DIR/agent.log; rotate it with logrotate)"
}

start_supervisor() {
  RUN="$PREFIX/run.sh"
  PID_FILE="$STATE_DIR/supervisor.pid"
  LOG="$LOG_DIR/agent.log"
  COMMAND="$(quote "${NODE:-$PROGRAM}")"
  [ -z "$NODE" ] || COMMAND="$COMMAND $(quote "$PROGRAM")"
  COMMAND="$COMMAND --config $(quote "$CONFIG")"
  if [ -n "$RUN_USER" ]; then
    # setpriv changes user and execs (no PAM session process in between); runuser and su otherwise.
    if has setpriv; then
      COMMAND="setpriv --reuid=$RUN_USER --regid=$RUN_USER --init-groups -- $COMMAND"
    elif has runuser; then
      COMMAND="runuser -u $RUN_USER -- $COMMAND"
    else
      COMMAND="su -s /bin/sh $RUN_USER -c $(quote "exec $COMMAND")"
    fi
  fi
  cat >"$RUN.tmp" <<EOF
#!/bin/sh
# FleetDeck agent supervisor (written by the install script where there is no systemd or OpenRC):
# restarts the agent whenever it exits and keeps its log at most $LOG_MAX_BYTES bytes, plus one older
# file (the same logic as the agent package's supervise.sh, whose cap test/unit/supervisor-log.test.ts checks).
LOG=$(quote "$LOG")
MAX=$LOG_MAX_BYTES
# Runs in its pipeline's subshell: the C locale (where \${#line} counts bytes) is not the agent's.
log_lines() {
  LC_ALL=C
  export LC_ALL
  size=0
  if [ -f "\$LOG" ]; then size=\$(wc -c <"\$LOG"); fi
  while IFS= read -r line || [ -n "\$line" ]; do
    n=\$((\${#line} + 1))
    if [ "\$n" -gt "\$MAX" ]; then
      line="[fleetdeck supervisor: a line of \$n bytes was left out]"
      n=\$((\${#line} + 1))
    fi
    if [ \$((size + n)) -gt "\$MAX" ]; then
      mv -f "\$LOG" "\$LOG.1"
      size=0
    fi
    printf '%s\\n' "\$line" >>"\$LOG"
    size=\$((size + n))
  done
}
while true; do
  $(quote "$CHECK") 2>&1 | log_lines
  $COMMAND 2>&1 | log_lines
  sleep 5
done
EOF
  chmod 755 "$RUN.tmp" && mv -f "$RUN.tmp" "$RUN"
  stop_supervisor
  if [ "$START" -eq 1 ]; then
    # Its own session, so logging out does not stop it, and its group can be stopped as one.
    setsid nohup "$RUN" >/dev/null 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    say "running under the supervisor $RUN (no systemd or OpenRC here); log $LOG"
  fi
  if has crontab; then
    (
      crontab -l 2>/dev/null | grep -v '# fleetdeck-agent'
      echo "@reboot setsid $(quote "$RUN") >/dev/null 2>&1 # fleetdeck-agent"
    ) | crontab -
    say 'cron starts it again at boot'
  else
    say 'no cron here: after a reboot, start it again with this script or by running the supervisor'
  fi
}

stop_supervisor() {
  PID_FILE="$STATE_DIR/supervisor.pid"
  [ -f "$PID_FILE" ] || return 0
  PID=$(cat "$PID_FILE")
  # The whole session group, so the agent goes with its supervisor. No "--": dash's kill refuses it.
  kill -TERM -"$PID" 2>/dev/null || kill -TERM "$PID" 2>/dev/null || true
  i=0
  while kill -0 "$PID" 2>/dev/null && [ "$i" -lt 10 ]; do
    sleep 1
    i=$((i + 1))
  done
  rm -f "$PID_FILE"
}

if [ -d /run/systemd/system ] && has systemctl; then
  start_systemd
elif [ "$SYSTEM" -eq 1 ] && has openrc-run && has rc-service; then
  start_openrc
else
  start_supervisor
fi
if [ -n "$RUN_USER" ]; then
  say "the agent runs as $RUN_USER: its commands and file access have that user's rights (home $STATE_DIR); --run-as-root gives it the whole host"
fi
say "done: the node turns online in FleetDeck within seconds"
