#!/usr/bin/env bash
# The five-minute demo of the daemon: two local registries (source 127.0.0.1:5001, mirror
# 127.0.0.1:5002), images seeded, `syncgateway serve` on 127.0.0.1:5000 in front of the source,
# then a push through the gateway shown replicated to the mirror within seconds, and a read
# served from the mirror. Everything is removed at the end.
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

echo "== syncgateway serve --config examples/local/gateway.yaml (bulk sync at start, then events)"
export WEBHOOK_SECRET=demo-secret
dotnet src/Gateway/bin/Release/net10.0/syncgateway.dll serve --config examples/local/gateway.yaml --records "$work/records.db" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs http://127.0.0.1:5000/readyz >/dev/null && break; sleep 0.2; done
curl -fs http://127.0.0.1:5000/readyz >/dev/null || { echo "serve did not start: $(cat "$work/serve.log")" >&2; exit 1; }
sleep 2

echo "== push team/web:2.0 through the gateway (skopeo copy into 127.0.0.1:5000)"
skopeo copy --src-tls-verify=false --dest-tls-verify=false docker://127.0.0.1:5001/team/api:1.1 docker://127.0.0.1:5000/team/web:2.0
for i in $(seq 100); do
  if curl -fs -o /dev/null "http://127.0.0.1:5002/v2/mirror/web/manifests/2.0" -H "Accept: application/vnd.oci.image.manifest.v1+json"; then
    echo "   replicated to the mirror as 127.0.0.1:5002/mirror/web:2.0 after $((i / 10)).$((i % 10)) s"
    break
  fi
  sleep 0.1
done

echo "== a read through the gateway names the backend that served it"
curl -fs -o /dev/null -D - "http://127.0.0.1:5000/v2/team/web/manifests/2.0" -H "Accept: application/vnd.oci.image.manifest.v1+json" | grep -i '^x-syncgateway-backend'
echo "== /api/status"
curl -fs http://127.0.0.1:5000/api/status | head -c 600; echo
echo "== the replicator's metrics"
curl -fs http://127.0.0.1:5000/metrics | grep -E '^syncgateway_(replicator_tasks_total|gateway_requests_total\{backend="mirror",method="GET",result="2xx"\})'
