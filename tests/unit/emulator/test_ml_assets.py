"""emulator.providers.ml through the real engine, in process (strict responses, no Azurite):
a workspace's default datastores, datastore secrets answered by kind, the server-side defaults
of asset versions (what azure-ai-ml needs to read them back), code uploads
(startPendingUpload, versions of an asset not registered yet), the property bag's numbers."""
import json
import urllib.parse

import pytest

from emulator.server import Emulator

ML = "2024-04-01"
MODELS_PREVIEW = "2023-08-01-preview"        # what azure-ai-ml sends for models
ASSETS_PREVIEW = "2023-04-01-preview"        # ... for data, environments, codes, components


@pytest.fixture
def emu(tmp_path):
    e = Emulator(str(tmp_path), lro_delay=0.0, strict_responses=True)
    e.bind("https://127.0.0.1:1")
    d = e.directory
    token = d.issue("i", "https://management.azure.com/", d.principal(d.principal_object_id))

    def call(method, path, api, body=None, query=None):
        q = {"api-version": [api]}
        q.update({k: [v] for k, v in (query or {}).items()})
        status, _h, out = e.engine.handle(method, path, q, {"authorization": "Bearer " + token},
                                          json.dumps(body).encode() if body is not None else b"")
        return status, out

    e.call = call
    sub = d.subscription_id
    e.rg = f"/subscriptions/{sub}/resourceGroups/rg"
    assert call("PUT", e.rg, "2021-04-01", {"location": "eastus"})[0] == 201
    e.sa = f"{e.rg}/providers/Microsoft.Storage/storageAccounts/stmlassets"
    assert call("PUT", e.sa, "2023-01-01", {"location": "eastus", "kind": "StorageV2",
                                            "sku": {"name": "Standard_LRS"}})[0] in (200, 201)
    kv = f"{e.rg}/providers/Microsoft.KeyVault/vaults/kv-mlassets"
    assert call("PUT", kv, "2023-07-01", {"location": "eastus", "properties": {
        "tenantId": d.tenant_id, "sku": {"family": "A", "name": "standard"}}})[0] in (200, 201)
    e.ws = f"{e.rg}/providers/Microsoft.MachineLearningServices/workspaces/mlw"
    status, e.workspace = call("PUT", e.ws, ML, {"location": "eastus", "properties": {
        "storageAccount": e.sa, "keyVault": kv}})
    assert status in (200, 201), e.workspace
    yield e
    log = tmp_path / "violations.log"
    assert not (log.exists() and log.read_text().strip()), log.read_text()


def ok(resp):
    status, body = resp
    assert status in (200, 201, 202), body
    return body


def storage_key(e):
    return ok(e.call("POST", e.sa + "/listKeys", "2023-01-01"))["keys"][0]["value"]


def test_workspace_gets_azures_default_datastores(emu):
    guid = emu.workspace["properties"]["workspaceId"]
    stores = {d["name"]: d for d in ok(emu.call("GET", emu.ws + "/datastores", ML))["value"]}
    assert set(stores) == {"workspaceblobstore", "workspaceartifactstore", "workspacefilestore",
                           "workspaceworkingdirectory"}
    blob = stores["workspaceblobstore"]["properties"]
    assert blob["isDefault"] is True and blob["datastoreType"] == "AzureBlob"
    assert blob["containerName"] == f"azureml-blobstore-{guid}"
    assert blob["accountName"] == "stmlassets" and blob["endpoint"] == "core.windows.net"
    assert stores["workspaceartifactstore"]["properties"]["containerName"] == "azureml"
    assert stores["workspacefilestore"]["properties"]["datastoreType"] == "AzureFile"
    assert stores["workspacefilestore"]["properties"]["fileShareName"] == \
        f"azureml-filestore-{guid}"
    assert stores["workspaceworkingdirectory"]["properties"]["fileShareName"] == f"code-{guid}"
    assert [n for n, d in stores.items() if d["properties"]["isDefault"]] == ["workspaceblobstore"]
    key = storage_key(emu)
    for name, d in stores.items():
        # the kind of secret is answered, the key only by listSecrets
        assert d["properties"]["credentials"] == {"credentialsType": "AccountKey",
                                                  "secrets": {"secretsType": "AccountKey"}}
        assert key not in json.dumps(d)
        assert ok(emu.call("POST", f"{emu.ws}/datastores/{name}/listSecrets", ML)) == {
            "secretsType": "AccountKey", "key": key}
    # the default is found as clients look for it (isDefault filter)
    found = ok(emu.call("GET", emu.ws + "/datastores", ML, query={"isDefault": "true"}))["value"]
    assert [d["name"] for d in found] == ["workspaceblobstore"]


