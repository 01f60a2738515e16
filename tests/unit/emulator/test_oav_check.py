"""emulator.oav_check: traffic recorded by the emulator goes through Microsoft's oav 4.0.0; a
hand-broken response fails the check; known spec gaps do not."""
import json
import os
import shutil

import pytest

from emulator import oav_check
from emulator.server import Emulator

pytestmark = pytest.mark.skipif(not os.path.exists(oav_check.OAV), reason="oav is not installed (npm install)")


@pytest.fixture(scope="module")
def traffic(tmp_path_factory):
    """A few real requests through the in-process emulator, recorded in oav's format."""
    base = tmp_path_factory.mktemp("oav")
    tdir = base / "traffic"
    e = Emulator(str(base / "state"), lro_delay=0.0, strict_responses=True, traffic_dir=str(tdir))
    e.bind("https://127.0.0.1:1")
    d = e.directory
    token = d.issue("i", "https://management.azure.com/", d.principal(d.principal_object_id))

    def call(method, path, api, body=None):
        status, _h, out = e.engine.handle(
            method, path, {"api-version": [api]},
            {"authorization": "Bearer " + token, "content-type": "application/json"},
            json.dumps(body).encode() if body is not None else b"",
            url=f"https://127.0.0.1:1{path}?api-version={api}")
        assert status < 300, out
        return out

    rg = f"/subscriptions/{d.subscription_id}/resourceGroups/rg-oav"
    call("PUT", rg, "2021-04-01", {"location": "eastus"})
    sa = rg + "/providers/Microsoft.Storage/storageAccounts/stoavcheck"
    call("PUT", sa, "2023-01-01", {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_GRS"}})
    call("GET", sa, "2023-01-01")
    call("GET", sa, "2023-05-01")        # a real version the specs on hand do not have
    call("POST", sa + "/listKeys", "2023-01-01")
    kv = rg + "/providers/Microsoft.KeyVault/vaults/kv-oav-check"
    call("PUT", kv, "2023-07-01", {"location": "eastus", "properties": {
        "tenantId": d.tenant_id, "sku": {"family": "A", "name": "standard"}}})
    return tdir


def test_valid_traffic_passes(traffic, tmp_path, capsys):
    report = tmp_path / "summary.json"
    assert oav_check.main([str(traffic), "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "Microsoft.Storage/2023-01-01/storage.json" in out
    assert "0 failure(s) not listed" in out
    summary = json.loads(report.read_text())
    assert summary["files"] == 6 and summary["unknown_failures"] == 0
    storage = next(s for s in summary["specs"] if s["spec"].endswith("storage.json"))
    assert storage["other_versions"] == {"2023-05-01": 1}
    assert "2023-05-01" in out and "validated against the vendored spec" in out
    assert {"StorageAccounts_Create", "StorageAccounts_GetProperties"} <= set(storage["passed"])
    # listKeys' upper-case FULL is Azure's spelling, a documented spec gap
    known = [f for f in summary["failures"] if f["known"]]
    assert [(f["operationId"], f["code"]) for f in known] == [("StorageAccounts_ListKeys", "ENUM_CASE_MISMATCH")]


def test_a_wrong_type_fails(traffic, tmp_path, capsys):
    bad = tmp_path / "bad"
    shutil.copytree(traffic, bad)
    get = next(p for p in sorted(bad.iterdir()) if p.name.endswith("-GET-200.json"))
    doc = json.loads(get.read_text())
    doc["liveResponse"]["body"]["properties"]["creationTime"] = 12345      # a number, not a date-time
    get.write_text(json.dumps(doc))
    assert oav_check.main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert "StorageAccounts_GetProperties" in out and "FAIL" in out
    summary = oav_check.check(str(bad))
    codes = {(f["operationId"], f["code"]) for f in summary["failures"] if not f["known"]}
    assert ("StorageAccounts_GetProperties", "INVALID_TYPE") in codes


def test_traffic_at_another_version_is_validated_as_the_vendored_one(traffic, tmp_path):
    bad = tmp_path / "bad-other"
    shutil.copytree(traffic, bad)
    got = [p for p in sorted(bad.iterdir())
           if "api-version=2023-05-01" in json.loads(p.read_text())["liveRequest"]["url"]]
    assert len(got) == 1
    doc = json.loads(got[0].read_text())
    doc["liveResponse"]["body"]["properties"]["creationTime"] = 12345
    got[0].write_text(json.dumps(doc))
    summary = oav_check.check(str(bad))
    fails = [f for f in summary["failures"] if not f["known"]]
    assert [(f["operationId"], f["code"], f.get("sent_versions")) for f in fails] == [
        ("StorageAccounts_GetProperties", "INVALID_TYPE", ["2023-05-01"])]
    assert "validated as 2023-01-01" in fails[0]["message"]
    # the recorded file itself keeps the version the client sent
    assert json.loads(got[0].read_text())["liveRequest"]["query"]["api-version"] == "2023-05-01"


def test_unrouted_traffic_and_empty_known_gaps(traffic, tmp_path, capsys):
    odd = tmp_path / "odd"
    shutil.copytree(traffic, odd)
    (odd / "zz-unknown.json").write_text(json.dumps({
        "liveRequest": {"method": "GET", "url": "https://x/subscriptions/s/providers/Microsoft.Nope/things?api-version=2020-01-01",
                        "headers": {}, "query": {"api-version": "2020-01-01"}},
        "liveResponse": {"statusCode": "200", "headers": {}}}))
    empty = tmp_path / "gaps.yml"
    empty.write_text("[]\n")
    summary = oav_check.check(str(odd), known_gaps_path=str(empty))
    codes = {f["code"] for f in summary["failures"] if not f["known"]}
    assert oav_check.UNROUTED in codes and "ENUM_CASE_MISMATCH" in codes
    assert oav_check.main([str(odd), "--known-gaps", str(empty)]) == 1
    assert oav_check.main([str(tmp_path / "missing")]) == 2


def _storage_create(url_name, status, body):
    return {
        "liveRequest": {"method": "PUT", "headers": {"content-type": "application/json"},
                        "url": "https://127.0.0.1:1/subscriptions/00000000-0000-0000-0000-000000000001/"
                               "resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/"
                               f"{url_name}?api-version=2023-01-01",
                        "query": {"api-version": "2023-01-01"},
                        "body": {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}},
        "liveResponse": {"statusCode": str(status), "headers": {"Content-Type": "application/json"},
                         "body": body}}


def test_refused_negative_tests_are_expected_but_accepted_bad_requests_fail(tmp_path):
    """An invalid request the emulator refused (4xx, ARM error body) is a negative test, not a
    failure, even where the spec declares no error response; the same request accepted (2xx),
    or refused with a body that is not ARM's error shape, fails the check."""
    refused = tmp_path / "refused"
    refused.mkdir()
    arm_error = {"error": {"code": "AccountNameInvalid", "message": "UpperCase1 is not a valid storage account name."}}
    (refused / "a-PUT-400.json").write_text(json.dumps(_storage_create("UpperCase1", 400, arm_error)))
    summary = oav_check.check(str(refused))
    assert summary["unknown_failures"] == 0, summary["failures"]
    expected = {(f["operationId"], f["code"]) for f in summary["failures"] if f.get("expected")}
    assert ("StorageAccounts_Create", "PATTERN") in expected
    assert ("StorageAccounts_Create", "INVALID_RESPONSE_CODE") in expected

    accepted = tmp_path / "accepted"
    accepted.mkdir()
    ok_body = {"id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
                     "Microsoft.Storage/storageAccounts/UpperCase1", "name": "UpperCase1",
               "type": "Microsoft.Storage/storageAccounts", "location": "eastus",
               "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": {}}
    (accepted / "a-PUT-200.json").write_text(json.dumps(_storage_create("UpperCase1", 200, ok_body)))
    codes = {(f["operationId"], f["code"]) for f in oav_check.check(str(accepted))["failures"] if not f["known"]}
    assert ("StorageAccounts_Create", "PATTERN") in codes

    odd = tmp_path / "odd-error"
    odd.mkdir()
    (odd / "a-PUT-400.json").write_text(json.dumps(_storage_create("stvalidname", 400, {"message": "nope"})))
    codes = {(f["operationId"], f["code"]) for f in oav_check.check(str(odd))["failures"] if not f["known"]}
    assert ("StorageAccounts_Create", "INVALID_RESPONSE_CODE") in codes
