#!/usr/bin/env bash
# Starts a daemonized redis-server with infra/redis/redis.conf on the given port (default 6379).
# Idempotent: does nothing when a Redis already answers on that port.
set -euo pipefail
port="${1:-6379}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if redis-cli -p "$port" ping >/dev/null 2>&1; then
  echo "redis already answers on 127.0.0.1:$port"
  exit 0
fi
mkdir -p "$root/.tmp"
conf=()
[ -f "$root/infra/redis/redis.conf" ] && conf=("$root/infra/redis/redis.conf")
redis-server "${conf[@]}" --port "$port" --bind 127.0.0.1 --daemonize yes \
  --pidfile "$root/.tmp/redis-$port.pid" --logfile "$root/.tmp/redis-$port.log" --dir "$root/.tmp"
for _ in $(seq 1 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "redis listening on 127.0.0.1:$port"; exit 0; }
  sleep 0.1
done
echo "redis did not answer on port $port; see $root/.tmp/redis-$port.log" >&2
exit 1