def test_workspace_update_leaves_its_datastores_alone(emu):
    ds = emu.ws + "/datastores/workspaceblobstore"
    before = ok(emu.call("GET", ds, ML))
    ok(emu.call("PUT", ds, ML, {"properties": dict(
        {k: v for k, v in before["properties"].items() if k != "credentials"},
        description="edited", credentials={"credentialsType": "AccountKey",
                                           "secrets": {"secretsType": "AccountKey",
                                                       "key": storage_key(emu)}})}))
    ok(emu.call("PATCH", emu.ws, ML, {"tags": {"env": "dr"}}))
    ok(emu.call("PUT", emu.ws, ML, {"location": "eastus", "properties": {
        k: emu.workspace["properties"][k] for k in ("storageAccount", "keyVault")}}))
    after = ok(emu.call("GET", ds, ML))
    assert after["properties"]["description"] == "edited"
    assert after["properties"]["isDefault"] is True


def test_bare_datastore_answers_its_secret_kind_not_the_value(emu):
    path = emu.ws + "/datastores/training"
    body = ok(emu.call("PUT", path, ML, {"properties": {
        "datastoreType": "AzureBlob", "accountName": "stmlassets", "containerName": "training",
        "credentials": {"credentialsType": "Sas",
                        "secrets": {"secretsType": "Sas", "sasToken": "sv=2022&sig=abc"}}}}))
    assert body["properties"]["credentials"]["secrets"] == {"secretsType": "Sas"}
    assert "sig=abc" not in json.dumps(ok(emu.call("GET", path, ML)))
    assert ok(emu.call("POST", path + "/listSecrets", ML))["sasToken"] == "sv=2022&sig=abc"
    none = ok(emu.call("PUT", emu.ws + "/datastores/byidentity", ML, {"properties": {
        "datastoreType": "AzureBlob", "accountName": "stmlassets", "containerName": "c1",
        "credentials": {"credentialsType": "None"}}}))
    assert none["properties"]["credentials"] == {"credentialsType": "None"}


