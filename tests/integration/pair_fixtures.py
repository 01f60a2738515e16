"""A provisioned-like DR pair for integration tests: both workspaces with the names the provision
role gives (mlw-<pair>-<region> in rg-<pair>-<region>), each on its own storage account with Azure's
default datastores, made through the official SDKs; helpers to seed model versions (files uploaded
with azure-storage-blob, versions registered with azure-mgmt-machinelearningservices) and
image-based environments, read them back, and arrange a workspace's DR state tags.

Shared by the tests of the sync role (and any test that needs a whole pair with assets)."""

from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.machinelearningservices import models as ml
from azure.mgmt.storage import StorageManagementClient
from azure.storage.blob import BlobServiceClient

from emulator.seed import seed_pair

ML_API = "2024-04-01"
STATE = "amlops.bcdr.state."


class PairWorkspace:
    """One workspace of the pair: its storage account (key, blob endpoint) and default datastore."""

    def __init__(self, emulator, seeded, role, pair_name):
        region = seeded[role]
        self.role = role
        self.ml = emulator.client(MachineLearningServicesMgmtClient, ML_API)
        storage = emulator.client(StorageManagementClient, "2023-01-01")
        self.group = region["resource_group"]
        self.name = "mlw-%s-%s" % (pair_name, region["location"])
        self.account = region["storage_account"].rsplit("/", 1)[-1]
        self.key = storage.storage_accounts.list_keys(self.group, self.account)["keys"][0]["value"]
        self.blob_endpoint = storage.storage_accounts.get_properties(self.group, self.account).primary_endpoints.blob
        self.blobs = BlobServiceClient(self.blob_endpoint, credential=self.key)
        self.ml.workspaces.begin_create_or_update(self.group, self.name, ml.Workspace(
            location=region["location"], identity=ml.ManagedServiceIdentity(type="SystemAssigned"),
            storage_account=region["storage_account"], key_vault=seeded["shared"]["key_vault"],
            application_insights=region["application_insights"],
            container_registry=seeded["shared"]["container_registry"], tags={"team": "risk"})).result()
        default = [d for d in self.ml.datastores.list(self.group, self.name) if d.properties.is_default]
        assert default, "the workspace has no default datastore"
        self.container = default[0].properties.container_name

    # ---- models --------------------------------------------------------------------------
    def datastore_uri(self, path):
        return "azureml://subscriptions/%s/resourcegroups/%s/workspaces/%s/datastores/workspaceblobstore/paths/%s" % (
            self.ml._config.subscription_id, self.group, self.name, path)

    def add_model(self, name, version, files, **props):
        """Upload ``files`` ({relative path: bytes}) and register them as model ``name``:``version``."""
        folder = "models/%s/%s/" % (name, version)
        for path, data in files.items():
            self.blobs.get_blob_client(self.container, folder + path).upload_blob(data, overwrite=True)
        body = ml.ModelVersion(properties=ml.ModelVersionProperties(
            model_uri=self.datastore_uri(folder), model_type="custom_model", **props))
        return self.ml.model_versions.create_or_update(self.group, self.name, name, version, body)

    def models(self):
        """{(name, version)} registered in the workspace."""
        out = set()
        for container in self.ml.model_containers.list(self.group, self.name):
            for v in self.ml.model_versions.list(self.group, self.name, container.name):
                out.add((container.name, v.name))
        return out

    def model(self, name, version):
        return self.ml.model_versions.get(self.group, self.name, name, version)

    # ---- environments --------------------------------------------------------------------
    def add_environment(self, name, version, image, **props):
        """Register an image-based environment version."""
        body = ml.EnvironmentVersion(properties=ml.EnvironmentVersionProperties(image=image, **props))
        return self.ml.environment_versions.create_or_update(self.group, self.name, name, version, body)

    def environments(self):
        """{(name, version)} registered in the workspace."""
        out = set()
        for container in self.ml.environment_containers.list(self.group, self.name):
            for v in self.ml.environment_versions.list(self.group, self.name, container.name):
                out.add((container.name, v.name))
        return out

    # ---- DR state tags -------------------------------------------------------------------
    def tags(self):
        return dict(self.ml.workspaces.get(self.group, self.name).tags or {})

    def state_tags(self):
        return {k: v for k, v in self.tags().items() if k.startswith(STATE)}

    def set_state_tags(self, state_tags):
        """Arrange the workspace's DR state tags directly (its other tags kept)."""
        tags = {k: v for k, v in self.tags().items() if not k.startswith(STATE)}
        tags.update(state_tags)
        self.ml.workspaces.begin_update(self.group, self.name, {"tags": tags}).result()


def claim(active, epoch, at="2026-11-30T09:00:00Z"):
    """The state tags of a claim (what aml_dr_state writes for a switch)."""
    return {STATE + "active": active, STATE + "epoch": str(epoch), STATE + "switched_at": at}


def make_pair(emulator, pair_name, primary="eastus", secondary="westus"):
    """The pair's inventory entry (``bcdr_pair``) and its two workspaces, {role: PairWorkspace}."""
    seeded = seed_pair(emulator.endpoint, pair_name, primary, secondary)
    bcdr_pair = dict(name=pair_name, primary_region=primary, secondary_region=secondary)
    return bcdr_pair, dict((role, PairWorkspace(emulator, seeded, role, pair_name)) for role in ("primary", "secondary"))


def pair_inventory(*pairs):
    """An inventory with one host per pair in the group the playbooks target (dr_pairs)."""
    return {"dr_pairs": {"hosts": dict((p["name"], {"bcdr_pair": p}) for p in pairs)}}
