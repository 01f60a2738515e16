"""Hooks and actions end to end through the official SDKs against the running emulator (HTTPS,
real sign-in, Azurite): a workspace and its linked resources, the workspace's listKeys, an
AccountKey datastore whose listSecrets key writes blobs in Azurite, ACR rules, role assignments."""
import os
import uuid

import pytest

from emulator.azurite import DEFAULT_BIN

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_BIN),
                                reason="Azurite is not installed (npm install)")

blob = pytest.importorskip("azure.storage.blob")
from azure.core.exceptions import HttpResponseError  # noqa: E402
from azure.mgmt.resource.resources import ResourceManagementClient  # noqa: E402

RG = "rg-hooks-sdk"
ML = "2024-04-01"


def _keys(sm, rg, name):
    """(azure-mgmt-storage >= 24 models are mappings: ``.keys`` is dict.keys)"""
    return [k["value"] for k in sm.storage_accounts.list_keys(rg, name)["keys"]]


@pytest.fixture(scope="module")
def ws(emulator):
    from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient
    from azure.mgmt.keyvault import KeyVaultManagementClient
    from azure.mgmt.storage import StorageManagementClient
    rm = emulator.client(ResourceManagementClient, "2021-04-01")
    rm.resource_groups.create_or_update(RG, {"location": "eastus"})
    sm = emulator.client(StorageManagementClient, "2023-01-01")
    sa = sm.storage_accounts.begin_create(RG, "sthookssdk", {
        "location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_RAGRS"}}).result()
    kv = emulator.client(KeyVaultManagementClient, "2023-07-01").vaults.begin_create_or_update(
        RG, "kv-hooks-sdk", {"location": "eastus", "properties": {
            "tenantId": emulator.endpoint["tenant_id"], "sku": {"family": "A", "name": "standard"}}}).result()
    ai = emulator.client(ApplicationInsightsManagementClient, "2020-02-02").components.create_or_update(
        RG, "appi-hooks-sdk", {"location": "eastus", "kind": "web", "properties": {"Application_Type": "web"}})
    ml = ml_client(emulator)
    w = ml.workspaces.begin_create_or_update(RG, "mlw-hooks-sdk", {
        "location": "eastus", "identity": {"type": "SystemAssigned"}, "properties": {
            "storageAccount": sa.id, "keyVault": kv.id, "applicationInsights": ai.id}}).result()
    return dict(sm=sm, ml=ml, sa=sa, kv=kv, ai=ai, ws=w)


def ml_client(emulator):
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
    return emulator.client(MachineLearningServicesMgmtClient, ML)


def test_server_fields(ws):
    assert ws["kv"].properties.vault_uri == "https://kv-hooks-sdk.vault.azure.net/"
    assert ws["ai"].instrumentation_key and ws["ai"].app_id
    assert ws["ai"].connection_string.startswith("InstrumentationKey=" + ws["ai"].instrumentation_key)
    w = ws["ws"]
    assert w.workspace_id and w.discovery_url == "https://eastus.api.azureml.ms/discovery"
    assert w.identity.principal_id
    assert ws["sa"].secondary_location == "westus" and ws["sa"].secondary_endpoints is not None


def test_workspace_list_keys_is_the_storage_key(ws):
    keys = ws["ml"].workspaces.list_keys(RG, "mlw-hooks-sdk")
    assert keys.user_storage_key == _keys(ws["sm"], RG, "sthookssdk")[0]
    assert keys.app_insights_instrumentation_key == ws["ai"].instrumentation_key


