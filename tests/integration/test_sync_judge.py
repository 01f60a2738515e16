"""The judge of the sync: azure-ai-ml's MLClient, unmodified, seeds the primary the way a data
scientist does (a model from a folder with a nested folder, an MLflow model, an environment from an
image with a conda file and one from a Docker build context, a component from YAML with local code,
a data asset from a local folder), playbooks/sync.yml runs, and MLClient on the secondary reads
everything back: model files downloaded byte for byte, the same specs with paths in the secondary's
own storage. No mocks: every call goes through the emulator (ARM) and Azurite (blobs)."""

import filecmp
import os
import textwrap
from pathlib import Path

import pytest

from emulator.mlclient import ml_client, patched_environ
from pair_fixtures import make_pair, pair_inventory

pytest.importorskip("azure.ai.ml")

from azure.ai.ml import load_component  # noqa: E402
from azure.ai.ml.constants import AssetTypes  # noqa: E402
from azure.ai.ml.entities import BuildContext, Data, Environment, Model  # noqa: E402
from azure.storage.blob import BlobServiceClient  # noqa: E402

SYNC = str(Path(__file__).resolve().parents[2] / "playbooks" / "sync.yml")
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _dirs, fs in os.walk(root) for f in fs)


def _same_tree(a, b):
    assert _files(a) == _files(b), (a, b)
    for rel in _files(a):
        assert filecmp.cmp(os.path.join(a, rel), os.path.join(b, rel), shallow=False), rel


def _seed(primary, src):
    """What a data scientist registers in the primary, from local files under ``src``."""
    _write(src / "fraud-model" / "weights.bin", os.urandom(120_000))
    _write(src / "fraud-model" / "config.json", '{"threshold": 0.7}\n')
    _write(src / "fraud-model" / "tokenizer" / "vocab" / "vocab.txt", "a\nb\nc\n")
    primary.models.create_or_update(Model(path=str(src / "fraud-model"), name="fraud", version="1",
                                          type=AssetTypes.CUSTOM_MODEL, description="from a folder",
                                          tags={"team": "risk"}))
    _write(src / "churn-mlflow" / "MLmodel", "artifact_path: model\nflavors:\n  python_function:\n"
                                             "    loader_module: mlflow.sklearn\n")
    _write(src / "churn-mlflow" / "model.pkl", os.urandom(40_000))
    primary.models.create_or_update(Model(path=str(src / "churn-mlflow"), name="churn", version="1",
                                          type=AssetTypes.MLFLOW_MODEL))
    _write(src / "conda.yml", "name: train\ndependencies:\n  - python=3.10\n")
    primary.environments.create_or_update(Environment(name="sklearn-env", version="1", image=IMAGE,
                                                      conda_file=str(src / "conda.yml"),
                                                      description="image + conda"))
    _write(src / "docker-ctx" / "Dockerfile", "FROM %s\nCOPY requirements.txt /tmp/\n" % IMAGE)
    _write(src / "docker-ctx" / "requirements.txt", "scikit-learn==1.3.0\n")
    primary.environments.create_or_update(Environment(name="docker-env", version="1",
                                                      build=BuildContext(path=str(src / "docker-ctx"))))
    _write(src / "component" / "src" / "train.py", "print('training')\n")
    _write(src / "component" / "src" / "utils" / "io.py", "X = 1\n")
    _write(src / "component" / "train.yml", textwrap.dedent("""\
        $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
        name: train_model
        version: "1"
        display_name: Train
        type: command
        inputs:
          data:
            type: uri_folder
        outputs:
          model:
            type: uri_folder
        code: ./src
        environment: azureml:sklearn-env:1
        command: python train.py --data ${{inputs.data}} --out ${{outputs.model}}
        """))
    primary.components.create_or_update(load_component(source=str(src / "component" / "train.yml")))
    _write(src / "training" / "part-0.csv", "a,b\n1,2\n")
    _write(src / "training" / "2024" / "part-1.csv", "a,b\n3,4\n")
    primary.data.create_or_update(Data(name="training", version="1", path=str(src / "training"),
                                       type=AssetTypes.URI_FOLDER, description="local folder"))


