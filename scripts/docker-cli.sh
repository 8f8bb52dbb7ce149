#!/usr/bin/env bash
# Prints the docker CLI the scripts build images with: one that builds with BuildKit (skipping the
# Dockerfile's stages a build does not use). Debian's docker.io CLI does with DOCKER_BUILDKIT=1;
# a newer CLI does through its buildx plugin; a newer CLI without buildx (such as a static
# docker in /usr/local/bin) would fall back to the legacy builder, so Debian's is preferred.
set -euo pipefail
if docker buildx version >/dev/null 2>&1; then
  command -v docker
elif [ -x /usr/bin/docker ]; then
  echo /usr/bin/docker
else
  echo "no docker CLI that builds with BuildKit: install docker.io (scripts/install-prerequisites.sh does) or the buildx plugin" >&2
  exit 1
fi
