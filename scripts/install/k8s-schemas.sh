#!/usr/bin/env bash
# Fetches the Kubernetes JSON schemas kubeconform validates the Helm chart against, offline
# afterwards: the kubernetes-validate wheel at KUBERNETES_VALIDATE_VERSION from PyPI (pip), its
# schemas for KUBERNETES_VERSION turned into self-contained files per kind (k8s_schemas.py), in
# the machine-wide cache and linked as .tools/kubernetes-json-schema. A second run, or a fresh
# clone on the same machine, only relinks. Prints the linked directory.
#
# kubeconform -kubernetes-version "$KUBERNETES_VERSION" -schema-location \
#   '.tools/kubernetes-json-schema/{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json'
set -euo pipefail
source "$(dirname "$0")/lib.sh"
load_pins
LOG_PREFIX=k8s-schemas

wheel_dir="$CACHE_DIR/pypi"
schemas="$CACHE_DIR/kubernetes-json-schema/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
ready="$schemas/v$KUBERNETES_VERSION-standalone-strict"

if [ ! -d "$ready" ]; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      log "python3 and pip are needed; run this script as root (or sudo apt-get install python3-pip)"
      exit 1
    fi
    log "apt package: python3-pip"
    [ -n "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  fi
  started=$SECONDS
  wheel="$wheel_dir/kubernetes_validate-$KUBERNETES_VALIDATE_VERSION-py3-none-any.whl"
  if [ ! -f "$wheel" ]; then
    log "downloading kubernetes-validate $KUBERNETES_VALIDATE_VERSION (about 23 MB)"
    python3 -m pip download --quiet --no-deps --only-binary :all: --dest "$wheel_dir" \
      "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  fi
  tmp="$schemas.tmp.$$"
  trap 'rm -rf "$tmp"' EXIT
  python3 "$REPO_ROOT/scripts/install/k8s_schemas.py" "$wheel" "$KUBERNETES_VERSION" "$tmp" >&2
  mkdir -p "$schemas"
  rm -rf "$schemas/v$KUBERNETES_VERSION-standalone"
  # Both flavours appear at once; the strict directory is what marks the cache complete.
  mv "$tmp/v$KUBERNETES_VERSION-standalone" "$schemas/"
  mv "$tmp/v$KUBERNETES_VERSION-standalone-strict" "$schemas/"
  log "schemas for Kubernetes $KUBERNETES_VERSION ready in $((SECONDS - started)) s"
fi
mkdir -p "$(dirname "$TOOLS_BIN")"
ln -sfn "$schemas" "$(dirname "$TOOLS_BIN")/kubernetes-json-schema"
echo "$(dirname "$TOOLS_BIN")/kubernetes-json-schema"
