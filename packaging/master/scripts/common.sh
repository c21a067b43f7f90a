# Shared by the master package's maintainer scripts (scripts/package-master.mjs puts it at the top of
# each). POSIX sh.
MASTER_USER=fleetdeck
DATA_DIR=/var/lib/fleetdeck
has() { command -v "$1" >/dev/null 2>&1; }
systemd_runs() { [ -d /run/systemd/system ] && has systemctl; }

configured() {
  if ! getent passwd "$MASTER_USER" >/dev/null 2>&1; then
    nologin=/usr/sbin/nologin
    [ -x "$nologin" ] || nologin=/sbin/nologin
    useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home --shell "$nologin" \
      --comment 'FleetDeck master' "$MASTER_USER"
    echo "fleetdeck: created the system user $MASTER_USER"
  fi
  install -d -m 0750 -o "$MASTER_USER" -g "$MASTER_USER" "$DATA_DIR"
  # The settings may hold the database password: root's, readable by the master's group.
  chown "root:$MASTER_USER" /etc/fleetdeck/master.env
  chmod 0640 /etc/fleetdeck/master.env
  if systemd_runs; then
    systemctl daemon-reload || true
    systemctl enable fleetdeck >/dev/null 2>&1 || true
    systemctl restart fleetdeck
    echo 'fleetdeck: the master runs (systemctl status fleetdeck; logs: journalctl -u fleetdeck); the admin token: cat /var/lib/fleetdeck/admin-token'
  else
    echo 'fleetdeck: no systemd on this host, so the master was not started; start it with:'
    echo "  setsid runuser -u $MASTER_USER -- /opt/fleetdeck/fleetdeck master --data-dir $DATA_DIR (plus the flags in /etc/fleetdeck/master.env)"
  fi
}

stop_master() {
  if systemd_runs; then systemctl stop fleetdeck 2>/dev/null || true; fi
}

purge_all() {
  rm -rf /etc/fleetdeck
  if getent passwd "$MASTER_USER" >/dev/null 2>&1; then userdel "$MASTER_USER" || true; fi
  if getent group "$MASTER_USER" >/dev/null 2>&1; then groupdel "$MASTER_USER" || true; fi
  if systemd_runs; then systemctl daemon-reload || true; fi
  # The database and keys are not the package's to throw away.
  if [ -d "$DATA_DIR" ]; then echo "fleetdeck: kept the data in $DATA_DIR (the database, TLS identity and keys): remove it by hand"; fi
}
