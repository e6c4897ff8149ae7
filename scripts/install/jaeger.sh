#!/usr/bin/env bash
# Builds Jaeger v2 (github.com/jaegertracing/jaeger, program cmd/jaeger) from the Go module
# proxy into the machine-wide cache and links it as .tools/bin/jaeger; prints its path.
# The release is JAEGER_VERSION in .env; the Go module version cut with it is the `tool`
# requirement in tools/go.mod (module v1.76.0 = Jaeger v2.13.0; a test keeps the two in step).
# `go install` refuses the module (it has a replace directive), hence the tools module.
#
# The binary has no embedded UI assets (they are not in the Go module): the query API and
# /api/traces work; the web UI on 16686 shows Jaeger's placeholder page. The image has the UI.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
load_pins
LOG_PREFIX=install-jaeger

module_version="$(sed -n 's#^[[:space:]]*github.com/jaegertracing/jaeger \(v[^ ]*\).*#\1#p' "$REPO_ROOT/tools/go.mod" | head -n1)"
if [ -z "$module_version" ]; then
  log "tools/go.mod has no github.com/jaegertracing/jaeger requirement"
  exit 1
fi
cached="$CACHE_DIR/bin/jaeger-$JAEGER_VERSION"

if [ ! -x "$cached" ]; then
  command -v go >/dev/null || { log "go is not installed (needs Go 1.24+ for the tool directive)"; exit 1; }
  log "building jaeger $JAEGER_VERSION (module $module_version)"
  mkdir -p "$(dirname "$cached")"
  started=$SECONDS
  tmp="$cached.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  version_pkg=github.com/jaegertracing/jaeger/internal/version
  GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build -C "$REPO_ROOT/tools" -trimpath \
    -ldflags "-s -w -X $version_pkg.latestVersion=v$JAEGER_VERSION -X $version_pkg.commitSHA=$module_version" \
    -o "$tmp" github.com/jaegertracing/jaeger/cmd/jaeger
  mv "$tmp" "$cached"
  log "built in $((SECONDS - started)) s"
fi
link_tool "$cached" jaeger
echo "$TOOLS_BIN/jaeger"
