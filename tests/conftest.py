"""Shared test fixtures: ``tests/`` on sys.path (the emulator imports as ``emulator``), a
session-wide emulator, and a real azure-identity credential for it."""

import os
import sys

import pytest

_TESTS = os.path.dirname(os.path.abspath(__file__))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """One emulator for the session (strict responses; traffic recorded to
    $AMLOPS_TRAFFIC_DIR when set)."""
    from emulator.harness import Emulator

    state_dir = tmp_path_factory.mktemp("emulator-state")
    traffic = os.environ.get("AMLOPS_TRAFFIC_DIR") or None
    if traffic and os.environ.get("PYTEST_XDIST_WORKER"):
        # one emulator per xdist worker: each records into a folder of its own
        traffic = os.path.join(traffic, os.environ["PYTEST_XDIST_WORKER"])
    emu = Emulator(state_dir, traffic_dir=traffic)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def arm_credential(emulator):
    """A real ClientSecretCredential against the emulator's token endpoint."""
    from azure.identity import ClientSecretCredential

    ep = emulator.endpoint
    return ClientSecretCredential(ep["tenant_id"], ep["client_id"], ep["client_secret"],
                                  authority=ep["arm_url"], disable_instance_discovery=True,
                                  connection_verify=ep["ca_cert"])
