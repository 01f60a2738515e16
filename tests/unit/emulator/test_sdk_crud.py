"""Official mgmt SDK clients against the emulator, exactly as against Azure: create, get,
update, list (with paging) and delete, with real LRO polling, and ARM's error answers."""

import uuid

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient

from emulator.harness import Emulator
from emulator.seed import workspace_links

API = {"resource": "2021-04-01", "storage": "2023-01-01", "ml": "2024-04-01",
       "keyvault": "2023-07-01", "acr": "2023-07-01"}


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    """A dedicated emulator with a small page size (paging over a few resources)."""
    with Emulator(tmp_path_factory.mktemp("emu-crud"), page_size=3) as e:
        yield e


@pytest.fixture(scope="module")
def clients(emu):
    cred = emu.credential()
    return {
        "rm": emu.client(ResourceManagementClient, API["resource"], cred),
        "st": emu.client(StorageManagementClient, API["storage"], cred),
        "ml": emu.client(MachineLearningServicesMgmtClient, API["ml"], cred),
        "kv": emu.client(KeyVaultManagementClient, API["keyvault"], cred),
        "acr": emu.client(ContainerRegistryManagementClient, API["acr"], cred),
    }


@pytest.fixture(scope="module")
def rg(clients):
    clients["rm"].resource_groups.create_or_update("rg-crud", {"location": "westus"})
    return "rg-crud"


@pytest.fixture(scope="module")
def links(emu, rg):
    """The storage account and key vault every workspace here links to (Azure requires them)."""
    return workspace_links(emu.endpoint, rg, "westus", "crud")


def _raw(emu, method, path, body=None, headers=None):
    token = emu.credential().get_token("https://management.azure.com/.default").token
    return requests.request(method, emu.arm_url + path, json=body, verify=emu.ca_cert,
                            headers=dict(headers or {}, Authorization="Bearer " + token))


def test_resource_groups(clients, emu):
    rm = clients["rm"]
    created = rm.resource_groups.create_or_update("rg-life", {"location": "West US 2",
                                                              "tags": {"a": "1"}})
    assert created.location == "westus2" and created.properties.provisioning_state == "Succeeded"
    assert created.id == "/subscriptions/%s/resourceGroups/rg-life" % emu.endpoint["subscription_id"]
    assert rm.resource_groups.check_existence("rg-life") is True
    assert rm.resource_groups.get("RG-LIFE").tags == {"a": "1"}      # IDs are case-insensitive
    updated = rm.resource_groups.update("rg-life", {"tags": {"b": "2"}})
    assert updated.tags == {"b": "2"}
    names = [g.name for g in rm.resource_groups.list()]               # pages of 3
    assert "rg-life" in names
    rm.resource_groups.begin_delete("rg-life").result()
    assert rm.resource_groups.check_existence("rg-life") is False
    with pytest.raises(ResourceNotFoundError) as err:
        rm.resource_groups.get("rg-life")
    assert err.value.error.code == "ResourceGroupNotFound"


def test_storage_account_lifecycle(clients, rg):
    st = clients["st"]
    poller = st.storage_accounts.begin_create(rg, "stcrud1", {
        "location": "westus", "kind": "StorageV2", "sku": {"name": "Standard_GRS"}})
    account = poller.result()
    assert account.provisioning_state == "Succeeded" and account.location == "westus"
    assert st.storage_accounts.get_properties(rg, "stcrud1").sku.name == "Standard_GRS"
    updated = st.storage_accounts.update(rg, "stcrud1", {"tags": {"tier": "dr"}})
    assert updated.tags == {"tier": "dr"} and updated.sku.name == "Standard_GRS"
    assert "stcrud1" in [a.name for a in st.storage_accounts.list_by_resource_group(rg)]
    st.storage_accounts.delete(rg, "stcrud1")
    with pytest.raises(ResourceNotFoundError):
        st.storage_accounts.get_properties(rg, "stcrud1")


def test_key_vault(clients, emu, rg):
    kv = clients["kv"]
    vault = kv.vaults.begin_create_or_update(rg, "kv-crud", {
        "location": "westus", "properties": {"tenantId": emu.endpoint["tenant_id"],
                                             "sku": {"family": "A", "name": "standard"},
                                             "accessPolicies": []}}).result()
    assert vault.name == "kv-crud"
    assert kv.vaults.get(rg, "kv-crud").properties.tenant_id == emu.endpoint["tenant_id"]
    assert "kv-crud" in [v.name for v in kv.vaults.list_by_resource_group(rg)]
    kv.vaults.delete(rg, "kv-crud")
    with pytest.raises(ResourceNotFoundError):
        kv.vaults.get(rg, "kv-crud")


