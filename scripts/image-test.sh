#!/usr/bin/env bash
# The image test, run by CI after the other tests (see docs/deploy.md). As root, on Debian:
#   1. installs podman (with runc) and a compose client when missing;
#   2. makes the local base images when absent or stale (scripts/image-bases.sh);
#   3. builds the Dockerfile, unchanged, into localhost/modelyard:latest;
#   4. runs the smoke test (scripts/image-smoke.ts) on redis, an api and two workers started
#      here on the host's loopback;
#   5. runs it again on docker-compose.yml as it is (`up --scale worker=2`, no gpu profile),
#      through podman's Docker-compatible API.
# Every container, volume and network it makes is removed on exit, whatever happens.
#
# What this machine needs at build time and the Dockerfile must not know (it stays what Docker
# users build) goes in as build-time mounts: an npmrc naming the CA bundle npm's proxy needs and
# the Node headers, and a pip.conf naming the local pip index, mounted read-only.
#
# Environment: IMAGE_TEST_PARTS  which smoke tests to run (default "direct compose").
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=localhost/modelyard:latest
PARTS=${IMAGE_TEST_PARTS:-direct compose}
LABEL=org.modelyard.image-test
run_id=modelyard-it-$$
started=$(date +%s)

log() { printf '[image-test %s] %s\n' "$(date -u +%T)" "$*"; }
fail() { log "FAILED: $*" >&2; exit 1; }
elapsed() { echo "$(($(date +%s) - $1)) s"; }

[ "$(id -u)" = 0 ] || fail "run as root: the test uses rootful podman"

# One image test at a time on a machine: two would fight over the tag and the base images.
exec 9>/run/lock/modelyard-image-test.lock
flock --wait 3600 9 || fail "another image test still holds /run/lock/modelyard-image-test.lock"

work=$(mktemp -d /var/tmp/modelyard-image-test.XXXXXX)
service_pid=
health_pid=
child=
compose=()

# A long step runs in the background and is waited for, so that a TERM or an INT reaches the
# trap at once (bash runs no trap while a foreground command runs), and the trap can end it.
bounded() {
  local seconds=$1 status=0
  shift
  timeout "$seconds" "$@" &
  child=$!
  wait "$child" || status=$?
  child=
  return "$status"
}

containers() { podman ps --all --quiet --filter "label=$1" 2>/dev/null || true; }
# Without systemd, podman says at every start and removal that it cannot (un)schedule the
# container's healthcheck timer: noise here, where the test runs the healthchecks itself.
quiet() { podman "$@" 2> >(grep -v 'unable to get systemd connection' >&2) >/dev/null; }
start() { quiet run --detach "$@"; }

cleanup() {
  local status=$?
  set +e
  [ -n "$child" ] && kill "$child" 2>/dev/null && wait "$child" 2>/dev/null
  if [ "$status" != 0 ]; then
    for id in $(containers "$LABEL") $(containers com.docker.compose.project="$run_id"); do
      echo "----- last lines of $(podman inspect --format '{{.Name}}' "$id") -----" >&2
      podman logs --tail 40 "$id" 2>&1 | sed 's/^/  /' >&2
    done
  fi
  [ -n "$health_pid" ] && kill "$health_pid" 2>/dev/null
  if [ ${#compose[@]} -gt 0 ]; then
    timeout 180 "${compose[@]}" down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1
  fi
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
  # Whatever is left, also of an earlier run that was killed before its own clean-up.
  for id in $(containers "$LABEL") $(containers com.docker.compose.project); do
    case "$(podman inspect --format '{{index .Config.Labels "com.docker.compose.project"}}' "$id")" in
      modelyard-it-* | '<no value>' | '') quiet rm --force --time 5 "$id" ;;
    esac
  done
  podman volume ls --quiet | grep -E '^modelyard-it-' | xargs -r podman volume rm --force >/dev/null
  podman network ls --format '{{.Name}}' | grep -E '^modelyard-it-' | xargs -r podman network rm --force >/dev/null
  rm -rf "$work"
  if [ "$status" = 0 ]; then log "passed in $(elapsed "$started")"; else log "FAILED after $(elapsed "$started") (exit $status)" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# --- 1. the engine -------------------------------------------------------------------------
compose_client() {
  if docker compose version >/dev/null 2>&1; then echo "docker compose"; else echo docker-compose; fi
}
missing=()
for tool in podman buildah runc debootstrap slirp4netns fuse-overlayfs; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ "$(compose_client)" = docker-compose ] && ! command -v docker-compose >/dev/null && missing+=(docker-compose)
# Compose's services find each other by name (REDIS_URL=redis://redis:6379): on podman's CNI
# networks only the dnsname plugin answers those names, and no package that podman pulls in has it.
[ -x /usr/lib/cni/dnsname ] || missing+=(dnsname)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing the engine (missing: ${missing[*]})"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends \
    podman buildah runc crun fuse-overlayfs slirp4netns uidmap containernetworking-plugins catatonit \
    debootstrap docker-compose golang-github-containernetworking-plugin-dnsname >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log" >&2; fail "apt-get install"; }
