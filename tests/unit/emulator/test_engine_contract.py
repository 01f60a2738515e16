"""The engine's contract with hooks.py and actions.py (written separately): what they get
and how their answers are turned into ARM responses. In-process, with stand-in modules."""

import json
import time
import types

import pytest

from emulator import engine as engine_mod
from emulator.errors import ArmError
from emulator.server import Emulator

ML = "2024-04-01"


@pytest.fixture
def emu(tmp_path, monkeypatch):
    calls = {"put": [], "delete": [], "action": []}

    def on_put(ctx, resource_type, resource_id, resource, existing):
        calls["put"].append((resource_type, resource_id, existing is None))
        if resource_type == "Microsoft.Storage/storageAccounts":
            resource.setdefault("properties", {})["primaryEndpoints"] = {
                "blob": "http://127.0.0.1:10000/%s/" % resource["name"]}

    def on_delete(ctx, resource_type, resource_id, resource):
        calls["delete"].append(resource_id)

    def list_keys(ctx, match, request):
        calls["action"].append((match.operation_id, request.resource_id,
                                request.principal["oid"], request.path_params["accountName"]))
        if request.path_params["accountName"] == "denied":
            raise ArmError(403, "AuthorizationFailed", "no keys for you")
        return 200, {"keys": [{"keyName": "key1", "value": "k", "permissions": "FULL"}]}, {}

    def diagnose(ctx, match, request):       # an LRO action answering synchronously
        return 200, {"value": {"userDefinedRouteResults": []}}, {}

    monkeypatch.setattr(engine_mod, "_hooks", types.SimpleNamespace(on_put=on_put,
                                                                    on_delete=on_delete))
    monkeypatch.setattr(engine_mod, "_actions", types.SimpleNamespace(OPERATION_HANDLERS={
        "StorageAccounts_ListKeys": list_keys, "Workspaces_Diagnose": diagnose}))
    e = Emulator(str(tmp_path), lro_delay=0.05, strict_responses=True)
    e.bind("https://127.0.0.1:1")
    d = e.directory
    token = d.issue("i", "https://management.azure.com/", d.principal(d.principal_object_id))
    sub = d.subscription_id

    def call(method, path, api, body=None, headers=None):
        status, h, out = e.engine.handle(
            method, path, {"api-version": [api]},
            dict(headers or {}, authorization="Bearer " + token),
            json.dumps(body).encode() if body is not None else b"")
        return status, h, out

    e.call = call
    e.calls = calls
    e.rg = "/subscriptions/%s/resourceGroups/rg" % sub
    assert call("PUT", e.rg, "2021-04-01", {"location": "westus"})[0] == 201
    return e


def _poll_location(emu, headers):
    path = headers["Location"].split("127.0.0.1:1", 1)[1].split("?")[0]
    for _unused in range(100):
        status, h, body = emu.call("GET", path, ML)
        if status != 202:
            return status, body
        time.sleep(0.01)
    raise AssertionError("never finished")


def test_hooks_see_puts_and_set_server_fields(emu):
    sa = emu.rg + "/providers/Microsoft.Storage/storageAccounts/sa1"
    status, h, body = emu.call("PUT", sa, "2023-01-01", {
        "location": "westus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}})
    assert status == 202 or status == 200
    assert ("Microsoft.Storage/storageAccounts", sa, True) in emu.calls["put"]
    status, _unused, got = emu.call("GET", sa, "2023-01-01")
    assert got["properties"]["primaryEndpoints"]["blob"] == "http://127.0.0.1:10000/sa1/"
    emu.call("PATCH", sa, "2023-01-01", {"tags": {"a": "b"}})
    assert ("Microsoft.Storage/storageAccounts", sa, False) in emu.calls["put"]


def test_action_handlers_get_the_request(emu):
    sa = emu.rg + "/providers/Microsoft.Storage/storageAccounts/sa2"
    emu.call("PUT", sa, "2023-01-01", {"location": "westus", "kind": "StorageV2",
                                       "sku": {"name": "Standard_LRS"}})
    status, _unused, body = emu.call("POST", sa + "/listKeys", "2023-01-01")
    assert status == 200 and body["keys"][0]["keyName"] == "key1"
    op, rid, oid, name = emu.calls["action"][-1]
    assert (op, rid, name) == ("StorageAccounts_ListKeys", sa, "sa2")
    assert oid == emu.directory.principal_object_id
    status, _unused, body = emu.call("POST", emu.rg + "/providers/Microsoft.Storage/storageAccounts/"
                                     "denied/listKeys", "2023-01-01")
    assert status == 403 and body == {"error": {"code": "AuthorizationFailed",
                                                "message": "no keys for you"}}


def test_synchronous_answer_of_an_lro_action_becomes_an_lro(emu):
    ws = emu.rg + "/providers/Microsoft.MachineLearningServices/workspaces/mlw1"
    emu.call("PUT", ws, ML, {"location": "westus"})
    status, headers, body = emu.call("POST", ws + "/diagnose", ML, {"value": {}})
    assert status == 202 and body is None and "Location" in headers
    assert _poll_location(emu, headers) == (200, {"value": {"userDefinedRouteResults": []}})


def test_post_without_a_handler_is_loud(emu):
    ws = emu.rg + "/providers/Microsoft.MachineLearningServices/workspaces/mlw2"
    emu.call("PUT", ws, ML, {"location": "westus"})
    status, _unused, body = emu.call("POST", ws + "/listKeys", ML)
    assert status == 501 and body["error"]["code"] == "EmulatorOperationNotImplemented"
    assert "Workspaces_ListKeys" in body["error"]["message"]


def test_on_delete_for_every_resource_removed(emu):
    ws = emu.rg + "/providers/Microsoft.MachineLearningServices/workspaces/mlw3"
    emu.call("PUT", ws, ML, {"location": "westus"})
    emu.call("PUT", ws + "/models/m/versions/1", ML, {"properties": {"modelUri": "azureml://x"}})
    status, headers, _unused = emu.call("DELETE", emu.rg, "2021-04-01")
    assert status == 202
    assert _poll_location(emu, headers)[0] in (200, 204)
    assert {ws, ws + "/models/m", ws + "/models/m/versions/1", emu.rg} <= set(emu.calls["delete"])
    assert emu.calls["delete"].index(ws + "/models/m/versions/1") < emu.calls["delete"].index(ws)


def test_write_only_values_are_kept_aside(emu):
    ws = emu.rg + "/providers/Microsoft.MachineLearningServices/workspaces/mlw4"
    emu.call("PUT", ws, ML, {"location": "westus"})
    ds = ws + "/datastores/blobstore"
    status, _unused, body = emu.call("PUT", ds, ML, {"properties": {
        "datastoreType": "AzureBlob", "accountName": "sa", "containerName": "c",
        "credentials": {"credentialsType": "AccountKey",
                        "secrets": {"secretsType": "AccountKey", "key": "s3cr3t"}}}})
    assert status in (200, 201), body
    # the kind of secret comes back (as Azure answers, and the spec's examples), the key never
    assert body["properties"]["credentials"]["secrets"] == {"secretsType": "AccountKey"}
    assert "s3cr3t" not in json.dumps(body)
    assert "s3cr3t" not in json.dumps(emu.store.resources)
    full = emu.engine.ctx.full_resource(ds)
    assert full["properties"]["credentials"]["secrets"]["key"] == "s3cr3t"
