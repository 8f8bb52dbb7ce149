#!/usr/bin/env bash
# A Docker engine of the project's own: Debian's dockerd with its own data root, exec root, socket
# and pidfile and vfs storage, so it neither needs nor disturbs a system engine. The data root is
# kept between runs on one machine, so images built once (registry:2, the bases, syncgateway)
# are reused.
#
#   scripts/docker-engine.sh start   # starts it unless it already answers; prints DOCKER_HOST=unix://...
#   scripts/docker-engine.sh stop    # stops it (containers of a stopped engine are gone with it)
#   scripts/docker-engine.sh host    # prints the DOCKER_HOST value
#
# SYNCGATEWAY_DOCKER_DIR (default /var/lib/syncgateway-docker) holds the data root; the exec root,
# socket and pidfile are under /run/syncgateway-docker (short paths: socket paths are limited).
set -euo pipefail

state=${SYNCGATEWAY_DOCKER_DIR:-/var/lib/syncgateway-docker}
run=${SYNCGATEWAY_DOCKER_RUN:-/run/syncgateway-docker}
socket="$run/docker.sock"
pidfile="$run/dockerd.pid"
host="unix://$socket"

answers() {
  DOCKER_HOST="$host" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

case "${1:-}" in
  host)
    echo "$host"
    ;;
  start)
    if answers; then
      echo "DOCKER_HOST=$host"
      exit 0
    fi
    command -v dockerd >/dev/null 2>&1 || { echo "dockerd is not installed (apt-get install docker.io; scripts/install-prerequisites.sh does)" >&2; exit 1; }
    [ "$(id -u)" -eq 0 ] || { echo "starting dockerd needs root" >&2; exit 1; }
    mkdir -p "$state/data" "$run/exec"
    rm -f "$socket" "$pidfile"
    # containerd of its own too, so a system containerd is not needed (nor touched)
    nohup dockerd \
      --data-root "$state/data" \
      --exec-root "$run/exec" \
      --host "$host" \
      --pidfile "$pidfile" \
      --storage-driver vfs \
      --containerd-namespace syncgateway \
      --containerd-plugins-namespace syncgateway-plugins \
      >"$state/dockerd.log" 2>&1 &
    for _ in $(seq 1 120); do
      if answers; then
        echo "DOCKER_HOST=$host"
        exit 0
      fi
      if ! kill -0 $! 2>/dev/null; then
        echo "dockerd exited; its log ($state/dockerd.log) ends with:" >&2
        tail -n 20 "$state/dockerd.log" >&2
        exit 1
      fi
      sleep 0.5
    done
    echo "dockerd did not answer on $socket within 60 s; see $state/dockerd.log" >&2
    exit 1
    ;;
  stop)
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      # its own containers go first, so nothing of a test run is left running
      ids=$(DOCKER_HOST="$host" timeout 30 docker ps -q 2>/dev/null || true)
      [ -z "$ids" ] || DOCKER_HOST="$host" timeout 60 docker rm -f $ids >/dev/null 2>&1 || true
      kill "$pid"
      for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidfile"
    ;;
  *)
    echo "usage: $0 start|stop|host" >&2
    exit 2
    ;;
esac
