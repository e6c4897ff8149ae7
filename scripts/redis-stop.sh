#!/usr/bin/env bash
# Stops the Redis that scripts/redis-start.sh started on the given port (default 6379).
set -euo pipefail
port="${1:-6379}"
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
