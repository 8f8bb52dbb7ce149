#!/usr/bin/env bash
# The base images CI builds the shipped image from, made on this machine because no image
# registry is reachable (a user's build takes the official .NET images instead):
#   syncgateway-ci/bookworm   a Debian bookworm root filesystem from debootstrap (minbase, with
#                             ca-certificates and libssl3), imported
#   syncgateway-ci/aspnet     that, with the .NET and ASP.NET Core runtimes of this machine's
#                             dotnet in /usr/share/dotnet and /usr/bin/dotnet, as the official
#                             aspnet image has them
# An image that is already there is kept (delete it to make it again). Needs root, debootstrap and
# a Docker engine (DOCKER_HOST).
set -euo pipefail
cd "$(dirname "$0")/.."
docker=$(bash scripts/docker-cli.sh)

if "$docker" image inspect syncgateway-ci/bookworm >/dev/null 2>&1; then
  echo "syncgateway-ci/bookworm: present, kept"
else
  command -v debootstrap >/dev/null 2>&1 || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  start=$SECONDS
  debootstrap --variant=minbase --include=ca-certificates,libssl3 bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  chmod 755 "$root"   # mktemp made it 0700: the image's / would be closed to a non-root user
  tar -C "$root" -c . | "$docker" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - syncgateway-ci/bookworm >/dev/null
  rm -rf "$root" "$root.log"
  trap - EXIT
  echo "syncgateway-ci/bookworm: made with debootstrap in $((SECONDS - start)) s"
fi

if "$docker" image inspect syncgateway-ci/aspnet >/dev/null 2>&1; then
  echo "syncgateway-ci/aspnet: present, kept"
else
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  aspnet=$(ls -d "$dotnet_root"/shared/Microsoft.AspNetCore.App/10.* | sort -V | tail -n 1)
  netcore=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* | sort -V | tail -n 1)
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  mkdir -p "$context/dotnet/shared/Microsoft.AspNetCore.App" "$context/dotnet/shared/Microsoft.NETCore.App"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$context/dotnet/"
  cp -a "$aspnet" "$context/dotnet/shared/Microsoft.AspNetCore.App/"
  cp -a "$netcore" "$context/dotnet/shared/Microsoft.NETCore.App/"
  cat >"$context/Dockerfile" <<'DOCKERFILE'
FROM syncgateway-ci/bookworm
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY dotnet /usr/share/dotnet
# / open to every user even in a base imported before its mode was set
RUN chmod 755 / && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet && dotnet --list-runtimes
ENV DOTNET_RUNNING_IN_CONTAINER=true
DOCKERFILE
  start=$SECONDS
  DOCKER_BUILDKIT=1 "$docker" build -q -t syncgateway-ci/aspnet "$context" >/dev/null
  echo "syncgateway-ci/aspnet: made with the runtimes $(basename "$netcore") of $dotnet_root in $((SECONDS - start)) s"
fi
