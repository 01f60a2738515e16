"""emulator.hooks through the real engine, in process (strict responses, no Azurite): the
server-side fields each resource type gets and the refusals Azure makes, with its codes."""
import json
import uuid

import pytest

from emulator.server import Emulator

ML = "2024-04-01"
ST = "2023-01-01"
KV = "2023-07-01"
ACR = "2023-07-01"
AI = "2020-02-02"
AUTH = "2022-04-01"
RG_API = "2021-04-01"


@pytest.fixture
def emu(tmp_path):
    e = Emulator(str(tmp_path), lro_delay=0.0, strict_responses=True)
    e.bind("https://127.0.0.1:1")
    d = e.directory
    token = d.issue("i", "https://management.azure.com/", d.principal(d.principal_object_id))
    sub = d.subscription_id

    def call(method, path, api, body=None, query=None):
        q = {"api-version": [api]}
        q.update({k: [v] for k, v in (query or {}).items()})
        status, h, out = e.engine.handle(method, path, q, {"authorization": "Bearer " + token},
                                         json.dumps(body).encode() if body is not None else b"")
        return status, out

    e.call = call
    e.sub = sub
    e.rg = f"/subscriptions/{sub}/resourceGroups/rg"
    assert call("PUT", e.rg, RG_API, {"location": "eastus"})[0] == 201
    yield e
    log = tmp_path / "violations.log"
    assert not (log.exists() and log.read_text().strip()), log.read_text()


def ok(resp):
    status, body = resp
    assert status in (200, 201, 202), body
    return body


def err(resp, status, code):
    s, body = resp
    assert s == status, body
    assert body["error"]["code"] == code, body
    return body["error"]["message"]


def sa_path(e, name, rg=None):
    return f"{rg or e.rg}/providers/Microsoft.Storage/storageAccounts/{name}"


def make_sa(e, name, sku="Standard_LRS", location="eastus"):
    return ok(e.call("PUT", sa_path(e, name), ST, {"location": location, "kind": "StorageV2",
                                                   "sku": {"name": sku}}))


# ----------------------------------------------------------------------------- storage
def test_storage_redundancy_needs_pair_and_zones(emu):
    msg = err(emu.call("PUT", sa_path(emu, "stzrswest"), ST, {
        "location": "westus", "kind": "StorageV2", "sku": {"name": "Standard_ZRS"}}),
        400, "RedundancyConfigurationNotAvailableInRegion")
    assert "westus" in msg and "Standard_ZRS" in msg
    err(emu.call("PUT", sa_path(emu, "stgrsitaly"), ST, {
        "location": "italynorth", "kind": "StorageV2", "sku": {"name": "Standard_GRS"}}),
        400, "RedundancyConfigurationNotAvailableInRegion")
    sa = make_sa(emu, "stgzrseast", sku="Standard_RAGZRS")
    assert sa["properties"]["secondaryLocation"] == "westus"
    assert sa["properties"]["secondaryEndpoints"]["blob"]
    sa = make_sa(emu, "stgrsne", sku="Standard_GRS", location="northeurope")
    assert sa["properties"]["secondaryLocation"] == "westeurope"
    assert "secondaryEndpoints" not in sa["properties"]           # GRS: no read access


# --------------------------------------------------------------------------- key vaults
def kv_body(e, **props):
    p = {"tenantId": e.directory.tenant_id, "sku": {"family": "A", "name": "standard"}}
    p.update(props)
    return {"location": "eastus", "properties": p}


