# Shared by the agent package's maintainer scripts (scripts/package-agent.mjs puts it at the top of
# each: the deb's postinst/prerm/postrm and the rpm's scriptlets). POSIX sh.
AGENT_USER=fleetdeck-agent
SERVICE=/opt/fleetdeck-agent/bin/fleetdeck-agent-service
has() { command -v "$1" >/dev/null 2>&1; }
systemd_runs() { [ -d /run/systemd/system ] && has systemctl; }

add_user() {
  getent passwd "$AGENT_USER" >/dev/null 2>&1 && return 0
  nologin=/usr/sbin/nologin
  [ -x "$nologin" ] || nologin=/sbin/nologin
  useradd --system --user-group --home-dir /var/lib/fleetdeck-agent --no-create-home --shell "$nologin" \
    --comment 'FleetDeck agent' "$AGENT_USER"
  echo "fleetdeck-agent: created the system user $AGENT_USER"
}

make_dirs() {
  # Config: root's, readable by the agent (it cannot widen its own capabilities). State: the agent's
  # (its token, which the master rotates, lives there). Logs: the supervisor's (root) where no systemd.
  install -d -m 0750 -o root -g "$AGENT_USER" /etc/fleetdeck-agent
  install -d -m 0700 -o "$AGENT_USER" -g "$AGENT_USER" /var/lib/fleetdeck-agent
  install -d -m 0750 -o root -g "$AGENT_USER" /var/log/fleetdeck-agent
}

configured() {
  add_user
  make_dirs
  if systemd_runs; then
    systemctl daemon-reload || true
    systemctl enable fleetdeck-agent >/dev/null 2>&1 || true
  fi
  "$SERVICE" restart
}

stop_agent() {
  if [ -x "$SERVICE" ]; then "$SERVICE" stop || true; fi
}

disable_agent() {
  if systemd_runs; then systemctl disable fleetdeck-agent >/dev/null 2>&1 || true; fi
}

purge_all() {
  rm -rf /etc/fleetdeck-agent /var/lib/fleetdeck-agent /var/log/fleetdeck-agent \
    /etc/systemd/system/fleetdeck-agent.service.d
  if getent passwd "$AGENT_USER" >/dev/null 2>&1; then userdel "$AGENT_USER" || true; fi
  if getent group "$AGENT_USER" >/dev/null 2>&1; then groupdel "$AGENT_USER" || true; fi
  if systemd_runs; then systemctl daemon-reload || true; fi
  echo "fleetdeck-agent: removed its user, configuration, state and logs"
}