def test_datastore_list_secrets_gives_a_working_key(ws):
    ml, sa = ws["ml"], ws["sa"]
    key = _keys(ws["sm"], RG, "sthookssdk")[0]
    svc = blob.BlobServiceClient(sa.primary_endpoints.blob, credential=key)
    svc.create_container("training")
    ml.datastores.create_or_update(RG, "mlw-hooks-sdk", "training_data", {"properties": {
        "datastoreType": "AzureBlob", "accountName": "sthookssdk", "containerName": "training",
        "credentials": {"credentialsType": "AccountKey",
                        "secrets": {"secretsType": "AccountKey", "key": key}}}})
    got = ml.datastores.get(RG, "mlw-hooks-sdk", "training_data")
    assert got.properties.credentials.credentials_type == "AccountKey"
    # the kind of secret comes back, never the key
    assert got.properties.credentials.secrets.secrets_type == "AccountKey"
    assert got.properties.credentials.secrets.key is None
    secrets = ml.datastores.list_secrets(RG, "mlw-hooks-sdk", "training_data")
    assert secrets.secrets_type == "AccountKey"
    # the key from listSecrets writes to the account in Azurite
    blob.BlobServiceClient(sa.primary_endpoints.blob, credential=secrets.key) \
        .get_blob_client("training", "part-0.csv").upload_blob(b"a,b\n1,2\n")
    assert svc.get_blob_client("training", "part-0.csv").download_blob().readall() == b"a,b\n1,2\n"


def test_model_version_conflict(ws):
    ml = ws["ml"]
    body = {"properties": {"modelUri": "azureml://datastores/workspaceblobstore/paths/fraud/1/",
                           "modelType": "custom_model", "description": "v1"}}
    ml.model_versions.create_or_update(RG, "mlw-hooks-sdk", "fraud", "1", body)
    assert ml.model_containers.get(RG, "mlw-hooks-sdk", "fraud").properties.latest_version == "1"
    ml.model_versions.create_or_update(RG, "mlw-hooks-sdk", "fraud", "1",
                                       {"properties": dict(body["properties"], description="edited")})
    with pytest.raises(HttpResponseError) as err:
        ml.model_versions.create_or_update(RG, "mlw-hooks-sdk", "fraud", "1", {"properties": dict(
            body["properties"], modelUri="azureml://datastores/workspaceblobstore/paths/other/")})
    assert err.value.status_code == 409 and err.value.error.code == "UserError"


def test_acr_replication_on_basic_is_refused(emulator, ws):
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    acr = emulator.client(ContainerRegistryManagementClient, "2023-07-01")
    reg = acr.registries.begin_create(RG, "acrhookssdk", {"location": "eastus", "sku": {"name": "Basic"}}).result()
    assert reg.login_server == "acrhookssdk.azurecr.io"
    with pytest.raises(HttpResponseError) as err:
        acr.replications.begin_create(RG, "acrhookssdk", "westus", {"location": "westus"}).result()
    assert err.value.status_code == 400 and err.value.error.code == "RegistrySkuNotSupported"
    assert not any("/replications/" in k for k in emulator.state() if "acrhookssdk" in k)


def test_role_assignment_principal_checks(emulator, ws):
    from azure.mgmt.authorization import AuthorizationManagementClient
    auth = emulator.client(AuthorizationManagementClient, "2022-04-01")
    sub = emulator.endpoint["subscription_id"]
    scope = f"/subscriptions/{sub}/resourceGroups/{RG}"
    reader = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
    with pytest.raises(HttpResponseError) as err:
        auth.role_assignments.create(scope, str(uuid.uuid4()), {
            "properties": {"roleDefinitionId": reader, "principalId": str(uuid.uuid4())}})
    assert err.value.status_code == 400 and err.value.error.code == "PrincipalNotFound"
    oid = ws["ws"].identity.principal_id           # the workspace's managed identity exists
    ra = auth.role_assignments.create(scope, str(uuid.uuid4()), {"properties": {"roleDefinitionId": reader, "principalId": oid}})
    assert ra.principal_type == "ServicePrincipal" and ra.scope == scope
    mine = list(auth.role_assignments.list_for_scope(scope, filter=f"principalId eq '{oid}'"))
    assert [r.name for r in mine] == [ra.name]
    with pytest.raises(HttpResponseError) as err:
        auth.role_assignments.create(scope, str(uuid.uuid4()), {"properties": {"roleDefinitionId": reader, "principalId": oid}})
    assert err.value.status_code == 409 and err.value.error.code == "RoleAssignmentExists"
