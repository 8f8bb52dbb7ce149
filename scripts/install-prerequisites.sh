#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need on a fresh Debian machine:
# the CNCF distribution registry (docker-registry), skopeo, htpasswd (apache2-utils), Prometheus
# and promtool (the metrics tests scrape the daemon with a real Prometheus), tinyproxy (a real
# forward proxy for the proxy tests), GNU time (peak memory in the benchmarks), and for the
# container tests Debian's Docker engine and CLI (docker.io), debootstrap (CI's base image) and
# docker-compose (the quick start). Idempotent; needs root or sudo.
set -euo pipefail
packages=()
command -v docker-registry >/dev/null 2>&1 || packages+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || packages+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || packages+=(apache2-utils)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || packages+=(prometheus)
[ -x /usr/bin/time ] || packages+=(time)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/sbin/tinyproxy ] || packages+=(tinyproxy)
[ -x /bin/kill ] || packages+=(procps)
# dockerd, and Debian's docker CLI in /usr/bin (it builds with BuildKit without a buildx plugin;
# another docker CLI earlier on PATH is fine for everything else)
{ command -v dockerd && [ -x /usr/bin/docker ]; } >/dev/null 2>&1 || packages+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || packages+=(debootstrap)
command -v docker-compose >/dev/null 2>&1 || packages+=(docker-compose)   # the reload tests send SIGHUP with kill
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
