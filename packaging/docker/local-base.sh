#!/bin/sh
# Makes a base image from this machine's own C libraries (what the standalone master links), for
# building the Dockerfile where no registry is reachable:
#   sh packaging/docker/local-base.sh && podman build --build-arg BASE=localhost/fleetdeck-base -t fleetdeck .
# Only for trying the image out: a real image uses the Debian base the Dockerfile names.
set -eu
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/tmp" "$ROOT/etc"
chmod 1777 "$ROOT/tmp"
for lib in $(ldd out/master/fleetdeck out/master/better_sqlite3.node out/master/argon2.node | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' | sort -u); do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
printf 'root:x:0:0::/root:/bin/false\nfleetdeck:x:10001:10001::/var/lib/fleetdeck:/bin/false\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nfleetdeck:x:10001:\n' >"$ROOT/etc/group"
printf 'hosts: files dns\n' >"$ROOT/etc/nsswitch.conf"
tar -C "$ROOT" -c . | podman import - localhost/fleetdeck-base