fi
# runc: crun 1.8 refuses the hybrid cgroups of these machines. No systemd: cgroupfs, and
# healthchecks run only when asked (`podman healthcheck run`). Podman's default ulimits exceed
# what these machines allow, and runc then refuses to start a container: nofile at the hard
# limit; nproc at most 32768 (65536 was refused here, under a hard limit of 96362).
nproc=$(ulimit -Hu)
[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
export CONTAINERS_CONF=$work/containers.conf
podman info >/dev/null || fail "podman does not run here"

# --- 2. the base images --------------------------------------------------------------------
step=$(date +%s)
bounded 1800 scripts/image-bases.sh || fail "making the base images"
log "base images ready ($(elapsed "$step"))"

# --- 3. the build --------------------------------------------------------------------------
env_dir=$work/build-env
mkdir -p "$env_dir"
build=(--format docker --network host -v "$env_dir:/run/build-env:ro" -v "$env_dir/npmrc:/usr/local/etc/npmrc:ro")
cafile=$(npm config get cafile 2>/dev/null || true)
[ -f "$cafile" ] || cafile=${NODE_EXTRA_CA_CERTS:-}
{
  # The base image's Node keeps its headers in /usr/local/include/node: node-gyp needs no download.
  echo "nodedir=/usr/local"
  if [ -f "$cafile" ]; then cp "$cafile" "$env_dir/ca.crt" && echo "cafile=/run/build-env/ca.crt"; fi
  echo "registry=$(npm config get registry)"
} >"$env_dir/npmrc"
# This machine's pip settings, with every local index or wheel folder mounted where they name it.
pip_config=$(python3 -m pip config list 2>/dev/null || true)
pip_setting() { sed -n "s/^\(global\|:env:\)\.$1='\(.*\)'$/\2/p" <<<"$pip_config" | tail -n1; }
indexes=$(echo "$(pip_setting index-url) $(pip_setting extra-index-url)" | xargs)
find_links=$(pip_setting find-links)
if [ -n "$indexes$find_links" ]; then
  {
    echo "[global]"
    set -- $indexes
    [ $# -gt 0 ] && echo "index-url = $1" && shift
    [ $# -gt 0 ] && echo "extra-index-url = $*"
    [ -n "$find_links" ] && echo "find-links = $find_links"
    [ -f "$cafile" ] && echo "cert = /run/build-env/ca.crt"
  } >"$env_dir/pip.conf"
  build+=(-v "$env_dir/pip.conf:/etc/pip.conf:ro")
  for location in $indexes $find_links; do
    path=${location#file://}
    [ "$path" != "$location" ] || [ "${location:0:1}" = / ] || continue
    # A simple index links its files relative to itself (../../files/...): mount its parent.
    [ "$(basename "$path")" = simple ] && path=$(dirname "$path")
    [ -d "$path" ] && build+=(-v "$path:$path:ro")
  done
fi
step=$(date +%s)
log "building $IMAGE"
bounded 3600 podman build "${build[@]}" -t "$IMAGE" . >"$work/build.log" 2>&1 \
  || { tail -n 60 "$work/build.log" >&2; fail "podman build (the last 60 lines above)"; }
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
log "built $IMAGE: $(numfmt --to=si "$size")B ($(elapsed "$step"))"

# --- 4. smoke test: containers on the host's loopback ----------------------------------------
smoke() {
  bounded 1500 env SMOKE_API="$1" SMOKE_API_CONTAINER="$2" SMOKE_WORKER_CONTAINERS="$3" node --import tsx scripts/image-smoke.ts
}

if [[ " $PARTS " == *" direct "* ]]; then
  step=$(date +%s)
  redis_port=$(free_port)
  api_port=$(free_port)
  volume=$run_id-data
  podman volume create --label "$LABEL=$run_id" "$volume" >/dev/null
  start --name "$run_id-redis" --label "$LABEL=$run_id" --network host localhost/redis:7 \
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no || fail "starting redis"
  # HOST=127.0.0.1: on the host's network the api and the workers' /metrics listen on loopback only.
  common=(--label "$LABEL=$run_id" --network host -v "$volume:/data" -e "REDIS_URL=redis://127.0.0.1:$redis_port"
    -e TF_BACKEND=tensorflow -e HOST=127.0.0.1 -e "PORT=$api_port" -e "GRPC_PORT=$(free_port)" -e "TFSERVING_PORT=$(free_port)")
  start --name "$run_id-api" "${common[@]}" "$IMAGE" api || fail "starting the api"
  for n in 1 2; do
    start --name "$run_id-worker-$n" "${common[@]}" -e "WORKER_METRICS_PORT=$(free_port)" "$IMAGE" worker || fail "starting worker $n"
  done
  log "smoke test on containers on the host's loopback (api on :$api_port)"
  smoke "http://127.0.0.1:$api_port" "$run_id-api" "$run_id-worker-1,$run_id-worker-2" || fail "smoke test of the containers"
  quiet rm --force --time 60 $(containers "$LABEL=$run_id")
  podman volume rm "$volume" >/dev/null
  log "containers: smoke test passed ($(elapsed "$step"))"
fi

# --- 5. smoke test: docker-compose.yml as it is --------------------------------------------
if [[ " $PARTS " == *" compose "* ]]; then
  step=$(date +%s)
  socket=$work/podman.sock
  podman system service --time=0 "unix://$socket" >"$work/service.log" 2>&1 &
  service_pid=$!
  for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done
  [ -S "$socket" ] || fail "podman system service did not open $socket"
  export DOCKER_HOST=unix://$socket
  read -r -a compose <<<"$(compose_client)"
  compose+=(--project-name "$run_id" --file docker-compose.yml)
  api_port=$(free_port)
  # Podman runs no healthcheck on its own here: run them while compose waits for a healthy Redis.
  (
    while sleep 2; do
      for id in $(podman ps --quiet --filter "label=com.docker.compose.project=$run_id" --filter health=starting); do
        podman healthcheck run "$id" >/dev/null 2>&1
      done
    done
  ) &
  health_pid=$!
  log "docker-compose.yml with ${compose[0]}: up --scale worker=2 (api on 127.0.0.1:$api_port)"
  MODELYARD_PORT=127.0.0.1:$api_port MODELYARD_GRPC_PORT=127.0.0.1:$(free_port) MODELYARD_TFSERVING_PORT=127.0.0.1:$(free_port) bounded 600 "${compose[@]}" up --detach --no-build --scale worker=2 >"$work/compose.log" 2>&1 \
    || { cat "$work/compose.log" >&2; fail "compose up"; }
  kill "$health_pid" && health_pid=
  service_container() {
    podman ps --filter "label=com.docker.compose.project=$run_id" --filter "label=com.docker.compose.service=$1" \
      --format '{{.Names}}' | sort | paste -sd, -
  }
  [ "$(service_container worker-gpu)" = "" ] || fail "compose started the gpu profile's worker-gpu"
  smoke "http://127.0.0.1:$api_port" "$(service_container api)" "$(service_container worker)" || fail "smoke test of docker-compose.yml"
  bounded 180 "${compose[@]}" down --volumes --timeout 30 >/dev/null 2>&1 || fail "compose down"
  compose=()
  log "docker-compose.yml: smoke test passed ($(elapsed "$step"))"
fi
