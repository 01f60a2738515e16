# shellcheck shell=bash
# Shared set-up for the README's two commands: a project venv and the npm test tooling.
# Sourced by scripts/demo.sh and scripts/test.sh. Idempotent: a stamp of the requirement files'
# hash skips the install when nothing changed.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV="${AMLOPS_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

pick_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "Python 3.10 or newer is required (set PYTHON=/path/to/python3)" >&2
  return 1
}

# setup_python <requirements file>
setup_python() {
  local req="$1" stamp want
  if [ ! -x "$PY" ]; then
    log "creating virtualenv $VENV"
    "$(pick_python)" -m venv "$VENV"
    "$PY" -m pip install -q --upgrade pip
  fi
  want=$(cat "$ROOT/requirements.txt" "$ROOT/$req" | sha256sum | cut -c1-16)
  stamp="$VENV/.amlops-$(basename "$req").stamp"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Python packages from $req"
    # (grep: this machine's pip configuration names local indexes that may not exist; their warnings are noise)
    "$PY" -m pip install -q -r "$ROOT/$req" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
    echo "$want" >"$stamp"
  fi
}

setup_node() {
  local stamp="$ROOT/node_modules/.amlops.stamp" want
  command -v npm >/dev/null 2>&1 || { echo "npm (Node.js 18+) is required for Azurite" >&2; return 1; }
  want=$(sha256sum "$ROOT/package-lock.json" | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Azurite and oav from npm"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
}

# The collection must sit under ansible_collections/amlops/bcdr for ansible-playbook to resolve it;
# a symlink keeps the working tree live.
setup_collection_path() {
  local base="$ROOT/build/collections"
  mkdir -p "$base/ansible_collections/amlops"
  ln -sfn "$ROOT" "$base/ansible_collections/amlops/bcdr"
  export ANSIBLE_COLLECTIONS_PATH="$base"
}
