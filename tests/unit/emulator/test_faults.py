"""Faults on demand (outages, throttling, 5xx, slow LROs, ARM's token bucket), restart
without losing state, and the ctl CLI."""

import json
import os
import subprocess
import sys
import time

import pytest
import requests
from azure.core.exceptions import ServiceResponseError
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.resource.resources import ResourceManagementClient

from emulator.harness import TESTS_DIR, Emulator
from emulator.seed import workspace_links


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with Emulator(tmp_path_factory.mktemp("emu-faults")) as e:
        yield e


@pytest.fixture(scope="module")
def token(emu):
    return emu.credential().get_token("https://management.azure.com/.default").token


@pytest.fixture(scope="module")
def groups(emu):
    rm = emu.client(ResourceManagementClient, "2021-04-01")
    rm.resource_groups.create_or_update("rg-west", {"location": "westus"})
    rm.resource_groups.create_or_update("rg-east", {"location": "eastus"})
    ml = emu.client(MachineLearningServicesMgmtClient, "2024-04-01")
    ml.workspaces.begin_create_or_update("rg-west", "mlw-west", {
        "location": "westus", "properties": workspace_links(emu.endpoint, "rg-west", "westus", "faultswest")}).result()
    ml.workspaces.begin_create_or_update("rg-east", "mlw-east", {
        "location": "eastus", "properties": workspace_links(emu.endpoint, "rg-east", "eastus", "faultseast")}).result()
    return rm


def _east_links(emu):
    """The east workspace's links (workspaces created later here reuse them)."""
    return {k: v for k, v in emu.state()[_ws(emu, "rg-east", "mlw-east").lower()]["properties"].items()
            if k in ("storageAccount", "keyVault")}


@pytest.fixture(autouse=True)
def _clear(emu):
    emu.clear_faults()
    yield
    emu.clear_faults()


def _get(emu, token, path, timeout=30):
    sep = "&" if "?" in path else "?"
    return requests.get("%s%s%sapi-version=%s" % (emu.arm_url, path, sep,
                                                  "2024-04-01" if "MachineLearning" in path
                                                  else "2021-04-01"),
                        headers={"Authorization": "Bearer " + token}, verify=emu.ca_cert,
                        timeout=timeout)


def _ws(emu, rg, name):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/"
            "workspaces/%s" % (emu.endpoint["subscription_id"], rg, name))


def test_region_outage_fails_only_that_region(emu, token, groups):
    emu.set_faults(outages={"westus": "error"})
    west = _get(emu, token, _ws(emu, "rg-west", "mlw-west"))
    assert west.status_code == 503 and west.json()["error"]["code"] == "ServiceUnavailable"
    # children of a west resource group are west too; a PUT is placed by its body's location
    assert _get(emu, token, _ws(emu, "rg-west", "mlw-west") + "/models").status_code == 503
    assert _get(emu, token, _ws(emu, "rg-east", "mlw-east")).status_code == 200
    r = requests.put("%s%s?api-version=2024-04-01" % (emu.arm_url, _ws(emu, "rg-east", "mlw-x")),
                     json={"location": "westus"}, verify=emu.ca_cert,
                     headers={"Authorization": "Bearer " + token})
    assert r.status_code == 503
    # subscription-wide calls are not in a region
    assert _get(emu, token, "/subscriptions/%s/resourcegroups" %
                emu.endpoint["subscription_id"]).status_code == 200
    emu.clear_faults()
    assert _get(emu, token, _ws(emu, "rg-west", "mlw-west")).status_code == 200


def test_region_outage_can_hang(emu, token, groups):
    emu.set_faults(outages={"westus": "hang"}, hang_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ConnectionError):
        _get(emu, token, _ws(emu, "rg-west", "mlw-west"), timeout=10)
    assert 0.4 < time.monotonic() - started < 5
    assert _get(emu, token, _ws(emu, "rg-east", "mlw-east")).status_code == 200


def test_hang_trips_a_client_timeout(emu, groups):
    emu.set_faults(outages={"westus": "hang"}, hang_seconds=3)
    ml = emu.client(MachineLearningServicesMgmtClient, "2024-04-01", retry_total=0,
                    read_timeout=0.5)
    with pytest.raises(ServiceResponseError):
        ml.workspaces.get("rg-west", "mlw-west")


def test_throttling_sends_retry_after_and_sdk_retries_through(emu, token, groups):
    emu.set_faults(throttle={"rate": 0.5, "retry_after": 1}, seed=7)
    statuses = [_get(emu, token, _ws(emu, "rg-east", "mlw-east")) for _unused in range(20)]
    throttled = [r for r in statuses if r.status_code == 429]
    assert 3 < len(throttled) < 17
    assert all(r.headers["Retry-After"] == "1" for r in throttled)
    assert throttled[0].json()["error"]["code"] == "TooManyRequests"
    emu.set_faults(throttle={"rate": 0.3, "retry_after": 1}, seed=3)
    ml = emu.client(MachineLearningServicesMgmtClient, "2024-04-01")
    for _unused in range(3):       # each call may be throttled and retried (after Retry-After)
        assert ml.workspaces.get("rg-east", "mlw-east").name == "mlw-east"


