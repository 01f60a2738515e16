#!/usr/bin/env bash
# The demo command: sets up what it needs on a fresh clone, starts the local Azure emulator (with
# Azurite for blobs), runs the DR story against it (tests/demo/run_demo.py: provision, seed with
# MLClient, sync, failover while the primary region hangs, failback) and stops everything it started.
# Exits non-zero at the first step that does not hold; playbook output is kept in build/demo-logs/.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
setup_python test-requirements.txt
setup_node
setup_collection_path
unset REQUESTS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE
export PYTHONPATH="$ROOT/tests"
exec "$PY" "$ROOT/tests/demo/run_demo.py" "$@"