def test_container_registry_and_replication(clients, rg):
    acr = clients["acr"]
    reg = acr.registries.begin_create(rg, "acrcrud", {
        "location": "westus", "sku": {"name": "Premium"},
        "properties": {"adminUserEnabled": False}}).result()
    assert reg.provisioning_state == "Succeeded" and reg.sku.name == "Premium"
    rep = acr.replications.begin_create(rg, "acrcrud", "eastus",
                                        {"location": "eastus"}).result()
    assert rep.location == "eastus" and rep.provisioning_state == "Succeeded"
    assert [r.name for r in acr.replications.list(rg, "acrcrud")] == ["eastus"]
    updated = acr.registries.begin_update(rg, "acrcrud", {"tags": {"dr": "yes"}}).result()
    assert updated.tags == {"dr": "yes"}
    acr.replications.begin_delete(rg, "acrcrud", "eastus").result()
    assert list(acr.replications.list(rg, "acrcrud")) == []
    acr.registries.begin_delete(rg, "acrcrud").result()
    with pytest.raises(ResourceNotFoundError):
        acr.registries.get(rg, "acrcrud")


def test_ml_workspace_lifecycle_with_lro(clients, emu, rg, links):
    ml = clients["ml"]
    ws = ml.workspaces.begin_create_or_update(rg, "mlw-crud", {
        "location": "westus", "identity": {"type": "SystemAssigned"},
        "properties": dict(links, friendlyName="crud")}).result()
    assert ws.provisioning_state == "Succeeded" and ws.friendly_name == "crud"
    assert ws.identity.principal_id and ws.identity.tenant_id == emu.endpoint["tenant_id"]
    assert ws.system_data.created_by == emu.endpoint["client_id"]
    ws2 = ml.workspaces.begin_update(rg, "mlw-crud", {"properties": {"description": "d"}}).result()
    assert ws2.description == "d" and ws2.friendly_name == "crud"
    assert ws2.identity.principal_id == ws.identity.principal_id    # stable across updates
    assert [w.name for w in ml.workspaces.list_by_resource_group(rg)] == ["mlw-crud"]
    assert "mlw-crud" in [w.name for w in ml.workspaces.list_by_subscription()]
    ml.workspaces.begin_delete(rg, "mlw-crud").result()
    with pytest.raises(ResourceNotFoundError) as err:
        ml.workspaces.get(rg, "mlw-crud")
    assert "under resource group 'rg-crud' was not found" in err.value.error.message


