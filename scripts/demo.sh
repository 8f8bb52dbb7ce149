#!/usr/bin/env bash
# The main job on a local default setup: two registries on this machine (source 127.0.0.1:5001,
# destination 127.0.0.1:5002, each a docker-registry process with its own storage folder), a few
# images seeded into the source, then `syncgateway sync` with an image-syncer configuration, run
# twice to show that the second run has nothing to copy. Everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prerequisites.sh

work=$(mktemp -d)
pids=()
source scripts/lib/local-registries.sh
trap stop_local_registries EXIT
start_local_registries

echo "== seeding the source registry"
dotnet run -c Release --project bench/SyncGateway.Bench -- seed 127.0.0.1:5001 demo
dotnet build src/Gateway -c Release --nologo -v quiet

echo "== syncgateway sync --config examples/local/image-syncer.yaml"
dotnet src/Gateway/bin/Release/net10.0/syncgateway.dll sync --config examples/local/image-syncer.yaml --records "$work/records.db"
echo "== the same again: nothing left to copy"
dotnet src/Gateway/bin/Release/net10.0/syncgateway.dll sync --config examples/local/image-syncer.yaml --records "$work/records.db"
echo "== the destination now holds"
for repository in mirror/nginx mirror/redis mirror/api backup/api; do
  echo "  $repository: $(curl -fs "http://127.0.0.1:5002/v2/$repository/tags/list")"
done
