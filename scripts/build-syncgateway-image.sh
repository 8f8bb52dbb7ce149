#!/usr/bin/env bash
# Builds the shipped image from this working tree the way CI does, with no image registry:
# the repository's Dockerfile, its base images given as build arguments (the local
# syncgateway-ci/aspnet, made by scripts/build-base-images.sh when absent) and the application
# published on this machine (framework-dependent, as the SDK stage would) instead of the SDK stage.
#   scripts/build-syncgateway-image.sh [TAG]    # default syncgateway:ci
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-syncgateway:ci}
docker=$(bash scripts/docker-cli.sh)
bash scripts/build-base-images.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
dotnet publish src/Gateway/SyncGateway.Gateway.csproj -c Release -o "$work/out" --nologo -v quiet >"$work/publish.log" 2>&1 \
  || { cat "$work/publish.log" >&2; exit 1; }
published=syncgateway-ci/published:$$
printf 'FROM scratch\nCOPY out /out\n' | DOCKER_BUILDKIT=1 "$docker" build -q -t "$published" -f - "$work" >/dev/null
DOCKER_BUILDKIT=1 "$docker" build -q \
  --build-arg RUNTIME_IMAGE=syncgateway-ci/aspnet \
  --build-arg PUBLISHED="$published" \
  -t "$tag" . >/dev/null
"$docker" rmi "$published" >/dev/null
echo "$tag: built in $((SECONDS - start)) s"
