#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need on a fresh Debian machine:
# the CNCF distribution registry (docker-registry), skopeo, htpasswd (apache2-utils), Prometheus
# and promtool (the metrics tests scrape the daemon with a real Prometheus), tinyproxy (a real
# forward proxy for the proxy tests), containerd and ctr (the kubelet's pull path, pulling through the
# gateway as a mirror), podman (pulls through the gateway with vfs storage, no daemon) and GNU time (peak memory in the benchmarks). Idempotent; needs root or sudo.
set -euo pipefail
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
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