def test_throttling_is_deterministic_with_a_seed(emu, token, groups):
    def run():
        emu.set_faults(throttle={"rate": 0.5, "retry_after": 1}, seed=42)
        return [_get(emu, token, _ws(emu, "rg-east", "mlw-east")).status_code for _unused in range(12)]
    assert run() == run()


def test_server_errors(emu, token, groups):
    emu.set_faults(server_errors={"rate": 1.0, "status": 500})
    r = _get(emu, token, _ws(emu, "rg-east", "mlw-east"))
    assert r.status_code == 500 and r.json()["error"]["code"] == "InternalServerError"
    emu.set_faults(server_errors={"rate": 0.3, "status": 503}, seed=1)
    codes = {_get(emu, token, _ws(emu, "rg-east", "mlw-east")).status_code for _unused in range(20)}
    assert codes == {200, 503}


def test_slow_lro(emu, groups):
    emu.set_faults(lro_delay=0.6)
    ml = emu.client(MachineLearningServicesMgmtClient, "2024-04-01")
    poller = ml.workspaces.begin_create_or_update("rg-east", "mlw-slow", {"location": "eastus",
                                                                          "properties": _east_links(emu)})
    assert ml.workspaces.get("rg-east", "mlw-slow").provisioning_state == "Creating"
    started = time.monotonic()
    assert poller.result().provisioning_state == "Succeeded"
    assert time.monotonic() - started > 0.3
    assert ml.workspaces.get("rg-east", "mlw-slow").provisioning_state == "Succeeded"


def test_token_bucket(emu, token, groups):
    emu.set_faults(token_bucket=True)
    path = _ws(emu, "rg-east", "mlw-east")
    session = requests.Session()
    started = time.monotonic()
    first_429, remaining = None, []
    for i in range(1000):           # until the first 429
        r = session.get("%s%s?api-version=2024-04-01" % (emu.arm_url, path), verify=emu.ca_cert,
                        headers={"Authorization": "Bearer " + token})
        if r.status_code == 429:
            first_429 = (i, r)
            break
        assert r.status_code == 200
        remaining.append(int(r.headers["x-ms-ratelimit-remaining-subscription-reads"]))
    elapsed = time.monotonic() - started
    assert first_429 is not None
    index, r = first_429
    # the burst of 250, plus what 25/s refilled while we were reading
    assert 250 <= index <= 250 + 25 * elapsed + 2, (index, elapsed)
    assert int(r.headers["Retry-After"]) >= 1 and r.json()["error"]["code"] == "TooManyRequests"
    assert remaining[0] == 249 and remaining[-1] <= 1
    # another principal has its own bucket
    sp = emu.register_principal(kind="ServicePrincipal", display_name="other")
    from azure.identity import ClientSecretCredential
    other = ClientSecretCredential(emu.endpoint["tenant_id"], sp["client_id"], sp["client_secret"],
                                   authority=emu.arm_url, disable_instance_discovery=True,
                                   connection_verify=emu.ca_cert)
    other_token = other.get_token("https://management.azure.com/.default").token
    assert _get(emu, other_token, path).status_code == 200
    # writes have their own bucket and header
    r = requests.put("%s/subscriptions/%s/resourcegroups/rg-tb?api-version=2021-04-01" % (
        emu.arm_url, emu.endpoint["subscription_id"]), json={"location": "eastus"},
        headers={"Authorization": "Bearer " + token}, verify=emu.ca_cert)
    assert r.status_code in (200, 201)
    assert r.headers["x-ms-ratelimit-remaining-subscription-writes"] == "199"


def test_faults_are_validated(emu):
    from emulator.harness import EmulatorError
    with pytest.raises(EmulatorError):
        emu.set_faults(outages={"westus": "explode"})
    with pytest.raises(EmulatorError):
        emu.set_faults(bogus=1)


def test_restart_keeps_state_and_port(emu, groups):
    ml = emu.client(MachineLearningServicesMgmtClient, "2024-04-01")
    ml.workspaces.begin_create_or_update("rg-east", "mlw-persist", {
        "location": "eastus", "properties": dict(_east_links(emu), description="kept")}).result()
    emu.set_faults(outages={"centralus": "error"})
    url, secret, before = emu.arm_url, emu.endpoint["client_secret"], emu.state()
    emu.restart()
    assert emu.arm_url == url and emu.endpoint["client_secret"] == secret
    assert emu.state() == before
    assert emu.faults() == {"outages": {"centralus": "error"}}
    # the same client (and its cached token) keeps working
    assert ml.workspaces.get("rg-east", "mlw-persist").description == "kept"


def test_ctl_cli(emu):
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)

    def ctl(*args):
        out = subprocess.run([sys.executable, "-m", "emulator", "ctl", "--state-dir",
                              emu.state_dir] + list(args), env=env, capture_output=True,
                             text=True, timeout=60, check=False)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert ctl("health")["status"] == "ok"
    assert ctl("faults", '{"outages": {"westus": "error"}}')["outages"] == {"westus": "error"}
    assert ctl("faults") == {"outages": {"westus": "error"}}
    ctl("clear-faults")
    assert ctl("faults") == {}
    assert any(k.endswith("/resourcegroups/rg-east") for k in ctl("state"))
