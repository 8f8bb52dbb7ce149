#!/usr/bin/env bash
# Makes the image registry:2 locally from Debian's docker-registry binary (the CNCF distribution
# registry, the code of Docker Hub's registry:2) when the engine has no registry:2 yet: a root
# filesystem with the binary, the libraries it links, and the same default configuration and
# layout as the official image (config /etc/docker/registry/config.yml, storage /var/lib/registry,
# port 5000), imported with `docker import`. An engine that already has registry:2 (pulled from
# Docker Hub, or made by an earlier run) keeps it.
set -euo pipefail
image=${1:-registry:2}
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image: present, kept"
  exit 0
fi
binary=$(command -v docker-registry) || { echo "docker-registry is not installed (apt-get install docker-registry)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"   # mktemp made it 0700
mkdir -p "$root/bin" "$root/etc/docker/registry" "$root/var/lib/registry" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$binary" "$root/bin/registry"
# the dynamic loader and libraries the binary links (libc for a cgo build)
for lib in $(ldd "$binary" | grep -oE '/[^ ]+'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cat >"$root/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
YAML
version=$(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null || echo unknown)
tar -C "$root" -c . | docker import \
  --change 'ENTRYPOINT ["/bin/registry", "serve"]' \
  --change 'CMD ["/etc/docker/registry/config.yml"]' \
  --change 'EXPOSE 5000' \
  --change 'VOLUME ["/var/lib/registry"]' \
  --change "LABEL org.opencontainers.image.description=\"registry:2 made locally from Debian's docker-registry $version\"" \
  - "$image" >/dev/null
echo "$image: made from Debian's docker-registry $version"
