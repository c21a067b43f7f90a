# The FleetDeck master as a container: the standalone master (npm run dist:master builds out/master on
# a machine of the image's architecture) on a Debian base. No RUN step, so it builds with any builder
# (docker, podman, buildah) and any glibc base that has libstdc++ (BASE; default Debian 12 slim).
#   npm run dist:master && podman build -t fleetdeck .
#   podman run -d -p 7080:7080 -p 7443:7443 -v fleetdeck-data:/var/lib/fleetdeck fleetdeck
# The admin token is in the volume (cat /var/lib/fleetdeck/admin-token) unless FLEETDECK_ADMIN_TOKEN is
# set; docker-compose.yml runs it on MariaDB.
ARG BASE=docker.io/library/debian:bookworm-slim
FROM ${BASE}
COPY out/master/ /opt/fleetdeck/
# The data directory, owned by the master's user (uid 10001, no name needed in the image).
COPY --chown=10001:10001 packaging/docker/data/ /var/lib/fleetdeck/
USER 10001:10001
ENV HOME=/var/lib/fleetdeck FLEETDECK_DATA_DIR=/var/lib/fleetdeck MALLOC_MMAP_THRESHOLD_=65536
VOLUME /var/lib/fleetdeck
# 7080: admin UI and API (put a TLS proxy in front), 7443: the agent gateway (TLS, pinned by agents).
EXPOSE 7080 7443
ENTRYPOINT ["/opt/fleetdeck/fleetdeck"]
CMD ["master", "--data-dir", "/var/lib/fleetdeck", "--admin-listen", "0.0.0.0:7080", "--agent-listen", "0.0.0.0:7443"]