def test_asset_versions_get_azures_server_defaults(emu):
    model = ok(emu.call("PUT", emu.ws + "/models/fraud/versions/1", MODELS_PREVIEW, {
        "properties": {"modelUri": "azureml://datastores/workspaceblobstore/paths/m/",
                       "modelType": "custom_model"}}))["properties"]
    # azure-ai-ml reads flavors.items(): a model without flavors must come back with {}
    assert model["flavors"] == {} and model["tags"] == {} and model["properties"] == {}
    assert model["isArchived"] is False and model["isAnonymous"] is False
    listed = ok(emu.call("GET", emu.ws + "/models/fraud/versions", MODELS_PREVIEW))["value"]
    assert listed[0]["properties"]["flavors"] == {}
    mlflow = ok(emu.call("PUT", emu.ws + "/models/churn/versions/1", MODELS_PREVIEW, {
        "properties": {"modelUri": "azureml://datastores/workspaceblobstore/paths/c/",
                       "modelType": "mlflow_model",
                       "flavors": {"python_function": {"data": {"loader_module": "x"}}}}}))
    assert mlflow["properties"]["flavors"] == {"python_function": {"data": {"loader_module": "x"}}}
    env = ok(emu.call("PUT", emu.ws + "/environments/docker-env/versions/1", ASSETS_PREVIEW, {
        "properties": {"build": {"contextUri": "https://stmlassets.blob.core.windows.net/c/ctx/"}}}))
    assert env["properties"]["build"]["dockerfilePath"] == "Dockerfile"
    assert env["properties"]["tags"] == {} and env["properties"]["osType"] == "Linux"
    data = ok(emu.call("PUT", emu.ws + "/data/training/versions/1", ASSETS_PREVIEW, {
        "properties": {"dataType": "uri_folder",
                       "dataUri": "azureml://datastores/workspaceblobstore/paths/d/"}}))
    assert data["properties"]["tags"] == {} and data["properties"]["properties"] == {}
    # re-PUT of the same body (defaults now stored) is not a change: no 409
    ok(emu.call("PUT", emu.ws + "/models/fraud/versions/1", MODELS_PREVIEW, {
        "properties": {"modelUri": "azureml://datastores/workspaceblobstore/paths/m/",
                       "modelType": "custom_model"}}))


def test_code_upload_flow(emu):
    code = emu.ws + "/codes/3f1c2a9e-0000-4000-8000-000000000001"
    # the versions of a code asset not registered yet: an empty list, as azure-ai-ml expects
    assert ok(emu.call("GET", code + "/versions", ASSETS_PREVIEW,
                       query={"hash": "abc", "hashVersion": "202208"}))["value"] == []
    status, body = emu.call("GET", emu.rg + "/providers/Microsoft.MachineLearningServices/"
                            "workspaces/nothere/codes/x/versions", ASSETS_PREVIEW)
    assert status == 404, body
    up = ok(emu.call("POST", code + "/versions/1/startPendingUpload", ASSETS_PREVIEW,
                     {"pendingUploadType": "TemporaryBlobReference"}))
    ref = up["blobReferenceForConsumption"]
    assert up["pendingUploadType"] == "TemporaryBlobReference" and up["pendingUploadId"]
    container = ref["blobUri"].rsplit("/", 1)[1]
    assert ref["blobUri"] == f"https://stmlassets.blob.core.windows.net/{container}"
    assert ref["storageAccountArmId"].lower() == emu.sa.lower()
    sas = urllib.parse.parse_qs(ref["credential"]["sasUri"].split("?", 1)[1])
    assert ref["credential"]["sasUri"].startswith(ref["blobUri"] + "?")
    assert sas["sr"] == ["c"] and "w" in sas["sp"][0] and sas["sig"]
    # each upload gets a container of its own
    again = ok(emu.call("POST", code + "/versions/1/startPendingUpload", ASSETS_PREVIEW,
                        {"pendingUploadType": "TemporaryBlobReference"}))
    assert again["blobReferenceForConsumption"]["blobUri"] != ref["blobUri"]
    # a number in the property bag is kept as its text (what azure-ai-ml sends); a boolean
    # is still refused by the spec validation
    ver = ok(emu.call("PUT", code + "/versions/1", ASSETS_PREVIEW, {"properties": {
        "codeUri": ref["blobUri"], "isAnonymous": True,
        "properties": {"hash_sha256": "abc", "hash_version": 202208}}}))
    assert ver["properties"]["properties"] == {"hash_sha256": "abc", "hash_version": "202208"}
    assert [v["name"] for v in ok(emu.call("GET", code + "/versions", ASSETS_PREVIEW, query={
        "hash": "abc", "hashVersion": "202208"}))["value"]] == ["1"]
    status, body = emu.call("PUT", code + "/versions/2", ASSETS_PREVIEW, {"properties": {
        "codeUri": ref["blobUri"], "properties": {"flag": True}}})
    assert status == 400 and body["error"]["code"] == "InvalidRequestContent", body
