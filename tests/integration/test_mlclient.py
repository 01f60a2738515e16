"""The judge: azure-ai-ml's MLClient, unmodified, used against the emulator the way a data
scientist uses it. A workspace with its linked resources is provisioned through ARM; then
models (a folder with a nested folder, an MLflow model), environments (an image, a Docker
build context), a component from YAML with local code and a data asset are registered from
local files, and read back: model files downloaded byte for byte, the others by get/list.
Blob data goes to https://<account>.blob.core.windows.net through the emulator's blob proxy.
"""
import filecmp
import json
import os
import textwrap

import pytest

from emulator.azurite import DEFAULT_BIN
from emulator.mlclient import ml_client, patched_environ

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_BIN),
                                reason="Azurite is not installed (npm install)")
pytest.importorskip("azure.ai.ml")

from azure.ai.ml import load_component  # noqa: E402
from azure.ai.ml.constants import AssetTypes  # noqa: E402
from azure.ai.ml.entities import BuildContext, Data, Environment, Model  # noqa: E402
from azure.storage.blob import BlobServiceClient  # noqa: E402

RG = "rg-mlclient"
WS = "mlw-judge"
SA = "stmlclientjudge"
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"


def provision_workspace(emulator, rg, ws, sa, location="eastus"):
    """A resource group, storage account, key vault, App Insights and ML workspace, through
    ARM with the official mgmt SDKs (what aml_workspace/the provision role build)."""
    from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient
    from azure.mgmt.keyvault import KeyVaultManagementClient
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.storage import StorageManagementClient

    emulator.client(ResourceManagementClient, "2021-04-01").resource_groups.create_or_update(
        rg, {"location": location})
    acct = emulator.client(StorageManagementClient, "2023-01-01").storage_accounts.begin_create(
        rg, sa, {"location": location, "kind": "StorageV2",
                 "sku": {"name": "Standard_LRS"}}).result()
    kv = emulator.client(KeyVaultManagementClient, "2023-07-01").vaults.begin_create_or_update(
        rg, "kv-" + ws, {"location": location, "properties": {
            "tenantId": emulator.endpoint["tenant_id"],
            "sku": {"family": "A", "name": "standard"}}}).result()
    ai = emulator.client(ApplicationInsightsManagementClient, "2020-02-02") \
        .components.create_or_update(rg, "appi-" + ws, {
            "location": location, "kind": "web", "properties": {"Application_Type": "web"}})
    ml = emulator.client(MachineLearningServicesMgmtClient, "2024-04-01")
    return ml.workspaces.begin_create_or_update(rg, ws, {
        "location": location, "identity": {"type": "SystemAssigned"}, "properties": {
            "storageAccount": acct.id, "keyVault": kv.id,
            "applicationInsights": ai.id}}).result()


@pytest.fixture(scope="module")
def ml(emulator):
    provision_workspace(emulator, RG, WS, SA)
    with patched_environ(emulator):
        yield ml_client(emulator, RG, WS)


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def _same_tree(a, b):
    """Every file of ``a`` in ``b`` with the same bytes, and nothing more."""
    def files(root):
        return sorted(os.path.relpath(os.path.join(d, f), root)
                      for d, _dirs, fs in os.walk(root) for f in fs)
    assert files(a) == files(b)
    for rel in files(a):
        assert filecmp.cmp(os.path.join(a, rel), os.path.join(b, rel), shallow=False), rel


def test_workspace_as_the_sdk_sees_it(ml):
    ws = ml.workspaces.get(WS)
    assert ws.name == WS and ws.location == "eastus"
    assert ws.storage_account.lower().endswith("/storageaccounts/" + SA)
    stores = {d.name: d for d in ml.datastores.list()}
    assert {"workspaceblobstore", "workspaceartifactstore", "workspacefilestore",
            "workspaceworkingdirectory"} <= set(stores)
    default = ml.datastores.get_default()
    assert default.name == "workspaceblobstore" and default.account_name == SA
    assert default.container_name.startswith("azureml-blobstore-")
    # the SDK reads the key through listSecrets when asked to
    with_key = ml.datastores.get("workspaceblobstore", include_secrets=True)
    assert with_key.credentials.account_key
    # ... and the blob containers of the default datastores exist in the account
    account = BlobServiceClient(f"https://{SA}.blob.core.windows.net",
                                credential=with_key.credentials.account_key)
    containers = {c.name for c in account.list_containers()}
    assert {default.container_name, "azureml"} <= containers