def test_ml_assets_and_paging(clients, rg, links):
    ml = clients["ml"]
    ml.workspaces.begin_create_or_update(rg, "mlw-assets", {"location": "westus",
                                                            "properties": links}).result()
    for v in range(1, 9):
        ml.model_versions.create_or_update(rg, "mlw-assets", "fraud", str(v), {
            "properties": {"modelUri": "azureml://models/fraud/%d" % v, "modelType": "custom_model",
                           "tags": {"v": str(v)}}})
    # the container was created by the first version, as Azure ML does
    assert ml.model_containers.get(rg, "mlw-assets", "fraud").name == "fraud"
    versions = list(ml.model_versions.list(rg, "mlw-assets", "fraud"))   # 3 pages of 3
    assert sorted(int(v.name) for v in versions) == list(range(1, 9))
    env = ml.environment_versions.create_or_update(rg, "mlw-assets", "env", "1", {
        "properties": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"}})
    assert env.properties.image.startswith("mcr.")
    data = ml.data_versions.create_or_update(rg, "mlw-assets", "train", "1", {
        "properties": {"dataType": "uri_folder", "dataUri": "azureml://datastores/x/paths/y"}})
    assert data.properties.data_type == "uri_folder"
    ml.model_versions.delete(rg, "mlw-assets", "fraud", "8")
    with pytest.raises(ResourceNotFoundError):
        ml.model_versions.get(rg, "mlw-assets", "fraud", "8")
    ml.workspaces.begin_delete(rg, "mlw-assets").result()
    with pytest.raises(ResourceNotFoundError):    # children went with the workspace
        ml.model_containers.get(rg, "mlw-assets", "fraud")


def test_ml_compute(clients, rg, links):
    ml = clients["ml"]
    ml.workspaces.begin_create_or_update(rg, "mlw-compute", {"location": "westus",
                                                             "properties": links}).result()
    compute = ml.compute.begin_create_or_update(rg, "mlw-compute", "cpu", {
        "location": "westus", "properties": {
            "computeType": "AmlCompute", "properties": {
                "vmSize": "STANDARD_DS3_V2",
                "scaleSettings": {"maxNodeCount": 2, "minNodeCount": 0}}}}).result()
    assert compute.properties.compute_type == "AmlCompute"
    assert compute.properties.provisioning_state == "Succeeded"
    patched = ml.compute.begin_update(rg, "mlw-compute", "cpu", {
        "properties": {"scaleSettings": {"maxNodeCount": 4}}}).result()
    assert patched.properties.properties.scale_settings.max_node_count == 4
    assert [c.name for c in ml.compute.list(rg, "mlw-compute")] == ["cpu"]
    ml.compute.begin_delete(rg, "mlw-compute", "cpu", underlying_resource_action="Delete").result()
    assert list(ml.compute.list(rg, "mlw-compute")) == []


def test_missing_parent_and_missing_group(clients, rg):
    ml = clients["ml"]
    with pytest.raises(ResourceNotFoundError) as err:
        ml.model_versions.create_or_update(rg, "no-such-ws", "m", "1",
                                           {"properties": {"modelUri": "azureml://x"}})
    assert err.value.error.code == "ParentResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as err:
        ml.workspaces.begin_create_or_update("rg-absent", "ws_bad!", {"location": "westus"}).result()
    assert err.value.error.code == "ResourceGroupNotFound"


def test_bad_workspace_name_is_400_and_changes_nothing(clients, emu, rg):
    before = emu.state()
    with pytest.raises(HttpResponseError) as err:
        clients["ml"].workspaces.begin_create_or_update(rg, "bad_name!", {
            "location": "westus"}).result()
    assert err.value.status_code == 400
    assert err.value.error.code == "InvalidRequestContent"
    assert "workspaceName" in err.value.error.message
    assert emu.state() == before


def test_invalid_body_is_400_with_details(clients, emu, rg):
    before = emu.state()
    path = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/"
            "workspaces/mlw-bad?api-version=2024-04-01" % (emu.endpoint["subscription_id"], rg))
    r = _raw(emu, "PUT", path, {"location": "westus", "properties": {"friendlyName": 5},
                                "bogus": True})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "InvalidRequestContent" and len(err["details"]) == 2
    assert emu.state() == before


def test_unknown_location_is_400(clients, rg):
    with pytest.raises(HttpResponseError) as err:
        clients["ml"].workspaces.begin_create_or_update(rg, "mlw-loc", {
            "location": "atlantis"}).result()
    assert err.value.status_code == 400
    assert err.value.error.code == "LocationNotAvailableForResourceType"


def test_api_version_missing_or_fake_is_400(emu, rg):
    base = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/"
            "workspaces" % (emu.endpoint["subscription_id"], rg))
    r = _raw(emu, "GET", base)
    assert r.status_code == 400 and r.json()["error"]["code"] == "MissingApiVersionParameter"
    r = _raw(emu, "GET", base + "?api-version=2099-01-01")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert "2024-04-01" in r.json()["error"]["message"]
    # a real, newer api-version is accepted and validated against the closest spec on hand
    assert _raw(emu, "GET", base + "?api-version=2024-10-01-preview").status_code == 200


def test_unknown_provider_type_and_subscription(emu, rg):
    sub = emu.endpoint["subscription_id"]
    r = _raw(emu, "GET", "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Foo/bars/x"
             "?api-version=2020-01-01" % (sub, rg))
    assert r.status_code == 404 and r.json()["error"]["code"] == "NoRegisteredProviderFound"
    r = _raw(emu, "GET", "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/"
             "nonsense/x?api-version=2023-01-01" % (sub, rg))
    assert r.status_code == 404 and r.json()["error"]["code"] == "InvalidResourceType"
    r = _raw(emu, "GET", "/subscriptions/%s/resourcegroups?api-version=2021-04-01" % uuid.uuid4())
    assert r.status_code == 404 and r.json()["error"]["code"] == "SubscriptionNotFound"


def test_conflict_while_deleting(emu, clients, rg, links):
    ml = clients["ml"]
    ml.workspaces.begin_create_or_update(rg, "mlw-409", {"location": "westus",
                                                         "properties": links}).result()
    emu.set_faults(lro_delay=2.0)
    try:
        poller = ml.workspaces.begin_delete(rg, "mlw-409")
        assert ml.workspaces.get(rg, "mlw-409").provisioning_state == "Deleting"
        with pytest.raises(ResourceExistsError) as err:
            ml.workspaces.begin_create_or_update(rg, "mlw-409", {"location": "westus",
                                                                 "properties": links}).result()
        assert err.value.status_code == 409
    finally:
        emu.clear_faults()
    poller.result()
    with pytest.raises(ResourceNotFoundError):
        ml.workspaces.get(rg, "mlw-409")


def test_if_none_match_guards_creation(emu, clients):
    sub = emu.endpoint["subscription_id"]
    clients["rm"].resource_groups.create_or_update("rg-etag", {"location": "westus"})
    r = _raw(emu, "PUT", "/subscriptions/%s/resourcegroups/rg-etag?api-version=2021-04-01" % sub,
             {"location": "westus"}, headers={"If-None-Match": "*"})
    assert r.status_code == 412 and r.json()["error"]["code"] == "PreconditionFailed"