def test_key_vault(emu):
    path = f"{emu.rg}/providers/Microsoft.KeyVault/vaults/kv-bcdr-1"
    kv = ok(emu.call("PUT", path, KV, kv_body(emu, enablePurgeProtection=True)))
    p = kv["properties"]
    assert p["vaultUri"] == "https://kv-bcdr-1.vault.azure.net/"
    assert p["enableSoftDelete"] is True and p["softDeleteRetentionInDays"] == 90
    # globally unique
    ok(emu.call("PUT", f"/subscriptions/{emu.sub}/resourceGroups/rg2", RG_API, {"location": "westus"}))
    other = f"/subscriptions/{emu.sub}/resourceGroups/rg2/providers/Microsoft.KeyVault/vaults/kv-bcdr-1"
    assert "already in use" in err(emu.call("PUT", other, KV, kv_body(emu)), 409, "VaultAlreadyExists")
    # names
    for bad in ("1kv", "kv--double", "kv-"):
        err(emu.call("PUT", f"{emu.rg}/providers/Microsoft.KeyVault/vaults/{bad}", KV, kv_body(emu)),
            400, "VaultNameNotValid")
    # another tenant
    err(emu.call("PUT", f"{emu.rg}/providers/Microsoft.KeyVault/vaults/kv-other",
                 KV, kv_body(emu, tenantId=str(uuid.uuid4()))), 400, "BadRequest")
    # purge protection is one-way
    err(emu.call("PUT", path, KV, kv_body(emu, enablePurgeProtection=False)), 400, "BadRequest")


# ------------------------------------------------------------------------------- ACR
def acr_path(e, name):
    return f"{e.rg}/providers/Microsoft.ContainerRegistry/registries/{name}"


def test_registry_and_replications(emu):
    reg = ok(emu.call("PUT", acr_path(emu, "acrBcdrMain"), ACR,
                      {"location": "eastus", "sku": {"name": "Basic"}}))
    p = reg["properties"]
    assert p["loginServer"] == "acrbcdrmain.azurecr.io"
    assert p["creationDate"] and p["adminUserEnabled"] is False
    assert reg["sku"]["tier"] == "Basic"
    rep = acr_path(emu, "acrBcdrMain") + "/replications/westus"
    msg = err(emu.call("PUT", rep, ACR, {"location": "westus"}), 400, "RegistrySkuNotSupported")
    assert "Premium" in msg
    assert emu.call("GET", rep, ACR)[0] == 404
    ok(emu.call("PATCH", acr_path(emu, "acrBcdrMain"), ACR, {"sku": {"name": "Premium"}}))
    r = ok(emu.call("PUT", rep, ACR, {"location": "westus"}))
    assert r["properties"]["regionEndpointEnabled"] is True
    assert r["properties"]["zoneRedundancy"] == "Disabled"
    assert r["properties"]["provisioningState"] == "Succeeded"
    err(emu.call("PUT", acr_path(emu, "acrBcdrMain") + "/replications/eastus", ACR,
                 {"location": "eastus"}), 400, "ReplicationLocationInvalid")
    # downgrade with replications refused
    assert emu.call("PATCH", acr_path(emu, "acrBcdrMain"), ACR, {"sku": {"name": "Standard"}})[0] == 400
    # global names
    ok(emu.call("PUT", f"/subscriptions/{emu.sub}/resourceGroups/rg2", RG_API, {"location": "westus"}))
    other = f"/subscriptions/{emu.sub}/resourceGroups/rg2/providers/Microsoft.ContainerRegistry/" \
            "registries/ACRBCDRMAIN"
    assert "acrbcdrmain.azurecr.io is already in use" in err(
        emu.call("PUT", other, ACR, {"location": "westus", "sku": {"name": "Basic"}}), 409, "AlreadyInUse")


# ------------------------------------------------------------------------ App Insights
def test_app_insights(emu):
    path = f"{emu.rg}/providers/Microsoft.Insights/components/appi-bcdr"
    ai = ok(emu.call("PUT", path, AI, {"location": "eastus", "kind": "web",
                                       "properties": {"Application_Type": "web"}}))
    p = ai["properties"]
    uuid.UUID(p["AppId"])
    uuid.UUID(p["InstrumentationKey"])
    assert p["ConnectionString"].startswith(f"InstrumentationKey={p['InstrumentationKey']};"
                                            "IngestionEndpoint=https://eastus")
    assert p["Name"] == "appi-bcdr" and p["CreationDate"] and p["RetentionInDays"] == 90
    again = ok(emu.call("PUT", path, AI, {"location": "eastus", "kind": "web",
                                          "properties": {"Application_Type": "web",
                                                         "RetentionInDays": 30}}))
    assert again["properties"]["AppId"] == p["AppId"]
    assert again["properties"]["InstrumentationKey"] == p["InstrumentationKey"]


