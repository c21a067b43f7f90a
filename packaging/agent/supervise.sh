#!/bin/sh
# FleetDeck supervisor, for hosts without systemd: runs a command again 5 s after it exits, and keeps
# its output in LOG, never more than MAX_BYTES bytes, plus the previous file LOG.1 (so at most twice
# that on disk). A line longer than MAX_BYTES is replaced by a note saying so: the cap always holds.
#   supervise.sh LOG MAX_BYTES COMMAND [ARG...]
set -u
[ $# -ge 3 ] || {
  echo 'usage: supervise.sh LOG MAX_BYTES COMMAND [ARG...]' >&2
  exit 2
}
LOG=$1
MAX=$2
shift 2
# Runs in its pipeline's subshell: the C locale (where ${#line} counts bytes) is not the command's.
log_lines() {
  LC_ALL=C
  export LC_ALL
  size=0
  if [ -f "$LOG" ]; then size=$(wc -c <"$LOG"); fi
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((${#line} + 1))
    if [ "$n" -gt "$MAX" ]; then
      line="[fleetdeck supervisor: a line of $n bytes was left out]"
      n=$((${#line} + 1))
    fi
    if [ $((size + n)) -gt "$MAX" ]; then
      mv -f "$LOG" "$LOG.1"
      size=0
    fi
    printf '%s\n' "$line" >>"$LOG"
    size=$((size + n))
  done
}

# TERM from the service script reaches the whole process group (this shell, the command, the logger).
trap 'exit 0' TERM INT
while true; do
  "$@" 2>&1 | log_lines
  echo "fleetdeck supervisor: $1 exited; starting it again in 5 s" | log_lines
  sleep 5
done
