#!/usr/bin/env bash
# Installs everything the tests, the native stack and the offline images need, idempotently:
#
# - Debian packages: redis-server and redis-sentinel, prometheus (for promtool 2.x, which the
#   rules are also checked with), prometheus-redis-exporter, haproxy, wrk, mmdebstrap, and
#   docker.io when no Docker engine (dockerd) is installed. Installed with policy-rc.d 101, so
#   no daemon starts on a default port: the tests and the native stack own every process.
# - Go programs at the versions of .env (scripts/install/go-tools.sh): Task, Prometheus and
#   promtool 3.x, Alertmanager and amtool, Jaeger, the Docker Compose plugin, Helm,
#   kubeconform, vegeta; cached machine-wide, so a second run or a fresh clone takes seconds.
#
# SKIP_GO_TOOLS=1 skips the Go programs (.ci/run builds them in the background meanwhile).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
LOG_PREFIX=install-deps

need_apt=()
need() { command -v "$1" >/dev/null || need_apt+=("$2"); }
need redis-server redis-server
need redis-sentinel redis-sentinel
need /usr/bin/promtool prometheus
need prometheus-redis-exporter prometheus-redis-exporter
need haproxy haproxy
need wrk wrk
need mmdebstrap mmdebstrap
# A Docker engine for the compose stack and its tests; a machine with Docker's own packages
# (docker-ce) already has dockerd and keeps it.
need dockerd docker.io

if ((${#need_apt[@]})); then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${need_apt[*]}; run this script as root (or sudo apt-get install them)"
    exit 1
  fi
  log "apt packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] \
    || ! apt-cache show "${need_apt[0]}" >/dev/null 2>&1; then
    apt-get update -qq
  fi
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ "${SKIP_GO_TOOLS:-}" != 1 ]; then
  bash "$REPO_ROOT/scripts/install/go-tools.sh"
fi
bash "$REPO_ROOT/scripts/install/k8s-schemas.sh" >/dev/null
