#!/usr/bin/env bash
# One command for the benchmarks: installs prerequisites, publishes syncgateway (Release) and
# runs the workloads against local registries. Arguments pick workloads: small layered large gateway fill far scale rehearsal.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prerequisites.sh
dotnet publish src/Gateway -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o bench/out/syncgateway --nologo -v quiet
dotnet run -c Release --project bench/SyncGateway.Bench -- bench/out/syncgateway/syncgateway "$@" | tee bench/results.md
