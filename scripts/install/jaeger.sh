#!/usr/bin/env bash
# Builds Jaeger v2 (github.com/jaegertracing/jaeger, program cmd/jaeger) from the Go module
# proxy into .tools/bin/jaeger, only when it is missing or was built from another version.
# The version is the `tool` dependency pinned in tools/go.mod (module v1.76.0 = Jaeger v2.13.0,
# the same release as the jaegertracing/jaeger:2.13.0 image in compose).
# The binary has no embedded UI assets (they are not in the Go module): the query API and
# /api/traces work; the web UI on 16686 shows Jaeger's placeholder page. Use the image for the UI.
#
#   bash scripts/install-jaeger.sh            # build if needed, print the path
#   JAEGER_BIN=/elsewhere/jaeger bash ...     # other output path
#
# A cold build (module download + compile) takes several minutes on 2 cores; a warm run
# (binary present, same version) returns in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

# Jaeger's v1 module tag and the v2 release it was cut with (both tags name one commit).
JAEGER_V2_VERSION="${JAEGER_V2_VERSION:-v2.13.0}"
bin="${JAEGER_BIN:-$root/.tools/bin/jaeger}"
stamp="$bin.version"
# A machine-wide copy outside the work tree, so a fresh clone (CI) links it instead of
# compiling Jaeger again.
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/sdlc-resource-stack"

module_version="$(sed -n 's#^[[:space:]]*github.com/jaegertracing/jaeger \(v[^ ]*\).*#\1#p' tools/go.mod | head -n1)"
if [ -z "$module_version" ]; then
  echo "install-jaeger: tools/go.mod has no github.com/jaegertracing/jaeger requirement" >&2
  exit 1
fi
want="$module_version $JAEGER_V2_VERSION"

if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$bin"
  exit 0
fi
cached="$cache_dir/jaeger-$JAEGER_V2_VERSION-$module_version"
if [ -x "$cached" ]; then
  mkdir -p "$(dirname "$bin")"
  ln -sf "$cached" "$bin"
  echo "$want" >"$stamp"
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null; then
  echo "install-jaeger: go is not installed (needs Go 1.24+ for the tool directive)" >&2
  exit 1
fi

echo "install-jaeger: building jaeger $JAEGER_V2_VERSION (module $module_version) into $bin" >&2
mkdir -p "$(dirname "$bin")"
started=$(date +%s)
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# -mod=mod: go.sum in tools/ is authoritative; GOFLAGS from the environment must not force vendor.
version_pkg=github.com/jaegertracing/jaeger/internal/version
GOFLAGS=-mod=mod CGO_ENABLED=0 go build -C tools -trimpath \
  -ldflags "-s -w -X $version_pkg.latestVersion=$JAEGER_V2_VERSION -X $version_pkg.commitSHA=$module_version" \
  -o "$tmp" github.com/jaegertracing/jaeger/cmd/jaeger
mkdir -p "$cache_dir"
mv "$tmp" "$cached"
ln -sf "$cached" "$bin"
echo "$want" >"$stamp"
echo "install-jaeger: built in $(($(date +%s) - started)) s" >&2
echo "$bin"
