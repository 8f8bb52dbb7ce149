#!/usr/bin/env bash
# Runs every test: unit tests and integration tests against real registries started as local
# processes (Debian's docker-registry), with skopeo as an independent client.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in docker-registry skopeo htpasswd; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "The tests need: ${missing[*]}. Install them with scripts/install-prerequisites.sh (apt: docker-registry skopeo apache2-utils)." >&2
  exit 1
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
dotnet test SyncGateway.sln --configuration Release --logger "trx" --results-directory "$results" "$@" || status=$?

# One plain closing line for every runner that reads it: the sum over all test assemblies.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