# ------------------------------------------------------------------------- workspaces
def ws_deps(e):
    make_sa(e, "stmlwbcdr")
    ok(e.call("PUT", f"{e.rg}/providers/Microsoft.KeyVault/vaults/kv-mlw-bcdr", KV, kv_body(e)))
    ok(e.call("PUT", f"{e.rg}/providers/Microsoft.Insights/components/appi-mlw", AI,
              {"location": "eastus", "kind": "web", "properties": {"Application_Type": "web"}}))
    return {"storageAccount": sa_path(e, "stmlwbcdr"),
            "keyVault": f"{e.rg}/providers/Microsoft.KeyVault/vaults/kv-mlw-bcdr",
            "applicationInsights": f"{e.rg}/providers/Microsoft.Insights/components/appi-mlw"}


def ws_path(e, name="mlw-bcdr"):
    return f"{e.rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}"


def make_ws(e, name="mlw-bcdr", **extra):
    props = ws_deps(e) if not extra.get("properties") else extra.pop("properties")
    return ok(e.call("PUT", ws_path(e, name), ML, dict(
        {"location": "eastus", "identity": {"type": "SystemAssigned"}, "properties": props}, **extra)))


def test_workspace(emu):
    ws = make_ws(emu)
    p = ws["properties"]
    uuid.UUID(p["workspaceId"])
    assert p["discoveryUrl"] == "https://eastus.api.azureml.ms/discovery"
    assert p["mlFlowTrackingUri"].startswith("azureml://eastus.api.azureml.ms/mlflow/v1.0/subscriptions/")
    assert p["tenantId"] == emu.directory.tenant_id
    assert ws["identity"]["principalId"]
    assert emu.directory.has_principal(ws["identity"]["principalId"])
    # hbiWorkspace cannot change
    body = {"location": "eastus", "identity": {"type": "SystemAssigned"},
            "properties": dict(ws_deps_ids(emu), hbiWorkspace=True)}
    assert "hbiWorkspace" in err(emu.call("PUT", ws_path(emu), ML, body), 400, "BadRequest")
    again = ok(emu.call("PUT", ws_path(emu), ML, dict(body, properties=ws_deps_ids(emu))))
    assert again["properties"]["workspaceId"] == p["workspaceId"]


def ws_deps_ids(e):
    return {"storageAccount": sa_path(e, "stmlwbcdr"),
            "keyVault": f"{e.rg}/providers/Microsoft.KeyVault/vaults/kv-mlw-bcdr",
            "applicationInsights": f"{e.rg}/providers/Microsoft.Insights/components/appi-mlw"}


def test_workspace_linked_resources_must_exist(emu):
    deps = ws_deps(emu)
    missing = dict(deps, storageAccount=sa_path(emu, "stnothere"))
    msg = err(emu.call("PUT", ws_path(emu, "mlw-x"), ML, {"location": "eastus", "properties": missing}),
              400, "BadRequest")
    assert "stnothere" in msg
    acr = dict(deps, containerRegistry=acr_path(emu, "acrnothere"))
    err(emu.call("PUT", ws_path(emu, "mlw-x"), ML, {"location": "eastus", "properties": acr}),
        400, "BadRequest")
    assert emu.call("GET", ws_path(emu, "mlw-x"), ML)[0] == 404


def test_workspace_needs_its_storage_account_and_key_vault(emu):
    deps = ws_deps(emu)
    for prop in ("storageAccount", "keyVault"):
        body = {"location": "eastus", "properties": {k: v for k, v in deps.items() if k != prop}}
        msg = err(emu.call("PUT", ws_path(emu, "mlw-bare"), ML, body), 400, "ValidationError")
        assert f"properties.{prop}" in msg
        assert emu.call("GET", ws_path(emu, "mlw-bare"), ML)[0] == 404
    assert "properties.storageAccount, properties.keyVault" in err(
        emu.call("PUT", ws_path(emu, "mlw-bare"), ML, {"location": "eastus"}), 400, "ValidationError")
    assert emu.call("GET", ws_path(emu, "mlw-bare"), ML)[0] == 404


