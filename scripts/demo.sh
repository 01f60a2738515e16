#!/usr/bin/env bash
# The demo command: sets up what it needs on a fresh clone, starts the local Azure emulator (with
# Azurite for blobs), runs the demo playbook against it, and stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
setup_python test-requirements.txt
setup_node
setup_collection_path
unset REQUESTS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE
export PYTHONPATH="$ROOT/tests"
exec "$PY" "$ROOT/tests/demo/run_demo.py" "$@"
