"""aml_component_copy against the emulator. The source is seeded with azure-ai-ml's MLClient as a data
scientist does: an environment and a command component from YAML with local code (MLClient uploads the
code and registers a code version). The environment is put in the target the way aml_env_copy will
(same name and version; here with MLClient, so this test does not depend on that module). Check mode
predicts exactly; MLClient on the TARGET reads the same component, its code a code version of the
target whose files are the source's, byte for byte; a second run changes nothing; a component whose
environment is missing in the target fails alone and registers nothing; a conflict is left alone; no
account key appears anywhere."""

import os

import pytest

from copy_sides import DIGEST, Side, no_secret, write
from emulator.azurite import DEFAULT_BIN

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_BIN), reason="Azurite is not installed (npm install)")
pytest.importorskip("azure.ai.ml")

from azure.ai.ml import load_component  # noqa: E402
from azure.ai.ml.entities import Environment  # noqa: E402
from azure.storage.blob import BlobServiceClient  # noqa: E402

from emulator.mlclient import patched_environ  # noqa: E402

IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
CODE = {"train.py": "print('training')\n", "utils/io.py": "X = 1\n"}
YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: {name}
version: "{version}"
display_name: {display}
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
environment: azureml:{env}
command: python train.py --data ${{{{inputs.data}}}} --epochs ${{{{inputs.epochs}}}} --out ${{{{outputs.model}}}}
"""


def component(client, folder, name, version, env, display="Train", code=None):
    for path, text in (code or CODE).items():
        write(folder / "src" / path, text)
    write(folder / "component.yml", YAML.format(name=name, version=version, env=env, display=display))
    return client.components.create_or_update(load_component(source=str(folder / "component.yml")))


@pytest.fixture(scope="module")
def world(emulator, pair, tmp_path_factory):
    src = Side(emulator, pair, "primary", "mlw-cc-eastus")
    dst = Side(emulator, pair, "secondary", "mlw-cc-westus")
    with patched_environ(emulator):
        source, target = src.client(), dst.client()
        for client in (source, target):   # in the target: what aml_env_copy does before the components
            client.environments.create_or_update(Environment(name="sklearn-env", version="1", image=IMAGE))
        source.environments.create_or_update(Environment(name="scoring-env", version="1", image=IMAGE))
        component(source, tmp_path_factory.mktemp("train"), "train_model", "1", "sklearn-env:1")
        component(source, tmp_path_factory.mktemp("score"), "score_model", "1", "scoring-env:1", display="Score")
    return dict(src=src, dst=dst)


def sync_vars(world, **extra):
    return {"sync": dict(world["src"].params("source"), **world["dst"].params("target"), **extra)}


def result(run):
    return run.task("Copy")["result"]


def keys(items):
    return sorted(i["key"] for i in items)


def code_files(side, code_id):
    """(code version, account, {relative path: text}) of a code version of ``side``, read from the
    blobs its codeUri names: https://<account>.blob.core.windows.net/<container>/<path> (Azure's form,
    as azure-ai-ml registers it) or the emulator's path-style http://127.0.0.1:<port>/<account>/..."""
    from urllib.parse import urlsplit
    name, version = code_id.rstrip("/").split("/codes/", 1)[1].split("/versions/")
    code = side.ml.code_versions.get(side.group, side.workspace, name, version)
    url = urlsplit(code.properties.code_uri)
    parts = url.path.lstrip("/").split("/")
    if ".blob." in url.netloc:
        account = url.netloc.split(".", 1)[0]
    else:
        account, parts = parts[0], parts[1:]
    container, path = parts[0], "/".join(parts[1:])
    assert account == side.account, "the code is not on the workspace's own storage"
    container_client = BlobServiceClient("https://%s.blob.core.windows.net" % account, credential=side.key) \
        .get_container_client(container)
    prefix = path.rstrip("/") + "/" if path else ""
    return code, {b.name[len(prefix):]: container_client.download_blob(b.name).readall().decode()
                  for b in container_client.list_blobs(name_starts_with=prefix)}


