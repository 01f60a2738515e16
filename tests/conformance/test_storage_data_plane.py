"""Storage accounts end to end through the real SDKs: ARM create -> listKeys -> blobs in Azurite
with that key at primaryEndpoints.blob; regenerateKey; names; delete drops the Azurite account."""
import os
import time

import pytest

from emulator.azurite import DEFAULT_BIN

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_BIN),
                                reason="Azurite is not installed (npm install)")

storage_mgmt = pytest.importorskip("azure.mgmt.storage")
blob = pytest.importorskip("azure.storage.blob")
from azure.core.exceptions import HttpResponseError  # noqa: E402
from azure.mgmt.resource.resources import ResourceManagementClient  # noqa: E402

API = "2023-01-01"
RG = "rg-storage-dp"


@pytest.fixture(scope="module")
def clients(emulator):
    rm = emulator.client(ResourceManagementClient, "2021-04-01")
    rm.resource_groups.create_or_update(RG, {"location": "eastus"})
    return emulator.client(storage_mgmt.StorageManagementClient, API)


def _keys(sm, name):
    """listKeys' keys (azure-mgmt-storage >= 24 models are mappings: .keys is dict.keys)."""
    from types import SimpleNamespace
    res = sm.storage_accounts.list_keys(RG, name)
    return [SimpleNamespace(key_name=k["keyName"], value=k["value"], permissions=k["permissions"])
            for k in res["keys"]]


def _create(sm, name, sku="Standard_LRS", location="eastus", **extra):
    return sm.storage_accounts.begin_create(RG, name, dict(
        {"location": location, "kind": "StorageV2", "sku": {"name": sku}}, **extra)).result()


def test_create_list_keys_and_write_blobs(clients, emulator):
    sm = clients
    acct = _create(sm, "stdpone", sku="Standard_GRS")
    assert acct.primary_endpoints.blob.startswith("http://127.0.0.1:")
    assert acct.primary_endpoints.blob.endswith("/stdpone/")
    assert acct.primary_location == "eastus" and acct.status_of_primary == "available"
    assert acct.secondary_location == "westus" and acct.status_of_secondary == "available"
    assert acct.creation_time is not None
    assert acct.access_tier == "Hot" and acct.enable_https_traffic_only is True
    keys = _keys(sm, "stdpone")
    assert [k.key_name for k in keys] == ["key1", "key2"]
    assert all(k.value and k.permissions.upper() == "FULL" for k in keys)

    svc = blob.BlobServiceClient(acct.primary_endpoints.blob, credential=keys[0].value)
    svc.create_container("data").upload_blob("hello.txt", b"hello")
    svc2 = blob.BlobServiceClient(acct.primary_endpoints.blob, credential=keys[1].value)
    assert svc2.get_blob_client("data", "hello.txt").download_blob().readall() == b"hello"

    # an update keeps keys and creation time
    again = _create(sm, "stdpone", sku="Standard_RAGRS")
    assert again.creation_time == acct.creation_time
    assert again.secondary_endpoints is not None
    assert [k.value for k in _keys(sm, "stdpone")] == \
        [k.value for k in keys]
    lrs = _create(sm, "stdpone", sku="Standard_LRS")
    assert lrs.secondary_location is None

    # regenerate key1: the old key1 stops working, the new one works
    sm.storage_accounts.regenerate_key(RG, "stdpone", {"keyName": "key1"})
    new = _keys(sm, "stdpone")
    assert new[0].value != keys[0].value and new[1].value == keys[1].value
    with pytest.raises(HttpResponseError) as err:
        blob.BlobServiceClient(acct.primary_endpoints.blob, credential=keys[0].value) \
            .get_blob_client("data", "hello.txt").download_blob().readall()
    assert err.value.status_code == 403
    assert blob.BlobServiceClient(acct.primary_endpoints.blob, credential=new[0].value) \
        .get_blob_client("data", "hello.txt").download_blob().readall() == b"hello"


