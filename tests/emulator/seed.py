"""Create the associated resources a workspace references, through the official SDKs.

This stands in for a team's bring-your-own resources (storage, key vault, Application Insights,
container registry) until the provision role builds them; the tests and the demo use it so that
`aml_workspace` has real resources to point at. Everything goes over HTTPS to the emulator the
same way it would go to Azure.
"""

import os

from azure.identity import ClientSecretCredential
from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient
from azure.mgmt.applicationinsights.v2020_02_02.models import ApplicationInsightsComponent
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient

API = {
    "resource": "2021-04-01",
    "storage": "2023-01-01",
    "keyvault": "2023-07-01",
    "applicationinsights": "2020-02-02",
    "containerregistry": "2023-07-01",
}


def credential_for(endpoint):
    """A real azure-identity credential for the emulator (its own authority, its own CA)."""
    return ClientSecretCredential(
        endpoint["tenant_id"], endpoint["client_id"], endpoint["client_secret"],
        authority=endpoint["arm_url"], disable_instance_discovery=True,
        connection_verify=endpoint["ca_cert"])


def _client(cls, endpoint, api_version):
    arm = endpoint["arm_url"].rstrip("/") + "/"
    return cls(credential_for(endpoint), endpoint["subscription_id"], base_url=arm,
               credential_scopes=["https://management.core.windows.net/.default"],
               api_version=api_version, connection_verify=endpoint["ca_cert"], polling_interval=0.05)


def seed_region(endpoint, prefix, region, shared_group=None):
    """Resource group, default storage and App Insights for one region; returns their IDs."""
    resources = _client(ResourceManagementClient, endpoint, API["resource"])
    storage = _client(StorageManagementClient, endpoint, API["storage"])
    insights = _client(ApplicationInsightsManagementClient, endpoint, API["applicationinsights"])
    group = "rg-%s-%s" % (prefix, region)
    resources.resource_groups.create_or_update(group, {"location": region})
    account = ("st%s%s" % (prefix, region)).replace("-", "")[:24]
    sa = storage.storage_accounts.begin_create(group, account, {
        "location": region, "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
    }).result()
    ai = insights.components.create_or_update(group, "appi-%s-%s" % (prefix, region), ApplicationInsightsComponent(
        location=region, kind="web", application_type="web"))
    return dict(resource_group=group, storage_account=sa.id, application_insights=ai.id)


def seed_shared(endpoint, prefix, region):
    """The key vault and the container registry both workspaces of a pair share."""
    resources = _client(ResourceManagementClient, endpoint, API["resource"])
    vaults = _client(KeyVaultManagementClient, endpoint, API["keyvault"])
    registries = _client(ContainerRegistryManagementClient, endpoint, API["containerregistry"])
    group = "rg-%s-shared" % prefix
    resources.resource_groups.create_or_update(group, {"location": region})
    kv = vaults.vaults.begin_create_or_update(group, ("kv-%s" % prefix)[:24], {
        "location": region,
        "properties": {"tenantId": endpoint["tenant_id"], "sku": {"family": "A", "name": "standard"}},
    }).result()
    acr = registries.registries.begin_create(group, ("acr%s" % prefix).replace("-", "")[:50], {
        "location": region, "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": False},
    }).result()
    return dict(resource_group=group, key_vault=kv.id, container_registry=acr.id)


def workspace_links(endpoint, group, region, stem):
    """A storage account and a key vault in an existing group, the two links a workspace cannot
    be created without; returns them as workspace properties ({"storageAccount": id,
    "keyVault": id}). ``stem`` (e.g. the workspace name) makes the global names unique."""
    storage = _client(StorageManagementClient, endpoint, API["storage"])
    vaults = _client(KeyVaultManagementClient, endpoint, API["keyvault"])
    alnum = "".join(c for c in stem.lower() if c.isalnum())
    sa = storage.storage_accounts.begin_create(group, ("st" + alnum)[:24], {
        "location": region, "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
    }).result()
    kv = vaults.vaults.begin_create_or_update(group, ("kv-" + alnum)[:24], {
        "location": region,
        "properties": {"tenantId": endpoint["tenant_id"], "sku": {"family": "A", "name": "standard"}},
    }).result()
    return {"storageAccount": sa.id, "keyVault": kv.id}


def seed_pair(endpoint, prefix, primary="eastus", secondary="westus"):
    """Associated resources of a DR pair, as plain data the playbooks take as variables."""
    shared = seed_shared(endpoint, prefix, primary)
    return dict(
        shared=shared,
        primary=dict(seed_region(endpoint, prefix, primary), location=primary),
        secondary=dict(seed_region(endpoint, prefix, secondary), location=secondary),
    )


if __name__ == "__main__":  # pragma: no cover - manual use: PYTHONPATH=tests python -m emulator.seed STATE_DIR
    import json
    import sys

    with open(os.path.join(sys.argv[1], "endpoint.json")) as fh:
        print(json.dumps(seed_pair(json.load(fh), sys.argv[2] if len(sys.argv) > 2 else "demo"), indent=2))