def test_check_mode_apply_and_mlclient_reads_the_copy(emulator, run_playbook, world):
    src, dst = world["src"], world["dst"]
    state = emulator.state()
    check = run_playbook("component_copy.yml", sync_vars(world, names=["train_model"]), check=True, diff=True)
    assert check.rc == 0, check
    predicted = result(check)
    assert keys(predicted["copied"]) == ["component:train_model:1"]
    assert predicted["copied"][0]["environment"] == "sklearn-env:1"
    assert predicted["copied"][0]["code"]["action"] == "copy" and predicted["copied"][0]["code"]["files"] == 2
    assert emulator.state() == state, "check mode changed something"

    run = run_playbook("component_copy.yml", sync_vars(world, names=["train_model"]), diff=True)
    assert run.rc == 0, run
    done = result(run)
    assert done["plan"] == predicted["plan"] and done["summary"] == {"copy": 1, "failed": 0}
    with patched_environ(emulator):
        source, target = src.client(), dst.client()
        got, want = target.components.get("train_model", "1"), source.components.get("train_model", "1")
        assert (got.display_name, got.command, set(got.inputs), set(got.outputs)) == \
            (want.display_name, want.command, set(want.inputs), set(want.outputs))
        assert got.inputs["epochs"].default == want.inputs["epochs"].default
        assert "/workspaces/mlw-cc-westus/" in str(got.environment) and "sklearn-env" in str(got.environment)
        assert "/workspaces/mlw-cc-westus/codes/" in str(got.code), got.code
        code, files = code_files(dst, str(got.code))
        assert files == CODE
        assert code.properties.properties[DIGEST] == done["copied"][0]["code"]["digest"]
        assert code_files(src, str(want.code))[1] == CODE
    assert no_secret([done, run.stdout, run.stderr, check.stdout], src.key, dst.key)

    again = run_playbook("component_copy.yml", sync_vars(world, names=["train_model"]))
    assert again.rc == 0 and again.changed == 0, again
    assert result(again)["containers"]["listed"] == 0, "the record written after the copy: nothing to list"
    third = run_playbook("component_copy.yml", sync_vars(world, names=["train_model"]), check=True)
    assert result(third)["containers"] == {"selected": 1, "listed": 0, "in_step": 1}


def test_missing_environment_fails_alone_and_registers_nothing(emulator, run_playbook, world):
    src, dst = world["src"], world["dst"]
    check = run_playbook("component_copy.yml", sync_vars(world), check=True)
    assert check.rc == 0, check        # check mode: aml_env_copy may still bring it
    planned = dict((i["key"], i) for i in result(check)["copied"])
    assert "scoring-env:1 is not in the target yet" in planned["component:score_model:1"]["reason"]
    run = run_playbook("component_copy.yml", sync_vars(world))
    assert run.rc != 0, run
    msg = run.failed[0]["result"]["msg"]
    assert msg.startswith("1 of ") and "environment 'scoring-env:1' is not in the target workspace" in msg, msg
    assert "\n" not in msg
    with pytest.raises(Exception):
        dst.ml.component_versions.get(dst.group, dst.workspace, "score_model", "1")
    # once the environment is there, it goes through
    with patched_environ(emulator):
        dst.client().environments.create_or_update(Environment(name="scoring-env", version="1", image=IMAGE))
    again = run_playbook("component_copy.yml", sync_vars(world))
    assert again.rc == 0 and keys(result(again)["copied"]) == ["component:score_model:1"], again
    assert run_playbook("component_copy.yml", sync_vars(world)).changed == 0


def test_conflict_reported_and_left_alone(emulator, run_playbook, world, tmp_path):
    src, dst = world["src"], world["dst"]
    with patched_environ(emulator):
        component(src.client(), tmp_path / "a", "train_model", "2", "sklearn-env:1")
        component(dst.client(), tmp_path / "b", "train_model", "2", "sklearn-env:1", display="Changed in DR")
    before = dst.ml.component_versions.get(dst.group, dst.workspace, "train_model", "2").as_dict()
    check = run_playbook("component_copy.yml", sync_vars(world), check=True)
    run = run_playbook("component_copy.yml", sync_vars(world))
    assert run.rc == 0, run
    assert result(check)["plan"] == result(run)["plan"]
    assert keys(result(run)["conflicts"]) == ["component:train_model:2"]
    assert dst.ml.component_versions.get(dst.group, dst.workspace, "train_model", "2").as_dict() == before
    assert run.changed == 0


def test_code_copies_nothing_uses_are_removed(emulator, run_playbook, world, tmp_path):
    """A code copy left by a killed run whose source then changed (no code version uses it) is deleted;
    the registered code's copy stays."""
    src, dst = world["src"], world["dst"]
    with patched_environ(emulator):
        component(src.client(), tmp_path / "c", "prep_data", "1", "sklearn-env:1", display="Prep",
                  code={"prep.py": "print('prep')\n"})
    orphan = "amlops-bcdr/codes/0000-gone/1/0123456789abcdef0123456789abcdef/"
    dst.blobs.get_blob_client(dst.container, orphan + "train.py").upload_blob(b"half")
    check = run_playbook("component_copy.yml", sync_vars(world, names=["prep_data"]), check=True)
    run = run_playbook("component_copy.yml", sync_vars(world, names=["prep_data"]))
    assert run.rc == 0, run
    done = result(run)
    assert done["plan"] == result(check)["plan"]
    assert keys(done["copied"]) == ["component:prep_data:1"]
    assert keys(done["deleted"]) == ["orphan:" + orphan]
    assert dst.tree(orphan) == {}
    code_path = done["copied"][0]["code"]["path"]
    assert dst.tree(code_path) == {"prep.py": b"print('prep')\n"}
    with patched_environ(emulator):
        got = dst.client().components.get("prep_data", "1")
        assert code_files(dst, str(got.code))[1] == {"prep.py": "print('prep')\n"}
    assert run_playbook("component_copy.yml", sync_vars(world)).changed == 0