def test_two_accounts_cross_account_copy(clients):
    import datetime
    sm = clients
    a, b = _create(sm, "stdpsrc"), _create(sm, "stdpdst", location="westus")
    ka = _keys(sm, "stdpsrc")[0].value
    kb = _keys(sm, "stdpdst")[0].value
    src = blob.BlobServiceClient(a.primary_endpoints.blob, credential=ka)
    src.create_container("models").upload_blob("m/1/model.pkl", b"x" * 4096)
    sas = blob.generate_blob_sas("stdpsrc", "models", "m/1/model.pkl", account_key=ka,
                                 permission=blob.BlobSasPermissions(read=True),
                                 expiry=datetime.datetime.now(datetime.timezone.utc)
                                 + datetime.timedelta(hours=1))
    dst = blob.BlobServiceClient(b.primary_endpoints.blob, credential=kb)
    dst.create_container("models")
    target = dst.get_blob_client("models", "m/1/model.pkl")
    target.start_copy_from_url(src.get_blob_client("models", "m/1/model.pkl").url + "?" + sas)
    deadline = time.time() + 20
    while target.get_blob_properties().copy.status == "pending" and time.time() < deadline:
        time.sleep(0.1)
    assert target.get_blob_properties().copy.status == "success"
    assert target.download_blob().readall() == b"x" * 4096


def test_names(clients):
    sm = clients
    for bad in ("ab", "UpperCase1", "has-hyphen", "x" * 25):
        with pytest.raises(HttpResponseError) as err:
            _create(sm, bad)
        assert err.value.status_code == 400, bad
        assert err.value.error.code == "AccountNameInvalid", bad
        assert f"{bad} is not a valid storage account name" in err.value.error.message
    _create(sm, "stdptaken")
    ResourceManagementClient_ = ResourceManagementClient  # noqa: N806
    with pytest.raises(HttpResponseError) as err:
        sm.storage_accounts.begin_create("rg-storage-other", "stdptaken", {
            "location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
    assert err.value.status_code in (404, 409)   # the group does not exist: 404 first
    res = sm.storage_accounts.check_name_availability(
        {"name": "stdptaken", "type": "Microsoft.Storage/storageAccounts"})
    assert res.name_available is False and res.reason == "AlreadyExists"
    res = sm.storage_accounts.check_name_availability(
        {"name": "Bad_Name", "type": "Microsoft.Storage/storageAccounts"})
    assert res.name_available is False and res.reason == "AccountNameInvalid"
    res = sm.storage_accounts.check_name_availability(
        {"name": "stdpfreename", "type": "Microsoft.Storage/storageAccounts"})
    assert res.name_available is True
    del ResourceManagementClient_


def test_globally_unique_name(clients, emulator):
    rm = emulator.client(ResourceManagementClient, "2021-04-01")
    rm.resource_groups.create_or_update("rg-storage-dp2", {"location": "westus"})
    _create(clients, "stdpglobal")
    with pytest.raises(HttpResponseError) as err:
        clients.storage_accounts.begin_create("rg-storage-dp2", "stdpglobal", {
            "location": "westus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
    assert err.value.status_code == 409
    assert err.value.error.code == "StorageAccountAlreadyTaken"


def test_delete_drops_the_azurite_account(clients):
    sm = clients
    acct = _create(sm, "stdpgone")
    key = _keys(sm, "stdpgone")[0].value
    svc = blob.BlobServiceClient(acct.primary_endpoints.blob, credential=key)
    svc.create_container("cgone")
    sm.storage_accounts.delete(RG, "stdpgone")
    with pytest.raises(HttpResponseError) as err:
        svc.get_container_client("cgone").get_container_properties()
    assert err.value.status_code in (400, 403, 404)
    with pytest.raises(HttpResponseError) as err:
        sm.storage_accounts.list_keys(RG, "stdpgone")
    assert err.value.status_code == 404
    # the same name again is a new, empty account with new keys
    again = _create(sm, "stdpgone")
    key2 = _keys(sm, "stdpgone")[0].value
    assert key2 != key
    assert [c.name for c in blob.BlobServiceClient(again.primary_endpoints.blob,
                                                   credential=key2).list_containers()] == []
