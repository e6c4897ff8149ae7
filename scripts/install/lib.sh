# Shared by the install scripts (sourced, not run): the repository root, the pins from .env,
# and the machine-wide cache that lets a fresh clone (CI) reuse what an earlier run built.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/sdlc-resource-stack"
TOOLS_BIN="$REPO_ROOT/.tools/bin"

# Reads the pins (NAME=value lines, ${VAR} references allowed) without running anything else.
load_pins() {
  local line name value
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" =~ ^([A-Z0-9_]+)=(.*)$ ]] || continue
    name="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    # An explicit environment value wins (e.g. NODE_IMAGE for a one-off build).
    [ -n "${!name:-}" ] && continue
    value="$(eval "printf '%s' \"$value\"")"
    printf -v "$name" '%s' "$value"

  done <"$REPO_ROOT/.env"
}

log() { printf '%s: %s\n' "${LOG_PREFIX:-install}" "$*" >&2; }

# Links a cached binary into .tools/bin under its plain name.
link_tool() {
  mkdir -p "$TOOLS_BIN"
  ln -sfn "$1" "$TOOLS_BIN/$2"
}
