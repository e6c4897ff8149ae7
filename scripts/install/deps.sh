#!/usr/bin/env bash
# Installs the native binaries the tests and the native stack need, idempotently.
# Debian packages: redis-server, prometheus/promtool, alertmanager/amtool, redis exporter,
# docker-compose (for static compose validation only; no engine is needed).
# Go tools: Task (pinned). Each step is skipped when its binary is already present, so a
# second run costs well under a second.
set -euo pipefail

TASK_VERSION="${TASK_VERSION:-v3.54.0}"
GOBIN="${GOBIN:-$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin}"

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v prometheus >/dev/null || need_apt+=(prometheus)
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need_apt+=(prometheus-alertmanager)
command -v prometheus-redis-exporter >/dev/null || need_apt+=(prometheus-redis-exporter)
command -v docker-compose >/dev/null || need_apt+=(docker-compose)

if ((${#need_apt[@]})); then
  echo "install-deps: apt packages: ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The Debian packages ship systemd units and would start daemons on the default ports;
  # policy-rc.d 101 forbids that, so the tests and the native stack own every process.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] \
     || ! apt-cache show "${need_apt[0]}" >/dev/null 2>&1; then
    apt-get update -qq
  fi
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

if ! command -v task >/dev/null && [ ! -x "$GOBIN/task" ]; then
  echo "install-deps: go install github.com/go-task/task/v3/cmd/task@${TASK_VERSION}" >&2
  GOFLAGS=-mod=mod go install "github.com/go-task/task/v3/cmd/task@${TASK_VERSION}"
fi

# Jaeger v2 for the native stack and the tracing tests (cached machine-wide after one build).
# .ci/run builds it in the background while apt and npm ci run, and skips it here.
if [ "${SKIP_JAEGER_INSTALL:-}" != 1 ]; then
  bash "$(dirname "$0")/install-jaeger.sh" >/dev/null
fi
