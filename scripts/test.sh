#!/usr/bin/env bash
# The test command: sets up what it needs on a fresh clone (venv, Python packages, Azurite, oav)
# and runs every test. Stages can be picked: scripts/test.sh unit conformance integration oav sanity lint
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
source "$(dirname "$0")/lib/ansible_test_pip.sh"

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(unit conformance integration oav sanity lint changelog)
want() { local s; for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

setup_python test-requirements.txt
setup_node
setup_collection_path

export PYTHONPATH="$ROOT/tests"
# The machine's CA bundle variables would otherwise leak into tests; each test that talks to the
# emulator sets them to the emulator's CA itself.
unset REQUESTS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE
out="$ROOT/build/test-output"
rm -rf "$out" && mkdir -p "$out"
export AMLOPS_TRAFFIC_DIR="$out/traffic"
mkdir -p "$AMLOPS_TRAFFIC_DIR"
failed=()
run() { local name="$1"; shift; log "$name"; SECONDS=0; if "$@"; then log "$name: ok (${SECONDS}s)"; else log "$name: FAILED (${SECONDS}s)"; failed+=("$name"); fi; }

pytest_args=(-q -p no:cacheprovider -o junit_family=xunit2)
want unit && run "unit tests" "$PY" -m pytest "${pytest_args[@]}" tests/unit --junitxml "$out/unit.xml"
want conformance && run "emulator conformance tests" "$PY" -m pytest "${pytest_args[@]}" tests/conformance --junitxml "$out/conformance.xml"
# The stage is CPU-bound (each playbook run is ~1 s of ansible start-up plus ~0.7 s of Python and SDK imports
# per module, the emulator's share is negligible): 2 workers on CI's 2 cores. --durations keeps the slowest
# tests visible in every run's log.
want integration && run "integration tests (ansible-playbook against the emulator)" "$PY" -m pytest "${pytest_args[@]}" -n 2 --dist loadfile --durations=25 tests/integration --junitxml "$out/integration.xml"
want oav && run "oav validate-traffic over the recorded traffic" "$PY" -m emulator.oav_check "$AMLOPS_TRAFFIC_DIR" --report "$out/oav-report.json"

if want sanity; then
  sanity() {
    # ansible-test wants the collection at ansible_collections/<ns>/<name>, in a git repository of its
    # own (inside this repo's ignored build/ it would see no files): copy what git knows (tracked and
    # new, not ignored) into a fresh tree outside the checkout.
    local top dest
    top=$(mktemp -d)
    dest="$top/ansible_collections/amlops/bcdr"
    mkdir -p "$dest"
    (cd "$ROOT" && git ls-files -co --exclude-standard | grep -v '^tests/emulator/specs/' |
      while read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done | tar -cf - -T -) | tar -xf - -C "$dest"
    (cd "$dest" && git init -q && git add -A)
    prime_ansible_test_pip
    local rc=0
    (cd "$dest" && "$VENV/bin/ansible-test" sanity --venv --python "$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no) || rc=$?
    rm -rf "$top"
    return $rc
  }
  run "ansible-test sanity" sanity
fi
if want lint; then
  run "ansible-lint (production profile)" env ANSIBLE_LINT_SKIP_SCHEMA_UPDATE=1 \
    "$VENV/bin/ansible-lint" --offline --profile production
fi
if want changelog; then
  run "changelog fragments (antsibull-changelog lint)" "$VENV/bin/antsibull-changelog" lint
fi

if [ ${#failed[@]} -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "all stages passed: ${stages[*]}"
