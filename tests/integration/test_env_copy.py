"""aml_env_copy against the emulator: environments registered in the source through the official SDKs
(an image with a conda file, a Docker build context uploaded with azure-storage-blob), copied to the
target: check mode predicts exactly, the build context is byte-identical, the specification the same,
a second run changes nothing, a conflicting version is reported and left alone, no key in any output."""

import json

import pytest
from azure.mgmt.machinelearningservices import models as ml

from test_model_copy import DIGEST, SOURCE_URI, Side, keys

IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
CONDA = "name: infer\ndependencies:\n  - python=3.10\n  - pip:\n    - scikit-learn==1.5.0\n"
CONTEXT = {
    "Dockerfile": b"FROM python:3.10-slim\nCOPY . /app\nRUN sh /app/scripts/setup.sh\n",
    "requirements.txt": b"scikit-learn==1.5.0\n",
    "scripts/setup.sh": b"pip install -r /app/requirements.txt\n",
}


def register_env(side, name, version, **props):
    props.setdefault("os_type", "Linux")
    body = ml.EnvironmentVersion(properties=ml.EnvironmentVersionProperties(**props))
    return side.ml.environment_versions.create_or_update(side.group, side.workspace, name, version, body)


@pytest.fixture(scope="module")
def sides(emulator, pair):
    src = Side(emulator, pair, "primary", "mlw-ec-eastus")
    dst = Side(emulator, pair, "secondary", "mlw-ec-westus")
    register_env(src, "infer", "1", image=IMAGE, conda_file=CONDA, description="scoring", tags={"team": "risk"})
    src.upload("envs/build/1/", CONTEXT)
    register_env(src, "build", "1", build=ml.BuildContext(context_uri=src.datastore_uri("envs/build/1/"),
                                                          dockerfile_path="Dockerfile"))
    # the same name and version registered in both workspaces with other images
    register_env(src, "infer", "3", image=IMAGE)
    register_env(dst, "infer", "3", image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest")
    return dict(src=src, dst=dst)


@pytest.fixture(scope="module")
def sync_vars(sides):
    return {"sync": dict(sides["src"].params("source"), **sides["dst"].params("target"))}


def task(run):
    return run.task("Copy environments")["result"]


def test_check_apply_apply_again(emulator, run_playbook, sides, sync_vars):
    src, dst = sides["src"], sides["dst"]
    before = emulator.state()
    check = run_playbook("env_copy.yml", sync_vars, check=True, diff=True)
    assert check.rc == 0, check
    predicted = task(check)
    assert keys(predicted["copied"]) == ["environment:build:1", "environment:infer:1"]
    assert keys(predicted["conflicts"]) == ["environment:infer:3"]
    assert emulator.state() == before, "check mode changed the emulator's state"
    conflict_before = dst.ml.environment_versions.get(dst.group, dst.workspace, "infer", "3").as_dict()

    run = run_playbook("env_copy.yml", sync_vars)
    assert run.rc == 0, run
    done = task(run)
    assert done["plan"] == predicted["plan"]
    by_key = dict((i["key"], i) for i in done["copied"])

    infer = dst.ml.environment_versions.get(dst.group, dst.workspace, "infer", "1").properties
    assert (infer.image, infer.conda_file, infer.os_type, infer.description, infer.tags) == \
        (IMAGE, CONDA, "Linux", "scoring", {"team": "risk"})
    assert infer.properties[DIGEST] == by_key["environment:infer:1"]["digest"]
    assert infer.build is None

    built = dst.ml.environment_versions.get(dst.group, dst.workspace, "build", "1").properties
    path = by_key["environment:build:1"]["path"]
    assert path.startswith("amlops-bcdr/environments/build/1/")
    assert built.build.context_uri == dst.datastore_uri(path)
    assert built.build.dockerfile_path == "Dockerfile"
    assert built.properties[SOURCE_URI] == src.datastore_uri("envs/build/1/")
    assert dst.tree(path) == CONTEXT
    assert by_key["environment:build:1"]["bytes_copied"] == sum(len(v) for v in CONTEXT.values())

    assert dst.ml.environment_versions.get(dst.group, dst.workspace, "infer", "3").as_dict() == conflict_before
    text = json.dumps(done) + run.stdout + run.stderr
    assert src.key not in text and dst.key not in text

    again = run_playbook("env_copy.yml", sync_vars)
    assert again.rc == 0 and again.changed == 0, again
    assert keys(task(again)["conflicts"]) == ["environment:infer:3"]


def test_environments_as_azure_ml_own_client_sees_them(emulator, run_playbook, sides, sync_vars):
    pytest.importorskip("azure.ai.ml")
    from emulator.mlclient import ml_client, patched_environ

    dst = sides["dst"]
    assert run_playbook("env_copy.yml", sync_vars).rc == 0
    with patched_environ(emulator):
        client = ml_client(emulator, dst.group, dst.workspace)
        infer = client.environments.get("infer", "1")
        assert infer.image == IMAGE and "scikit-learn" in json.dumps(infer.conda_file)
        built = client.environments.get("build", "1")
        assert built.build.dockerfile_path == "Dockerfile" and "amlops-bcdr/environments/build/1/" in built.build.path


def test_name_matching_nothing_is_one_line(emulator, run_playbook, sync_vars):
    state = emulator.state()
    run = run_playbook("env_copy.yml", {"sync": dict(sync_vars["sync"], names=["nothing-like-this"])})
    assert run.rc != 0
    assert run.failed[0]["result"]["msg"] == "names: no environment in the source workspace matches 'nothing-like-this'"
    assert emulator.state() == state