def test_custom_model_folder_round_trip(ml, emulator, tmp_path):
    src = tmp_path / "fraud-model"
    _write(str(src / "weights.bin"), os.urandom(300_000))
    _write(str(src / "config.json"), '{"threshold": 0.7}\n')
    _write(str(src / "tokenizer" / "vocab" / "vocab.txt"), "a\nb\nc\n")
    _write(str(src / "tokenizer" / "merges.txt"), "a b\n")
    emulator.proxy_stats(reset=True)
    created = ml.models.create_or_update(Model(path=str(src), name="fraud", version="1",
                                               type=AssetTypes.CUSTOM_MODEL,
                                               description="from a folder"))
    assert created.version == "1" and created.type == AssetTypes.CUSTOM_MODEL
    # the files went to the workspace's storage account at its Azure name, via the proxy
    sent = emulator.proxy_stats()["by_host"][f"{SA}.blob.core.windows.net"]["up"]
    assert sent >= 300_000
    assert "workspaceblobstore" in created.path
    got = ml.models.get("fraud", "1")
    assert got.description == "from a folder" and got.path
    assert [m.version for m in ml.models.list(name="fraud")] == ["1"]
    out = tmp_path / "download"
    ml.models.download("fraud", "1", download_path=str(out))
    # azure-ai-ml puts the files under <download_path>/<name>/<folder name>
    _same_tree(str(src), str(out / "fraud" / "fraud-model"))


def test_mlflow_model(ml, tmp_path):
    src = tmp_path / "churn-mlflow"
    _write(str(src / "MLmodel"), textwrap.dedent("""\
        artifact_path: model
        flavors:
          python_function:
            env: conda.yaml
            loader_module: mlflow.sklearn
            model_path: model.pkl
            python_version: 3.10.12
          sklearn:
            pickled_model: model.pkl
            serialization_format: cloudpickle
            sklearn_version: 1.3.0
        mlflow_version: 2.8.0
        """))
    _write(str(src / "conda.yaml"), "dependencies:\n  - python=3.10\n")
    _write(str(src / "model.pkl"), os.urandom(50_000))
    created = ml.models.create_or_update(Model(path=str(src), name="churn",
                                               type=AssetTypes.MLFLOW_MODEL))
    assert created.version == "1" and created.type == AssetTypes.MLFLOW_MODEL
    got = ml.models.get("churn", label="latest")
    assert got.type == AssetTypes.MLFLOW_MODEL
    out = tmp_path / "download"
    ml.models.download("churn", got.version, download_path=str(out))
    _same_tree(str(src), str(out / "churn" / "churn-mlflow"))


def test_environments_from_image_and_build_context(ml, tmp_path):
    conda = tmp_path / "conda.yml"
    _write(str(conda), "name: train\ndependencies:\n  - python=3.10\n  - pip:\n"
                       "    - scikit-learn==1.3.0\n")
    env = ml.environments.create_or_update(Environment(
        name="sklearn-env", version="1", image=IMAGE, conda_file=str(conda),
        description="image + conda"))
    assert env.version == "1"
    got = ml.environments.get("sklearn-env", "1")
    assert got.image == IMAGE and got.description == "image + conda"
    assert got.conda_file["dependencies"][0] == "python=3.10"

    ctx = tmp_path / "docker-ctx"
    _write(str(ctx / "Dockerfile"), f"FROM {IMAGE}\nCOPY requirements.txt /tmp/\n"
                                    "RUN pip install -r /tmp/requirements.txt\n")
    _write(str(ctx / "requirements.txt"), "torch==2.1.0\n")
    built = ml.environments.create_or_update(Environment(
        name="docker-env", version="1", build=BuildContext(path=str(ctx))))
    assert built.version == "1"
    got = ml.environments.get("docker-env", "1")
    assert got.build is not None and got.build.dockerfile_path == "Dockerfile"
    assert got.build.path and got.image is None
    assert sorted(e.name for e in ml.environments.list()) >= ["docker-env", "sklearn-env"]