def _blobs_under(client, datastore_path):
    """{relative name: bytes} of the files an azureml:// datastore path names, read with the key
    of the workspace's own default datastore."""
    store = client.datastores.get("workspaceblobstore", include_secrets=True)
    prefix = datastore_path.split("/paths/", 1)[1].rstrip("/") + "/"
    container = BlobServiceClient("https://%s.blob.core.windows.net" % store.account_name,
                                  credential=store.credentials.account_key).get_container_client(store.container_name)
    return dict((b.name[len(prefix):], container.download_blob(b.name).readall())
                for b in container.list_blobs(name_starts_with=prefix))


def test_what_a_data_scientist_registered_is_usable_in_the_secondary(emulator, run_playbook, tmp_path):
    bcdr_pair, ws = make_pair(emulator, "jdg")
    with patched_environ(emulator):
        primary = ml_client(emulator, ws["primary"].group, ws["primary"].name)
        secondary = ml_client(emulator, ws["secondary"].group, ws["secondary"].name)
        _seed(primary, tmp_path / "src")

    run = run_playbook(SYNC, {"sync_state_timeout": 10}, inventory=pair_inventory(bcdr_pair))
    assert run.rc == 0 and run.changed > 0, run
    again = run_playbook(SYNC, {"sync_state_timeout": 10}, inventory=pair_inventory(bcdr_pair))
    assert again.rc == 0 and again.changed == 0, again

    primary_name, secondary_name = ws["primary"].name, ws["secondary"].name
    with patched_environ(emulator):
        # models: the same metadata, the files byte for byte, stored in the secondary
        for name, folder in (("fraud", "fraud-model"), ("churn", "churn-mlflow")):
            src_model, dst_model = primary.models.get(name, "1"), secondary.models.get(name, "1")
            assert (dst_model.type, dst_model.description, dst_model.tags) == \
                (src_model.type, src_model.description, src_model.tags)
            assert secondary_name in dst_model.path and primary_name not in dst_model.path
            out = tmp_path / "download" / name
            secondary.models.download(name, "1", download_path=str(out))
            downloaded = [os.path.join(out, name, d) for d in os.listdir(out / name)]
            assert len(downloaded) == 1, downloaded
            _same_tree(str(tmp_path / "src" / folder), downloaded[0])

        # environments: the same image and conda spec; the build context's files in the secondary
        env = secondary.environments.get("sklearn-env", "1")
        assert env.image == IMAGE and env.description == "image + conda"
        assert env.conda_file == primary.environments.get("sklearn-env", "1").conda_file
        built = secondary.environments.get("docker-env", "1")
        assert built.build is not None and built.build.dockerfile_path == "Dockerfile"
        assert secondary_name in built.build.path or ws["secondary"].account in built.build.path, built.build.path

        # the component: same command and interface, its code a code version of the secondary, its
        # environment the secondary's
        src_comp, dst_comp = primary.components.get("train_model", "1"), secondary.components.get("train_model", "1")
        assert (dst_comp.command, dst_comp.display_name, set(dst_comp.inputs), set(dst_comp.outputs)) == \
            (src_comp.command, src_comp.display_name, set(src_comp.inputs), set(src_comp.outputs))
        assert secondary_name in str(dst_comp.code) and primary_name not in str(dst_comp.code), dst_comp.code
        assert "sklearn-env" in str(dst_comp.environment) and primary_name not in str(dst_comp.environment)

        # the data asset: same type and description, its files in the secondary's own storage
        data = secondary.data.get("training", "1")
        assert (data.type, data.description) == (AssetTypes.URI_FOLDER, "local folder")
        assert secondary_name in data.path and primary_name not in data.path, data.path
        assert _blobs_under(secondary, data.path) == {"part-0.csv": b"a,b\n1,2\n", "2024/part-1.csv": b"a,b\n3,4\n"}
