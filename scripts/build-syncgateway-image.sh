#!/usr/bin/env bash
# Builds the shipped image from this working tree the way CI does, with no image registry:
# the repository's Dockerfile, its runtime base given as a build argument (the local
# syncgateway-ci/bookworm, made by scripts/build-base-images.sh when absent) and the application
# published on this machine instead of in the SDK stage: the Dockerfile's own publish command, run
# on a copy of the sources as the Dockerfile copies them (so this tree's obj/ is left alone).
# The native compile takes a few minutes of both cores; SYNCGATEWAY_PUBLISHED names a folder
# holding that publish already (the tests make it once and share it).
#   scripts/build-syncgateway-image.sh [TAG]    # default syncgateway:ci
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-syncgateway:ci}
docker=$(bash scripts/docker-cli.sh)
bash scripts/build-base-images.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
if [ -n "${SYNCGATEWAY_PUBLISHED:-}" ]; then
  mkdir -p "$work/out"
  cp "$SYNCGATEWAY_PUBLISHED/syncgateway" "$SYNCGATEWAY_PUBLISHED/libe_sqlite3.so" "$work/out/"
else
  publish=$(grep -m1 -oP '^RUN dotnet publish \K.*' Dockerfile)
  mkdir -p "$work/src"
  cp Directory.Build.props Directory.Packages.props .editorconfig "$work/src/"
  tar -C . --exclude=bin --exclude=obj -c src | tar -C "$work/src" -x
  # shellcheck disable=SC2086 # the Dockerfile's arguments, split as its shell splits them
  (cd "$work/src" && dotnet publish ${publish//-o \/out/-o $work/out} -v quiet >"$work/publish.log" 2>&1) \
    || { cat "$work/publish.log" >&2; exit 1; }
fi
published=syncgateway-ci/published:$$
printf 'FROM scratch\nCOPY out /out\n' | DOCKER_BUILDKIT=1 "$docker" build -q -t "$published" -f - "$work" >/dev/null
DOCKER_BUILDKIT=1 "$docker" build -q \
  --build-arg RUNTIME_IMAGE=syncgateway-ci/bookworm \
  --build-arg PUBLISHED="$published" \
  -t "$tag" . >/dev/null
"$docker" rmi "$published" >/dev/null
echo "$tag: built in $((SECONDS - start)) s"