def test_component_from_yaml_with_local_code(ml, tmp_path):
    _write(str(tmp_path / "src" / "train.py"), "print('training')\n")
    _write(str(tmp_path / "src" / "utils" / "io.py"), "X = 1\n")
    _write(str(tmp_path / "train.yml"), textwrap.dedent("""\
        $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
        name: train_model
        version: "1"
        display_name: Train
        type: command
        inputs:
          data:
            type: uri_folder
          epochs:
            type: integer
            default: 3
        outputs:
          model:
            type: uri_folder
        code: ./src
        environment: azureml:sklearn-env:1
        command: python train.py --data ${{inputs.data}} --epochs ${{inputs.epochs}} --out ${{outputs.model}}
        """))
    if not _has_env(ml, "sklearn-env", "1"):
        ml.environments.create_or_update(Environment(name="sklearn-env", version="1",
                                                     image=IMAGE))
    comp = load_component(source=str(tmp_path / "train.yml"))
    created = ml.components.create_or_update(comp)
    assert created.name == "train_model" and created.version == "1"
    got = ml.components.get("train_model", "1")
    assert got.display_name == "Train" and set(got.inputs) == {"data", "epochs"}
    assert "python train.py" in got.command and got.code
    assert "sklearn-env" in str(got.environment)


def _has_env(ml, name, version):
    from azure.core.exceptions import ResourceNotFoundError
    try:
        ml.environments.get(name, version)
        return True
    except ResourceNotFoundError:
        return False


def test_data_asset_uri_folder(ml, tmp_path):
    src = tmp_path / "training"
    _write(str(src / "part-0.csv"), "a,b\n1,2\n")
    _write(str(src / "2024" / "part-1.csv"), "a,b\n3,4\n")
    created = ml.data.create_or_update(Data(name="training", version="1", path=str(src),
                                            type=AssetTypes.URI_FOLDER,
                                            description="local folder"))
    assert created.version == "1"
    got = ml.data.get("training", "1")
    assert got.type == AssetTypes.URI_FOLDER and got.description == "local folder"
    assert got.path.startswith("azureml://") and "workspaceblobstore" in got.path
    assert [d.version for d in ml.data.list(name="training")] == ["1"]
    # the files are in the default datastore's container, byte for byte, under that path
    store = ml.datastores.get("workspaceblobstore", include_secrets=True)
    prefix = got.path.split("/paths/", 1)[1].rstrip("/") + "/"
    container = BlobServiceClient(f"https://{store.account_name}.blob.core.windows.net",
                                  credential=store.credentials.account_key) \
        .get_container_client(store.container_name)
    blobs = {b.name[len(prefix):]: container.download_blob(b.name).readall()
             for b in container.list_blobs(name_starts_with=prefix)}
    assert blobs == {"part-0.csv": b"a,b\n1,2\n", "2024/part-1.csv": b"a,b\n3,4\n"}


def test_config_json_finds_the_workspace(emulator, ml, tmp_path):
    """MLClient.from_config reads the config.json the collection writes (what a data
    scientist's code does, and what follows a failover)."""
    from azure.ai.ml import MLClient

    from emulator.mlclient import cloud_metadata, cloud_name
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"subscription_id": emulator.endpoint["subscription_id"],
                               "resource_group": RG, "workspace_name": WS}))
    client = MLClient.from_config(emulator.credential(), path=str(cfg),
                                  cloud=cloud_name(emulator),
                                  cloud_metadata=cloud_metadata(emulator))
    assert client.workspaces.get().name == WS
    assert client.datastores.get_default().name == "workspaceblobstore"