def test_workspace_storage_key_vault_and_hbi_are_fixed(emu):
    ws = make_ws(emu)
    make_sa(emu, "stmlwother")
    other_kv = f"{emu.rg}/providers/Microsoft.KeyVault/vaults/kv-mlw-other"
    ok(emu.call("PUT", other_kv, KV, kv_body(emu)))
    changes = {"storageAccount": sa_path(emu, "stmlwother"), "keyVault": other_kv,
               "hbiWorkspace": True}
    for prop, value in changes.items():
        body = {"location": "eastus", "identity": {"type": "SystemAssigned"},
                "properties": dict(ws_deps_ids(emu), **{prop: value})}
        assert prop in err(emu.call("PUT", ws_path(emu), ML, body), 400, "BadRequest")
        got = ok(emu.call("GET", ws_path(emu), ML))
        assert got["properties"] == ws["properties"], prop          # nothing changed
    # the same IDs in another case are the same resources (ARM IDs are case-insensitive)
    same = {k: v.upper() for k, v in ws_deps_ids(emu).items()}
    ok(emu.call("PUT", ws_path(emu), ML, {"location": "eastus", "identity": {"type": "SystemAssigned"},
                                          "properties": same}))


def test_compute(emu):
    make_ws(emu)
    path = ws_path(emu) + "/computes/cpu-cluster"
    c = ok(emu.call("PUT", path, ML, {"location": "eastus", "properties": {
        "computeType": "AmlCompute", "properties": {
            "vmSize": "Standard_DS3_v2", "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 1}}}}))
    inner = c["properties"]["properties"]
    assert inner["allocationState"] == "Steady"
    assert inner["currentNodeCount"] == 1 and inner["targetNodeCount"] == 1
    assert inner["nodeStateCounts"]["idleNodeCount"] == 1
    assert c["properties"]["provisioningState"] == "Succeeded"
    assert c["properties"]["computeLocation"] == "eastus"


def test_compute_fixed_fields_and_stable_allocation_time(emu):
    make_ws(emu)
    path = ws_path(emu) + "/computes/gpu-cluster"
    body = {"location": "eastus", "properties": {"computeType": "AmlCompute", "properties": {
        "vmSize": "Standard_NC6s_v3", "scaleSettings": {"maxNodeCount": 2, "minNodeCount": 0}}}}
    first = ok(emu.call("PUT", path, ML, body))["properties"]["properties"]
    # a scale-only change: the allocation state (and its time) does not move
    patched = ok(emu.call("PATCH", path, ML, {"properties": {"properties": {
        "scaleSettings": {"maxNodeCount": 6}}}}))
    inner = patched["properties"]["properties"]
    assert inner["scaleSettings"]["maxNodeCount"] == 6
    assert inner["allocationStateTransitionTime"] == first["allocationStateTransitionTime"]
    # the VM size, the priority and the compute type are fixed once created
    for change in ({"vmSize": "standard_ds3_v2"}, {"vmPriority": "LowPriority"}):
        b = json.loads(json.dumps(body))
        b["properties"]["properties"].update(change)
        msg = err(emu.call("PUT", path, ML, b), 409, "Conflict")
        assert next(iter(change)) in msg
    same_size_other_case = json.loads(json.dumps(body))
    same_size_other_case["properties"]["properties"]["vmSize"] = "STANDARD_NC6S_V3"
    ok(emu.call("PUT", path, ML, same_size_other_case))
    got = ok(emu.call("GET", path, ML))["properties"]["properties"]
    assert got["vmPriority"] == "Dedicated" and got["vmSize"].lower() == "standard_nc6s_v3"


# ------------------------------------------------------------------ assets and versions
def test_asset_versions_container_fields_and_immutability(emu):
    make_ws(emu)
    models = ws_path(emu) + "/models/fraud"
    v1 = {"properties": {"modelUri": "azureml://datastores/workspaceblobstore/paths/m/1/",
                         "modelType": "custom_model", "description": "first",
                         "properties": {"auc": "0.91"}, "tags": {"team": "risk"}}}
    ok(emu.call("PUT", models + "/versions/1", ML, v1))
    c = ok(emu.call("GET", models, ML))
    assert c["properties"]["latestVersion"] == "1" and c["properties"]["nextVersion"] == "2"
    ok(emu.call("PUT", models + "/versions/2", ML, v1))
    c = ok(emu.call("GET", models, ML))
    assert c["properties"]["latestVersion"] == "2" and c["properties"]["nextVersion"] == "3"

    # same body again: fine (idempotent); description/tags/stage/isArchived may change
    ok(emu.call("PUT", models + "/versions/1", ML, v1))
    edited = json.loads(json.dumps(v1))
    edited["properties"].update(description="edited", tags={"team": "fraud"}, stage="Production",
                                isArchived=True)
    edited["properties"]["properties"]["extra"] = "added"
    got = ok(emu.call("PUT", models + "/versions/1", ML, edited))
    assert got["properties"]["properties"] == {"auc": "0.91", "extra": "added"}

    # different content under the same name and version: 409, never overwritten
    changed = json.loads(json.dumps(v1))
    changed["properties"]["modelUri"] = "azureml://datastores/workspaceblobstore/paths/m/other/"
    msg = err(emu.call("PUT", models + "/versions/1", ML, changed), 409, "UserError")
    assert "Model fraud with version 1 is already registered and cannot be changed" in msg
    assert "modelUri" in msg
    prop = json.loads(json.dumps(v1))
    prop["properties"]["properties"]["auc"] = "0.99"
    assert "without increasing the version" in err(
        emu.call("PUT", models + "/versions/1", ML, prop), 409, "UserError")
    assert ok(emu.call("GET", models + "/versions/1", ML))["properties"]["modelUri"].endswith("/m/1/")

    # removing the latest version moves latestVersion back
    assert emu.call("DELETE", models + "/versions/2", ML)[0] in (200, 204)
    c = ok(emu.call("GET", models, ML))
    assert c["properties"]["latestVersion"] == "1" and c["properties"]["nextVersion"] == "2"


def test_environment_version_defaults_make_reput_idempotent(emu):
    make_ws(emu)
    env = ws_path(emu) + "/environments/train-env/versions/3"
    body = {"properties": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"}}
    e1 = ok(emu.call("PUT", env, ML, body))
    assert e1["properties"]["autoRebuild"] == "Disabled"
    ok(emu.call("PUT", env, ML, body))
    err(emu.call("PUT", env, ML, {"properties": {"image": "python:3.11"}}), 409, "UserError")


# ------------------------------------------------------------------------- datastores
def test_datastore_secrets_are_never_returned(emu):
    make_ws(emu)
    path = ws_path(emu) + "/datastores/training_data"
    ds = ok(emu.call("PUT", path, ML, {"properties": {
        "datastoreType": "AzureBlob", "accountName": "stmlwbcdr", "containerName": "training",
        "credentials": {"credentialsType": "AccountKey",
                        "secrets": {"secretsType": "AccountKey", "key": "c2VjcmV0"}}}}))
    # the kind of secret, never its value (as Azure answers it)
    assert ds["properties"]["credentials"]["secrets"] == {"secretsType": "AccountKey"}
    assert ds["properties"]["credentials"]["credentialsType"] == "AccountKey"
    assert ds["properties"]["isDefault"] is False
    assert ds["properties"]["endpoint"] == "core.windows.net"
    assert "c2VjcmV0" not in json.dumps(ok(emu.call("GET", path, ML)))
    assert emu.engine.ctx.full_resource(path)["properties"]["credentials"]["secrets"]["key"] == "c2VjcmV0"


# ------------------------------------------------------------------ role assignments
def ra_path(scope, name=None):
    return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name or uuid.uuid4()}"


def role(e, guid):
    return f"/subscriptions/{e.sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
DS = "f6c7c914-8db3-469d-8ca1-694a8f32e121"


def test_role_assignments(emu):
    alice = emu.directory.register(display_name="alice", kind="User")["object_id"]
    name = str(uuid.uuid4())
    ra = ok(emu.call("PUT", ra_path(emu.rg, name), AUTH, {"properties": {
        "roleDefinitionId": role(emu, READER), "principalId": alice}}))
    p = ra["properties"]
    assert p["scope"] == emu.rg and p["principalType"] == "User"
    assert p["createdOn"] and p["roleDefinitionId"].endswith(READER)
    # same assignment again under its own name: fine
    ok(emu.call("PUT", ra_path(emu.rg, name), AUTH, {"properties": {
        "roleDefinitionId": role(emu, READER), "principalId": alice}}))
    # same principal+role+scope under another name: 409
    assert err(emu.call("PUT", ra_path(emu.rg), AUTH, {"properties": {
        "roleDefinitionId": role(emu, READER), "principalId": alice}}),
        409, "RoleAssignmentExists") == "The role assignment already exists."
    # immutable
    err(emu.call("PUT", ra_path(emu.rg, name), AUTH, {"properties": {
        "roleDefinitionId": role(emu, DS), "principalId": alice}}), 400, "RoleAssignmentUpdateNotPermitted")
    # unknown principal / role
    ghost = str(uuid.uuid4())
    msg = err(emu.call("PUT", ra_path(emu.rg), AUTH, {"properties": {
        "roleDefinitionId": role(emu, READER), "principalId": ghost}}), 400, "PrincipalNotFound")
    assert f"does not exist in the directory {emu.directory.tenant_id}" in msg
    err(emu.call("PUT", ra_path(emu.rg), AUTH, {"properties": {
        "roleDefinitionId": role(emu, str(uuid.uuid4())), "principalId": alice}}),
        400, "RoleDefinitionDoesNotExist")
    # principalType given: ARM skips the lookup; a wrong type for a known principal is refused
    ok(emu.call("PUT", ra_path(emu.rg), AUTH, {"properties": {
        "roleDefinitionId": role(emu, DS), "principalId": ghost, "principalType": "ServicePrincipal"}}))
    err(emu.call("PUT", ra_path(emu.rg), AUTH, {"properties": {
        "roleDefinitionId": role(emu, DS), "principalId": alice, "principalType": "Group"}}),
        400, "UnmatchedPrincipalType")
    # the short roleDefinitionId form is accepted and stored in the subscription form
    sp = emu.directory.register(display_name="sp", kind="ServicePrincipal")["object_id"]
    r2 = ok(emu.call("PUT", ra_path(emu.rg), AUTH, {"properties": {
        "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{DS}",
        "principalId": sp}}))
    assert r2["properties"]["roleDefinitionId"] == role(emu, DS)
    assert r2["properties"]["principalType"] == "ServicePrincipal"


# ------------------------------------------------------------------- resource groups
def test_group_delete_cleans_storage_keys(emu):
    make_sa(emu, "stgroupgone")
    keys = emu.store.secrets["storageAccountKeys"]
    assert "stgroupgone" in keys
    status, _unused = emu.call("DELETE", emu.rg, RG_API)
    assert status in (200, 202)
    emu.engine.settle()
    assert "stgroupgone" not in emu.store.secrets["storageAccountKeys"]


def test_compute_scale_change_moves_only_what_it_should(emu):
    make_ws(emu)
    path = ws_path(emu) + "/computes/cpu-scale"
    body = {"location": "eastus", "properties": {"computeType": "AmlCompute", "properties": {
        "vmSize": "Standard_DS3_v2", "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 0}}}}
    first = ok(emu.call("PUT", path, ML, body))
    body["properties"]["properties"]["scaleSettings"]["maxNodeCount"] = 8
    second = ok(emu.call("PUT", path, ML, body))
    for r in (first, second):
        r.pop("systemData", None)
        r["properties"].pop("modifiedOn")
        r["properties"]["properties"]["scaleSettings"].pop("maxNodeCount")
    assert first == second
