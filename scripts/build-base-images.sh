#!/usr/bin/env bash
# The base images CI builds the shipped image from, made on this machine because no image
# registry is reachable (a user's build takes the official .NET images instead):
#   syncgateway-ci/bookworm   a Debian bookworm root filesystem from debootstrap (minbase, with
#                             ca-certificates and libssl3), imported: what the native executable
#                             needs to run, as the official runtime-deps image has it
# An image that is already there is kept (delete it to make it again). Needs root, debootstrap and
# a Docker engine (DOCKER_HOST).
set -euo pipefail
cd "$(dirname "$0")/.."
docker=$(bash scripts/docker-cli.sh)

if "$docker" image inspect syncgateway-ci/bookworm >/dev/null 2>&1; then
  echo "syncgateway-ci/bookworm: present, kept"
else
  command -v debootstrap >/dev/null 2>&1 || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  start=$SECONDS
  debootstrap --variant=minbase --include=ca-certificates,libssl3 bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  chmod 755 "$root"   # mktemp made it 0700: the image's / would be closed to a non-root user
  tar -C "$root" -c . | "$docker" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - syncgateway-ci/bookworm >/dev/null
  rm -rf "$root" "$root.log"
  trap - EXIT
  echo "syncgateway-ci/bookworm: made with debootstrap in $((SECONDS - start)) s"
fi
