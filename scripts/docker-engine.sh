#!/usr/bin/env bash
# A Docker engine for the compose stack and its tests, where none runs (CI, a fresh machine):
#
#   bash scripts/docker-engine.sh start   # starts dockerd unless an engine already answers
#   bash scripts/docker-engine.sh stop    # stops the dockerd this script started, by its PID
#
# Its data root is its own and stays between runs (DOCKER_DATA_ROOT, default
# /var/lib/sdlc-resource-stack/docker), so the offline images and build cache survive and the
# next run reuses them. Needs root and Debian's docker.io (scripts/install/deps.sh).
set -euo pipefail
source "$(dirname "$0")/install/lib.sh"
LOG_PREFIX=docker-engine
DATA_ROOT="${DOCKER_DATA_ROOT:-/var/lib/sdlc-resource-stack/docker}"
RUN_DIR="${DOCKER_RUN_DIR:-/run/sdlc-resource-stack}"
PID_FILE="$RUN_DIR/dockerd.pid"
LOG_FILE="$CACHE_DIR/dockerd.log"

case "${1:-}" in
  start)
    if docker info >/dev/null 2>&1; then
      log "an engine already answers; not starting one"
      exit 0
    fi
    command -v dockerd >/dev/null || { log "dockerd is not installed (scripts/install/deps.sh)"; exit 1; }
    mkdir -p "$DATA_ROOT" "$RUN_DIR" "$(dirname "$LOG_FILE")"
    # Own data root, exec root and pidfile: nothing shared with a system-managed engine.
    nohup dockerd --data-root "$DATA_ROOT" --exec-root "$RUN_DIR/exec" --pidfile "$PID_FILE" \
      >>"$LOG_FILE" 2>&1 </dev/null &
    for _ in $(seq 1 60); do
      docker info >/dev/null 2>&1 && { log "dockerd $(cat "$PID_FILE") answers (data root $DATA_ROOT)"; exit 0; }
      sleep 0.5
    done
    log "dockerd did not answer within 30 s; last lines of $LOG_FILE:"
    tail -n 20 "$LOG_FILE" >&2
    exit 1
    ;;
  stop)
    [ -f "$PID_FILE" ] || { log "no dockerd started by this script"; exit 0; }
    pid="$(cat "$PID_FILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      log "dockerd $pid stopped"
    fi
    rm -f "$PID_FILE"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
