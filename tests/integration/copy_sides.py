"""Two workspaces of the test pair for the asset copies (datastores, data assets, components):
created through ARM with the official mgmt SDK, then used with azure-ai-ml's MLClient the way a
data scientist does. Shared by test_data_copy.py and test_component_copy.py."""

import json

from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.machinelearningservices import models as ml
from azure.mgmt.storage import StorageManagementClient
from azure.storage.blob import BlobServiceClient

ML_API = "2024-04-01"
DIGEST = "amlops.bcdr.source_digest"


class Side:
    """One workspace on its region's storage, its MLClient (inside ``patched_environ``) and the
    default datastore's container, read with the account key from ARM."""

    def __init__(self, emulator, pair, role, name):
        self.emulator = emulator
        self.ml = emulator.client(MachineLearningServicesMgmtClient, ML_API)
        self.storage = emulator.client(StorageManagementClient, "2023-01-01")
        self.group = pair[role]["resource_group"]
        self.workspace = name
        self.account = pair[role]["storage_account"].rsplit("/", 1)[-1]
        self.key = self.storage.storage_accounts.list_keys(self.group, self.account)["keys"][0]["value"]
        endpoint = self.storage.storage_accounts.get_properties(self.group, self.account).primary_endpoints.blob
        self.blobs = BlobServiceClient(endpoint, credential=self.key)
        self.ml.workspaces.begin_create_or_update(self.group, name, ml.Workspace(
            location=pair[role]["location"], identity=ml.ManagedServiceIdentity(type="SystemAssigned"),
            storage_account=pair[role]["storage_account"], key_vault=pair["shared"]["key_vault"],
            application_insights=pair[role]["application_insights"],
            container_registry=pair["shared"]["container_registry"])).result()
        self.container = self.ml.datastores.get(self.group, name, "workspaceblobstore").properties.container_name

    def client(self):
        from emulator.mlclient import ml_client
        return ml_client(self.emulator, self.group, self.workspace)

    def tree(self, prefix, container=None, blobs=None):
        """{relative path: bytes} of every blob under ``prefix``."""
        client = (blobs or self.blobs).get_container_client(container or self.container)
        return {b.name[len(prefix):]: client.download_blob(b.name).readall()
                for b in client.list_blobs(name_starts_with=prefix)}

    def params(self, prefix):
        return {prefix + "_workspace": self.workspace, prefix + "_resource_group": self.group}


def shared_storage(emulator, pair, name):
    """The pair's geo-redundant training account (reachable from both regions): -> (key, blob client)."""
    storage = emulator.client(StorageManagementClient, "2023-01-01")
    group = pair["shared"]["resource_group"]
    acct = storage.storage_accounts.begin_create(group, name, {
        "location": pair["primary"]["location"], "kind": "StorageV2", "sku": {"name": "Standard_RAGRS"}}).result()
    key = storage.storage_accounts.list_keys(group, name)["keys"][0]["value"]
    return key, BlobServiceClient(acct.primary_endpoints.blob, credential=key)


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def no_secret(texts, *keys):
    """No account key (nor its URL-quoted form) anywhere in ``texts``."""
    from urllib.parse import quote
    blob = "\n".join(t if isinstance(t, str) else json.dumps(t) for t in texts)
    return not any(k in blob or quote(k, safe="") in blob for k in keys)
