"""Traffic recording in the format of `oav validate-traffic`."""

import glob
import json

import pytest
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.resource.resources import ResourceManagementClient

from emulator.harness import Emulator
from emulator.seed import workspace_links


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    traffic = tmp_path_factory.mktemp("traffic")
    with Emulator(tmp_path_factory.mktemp("emu-rec"), traffic_dir=traffic) as emu:
        rm = emu.client(ResourceManagementClient, "2021-04-01")
        rm.resource_groups.create_or_update("rg-rec", {"location": "westus"})
        ml = emu.client(MachineLearningServicesMgmtClient, "2024-04-01")
        links = workspace_links(emu.endpoint, "rg-rec", "westus", "rec")
        ml.workspaces.begin_create_or_update("rg-rec", "mlw-rec", {"location": "westus",
                                                                   "properties": links}).result()
        list(ml.workspaces.list_by_resource_group("rg-rec"))
        # another real api-version (served against 2024-04-01) is recorded as sent
        emu.client(MachineLearningServicesMgmtClient, "2023-10-01").workspaces.get(
            "rg-rec", "mlw-rec")
        files = sorted(glob.glob(str(traffic / "*.json")))
        yield emu, [json.load(open(f)) for f in files], links


def test_one_file_per_spec_operation(recorded):
    emu, docs, _unused = recorded
    calls = [(d["liveRequest"]["method"], d["liveRequest"]["url"].split("?")[0].rsplit("/", 1)[-1])
             for d in docs]
    # RG PUT; the workspace's storage account and key vault, the workspace: PUT and the final
    # GET of each LRO; list; the 2023-10-01 GET; no poll URL
    assert calls == [("PUT", "rg-rec"), ("PUT", "strec"), ("GET", "strec"), ("PUT", "kv-rec"),
                     ("GET", "kv-rec"), ("PUT", "mlw-rec"), ("GET", "mlw-rec"),
                     ("GET", "workspaces"), ("GET", "mlw-rec")], calls
    assert not any("operationStatuses" in d["liveRequest"]["url"] for d in docs)
    last = docs[-1]["liveRequest"]
    assert "api-version=2023-10-01" in last["url"] and last["query"]["api-version"] == "2023-10-01"
    assert docs[-1]["liveResponse"]["statusCode"] == "200"


def test_files_have_the_oav_shape_and_no_secrets(recorded):
    emu, docs, links = recorded
    for d in docs:
        req, resp = d["liveRequest"], d["liveResponse"]
        assert set(req) >= {"headers", "method", "url", "query"}
        assert req["url"].startswith(emu.arm_url + "/subscriptions/")
        assert req["query"]["api-version"] in ("2021-04-01", "2023-01-01", "2023-07-01", "2024-04-01",
                                               "2023-10-01")
        auth = {k: v for k, v in req["headers"].items() if k.lower() == "authorization"}
        assert auth and set(auth.values()) == {"<redacted>"}
        assert isinstance(resp["statusCode"], str) and resp["statusCode"].isdigit()
        assert "x-ms-request-id" in resp["headers"]
        text = json.dumps(d)
        assert "Bearer " not in text and emu.endpoint["client_secret"] not in text
    put = docs[5]
    assert put["liveRequest"]["body"] == {"location": "westus", "properties": links}
    assert put["liveResponse"]["statusCode"] == "200"
    assert put["liveResponse"]["body"]["name"] == "mlw-rec"
    assert "Azure-AsyncOperation" in put["liveResponse"]["headers"]
