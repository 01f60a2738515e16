"""aml_datastore_copy and aml_data_copy against the emulator. The source is seeded with azure-ai-ml's
MLClient as a data scientist does: two datastores on the pair's shared geo-redundant training account
(one with its account key, one identity-based), a data asset on that datastore, data assets uploaded
from a local folder and a local file (they land on workspaceblobstore), and an mltable registered
through the mgmt SDK. Check mode predicts exactly; MLClient on the TARGET reads the same specs, with
target-local paths for the uploaded ones, and the files are readable there; a second run changes
nothing; a conflict is reported and left alone; a data asset on a datastore the target lacks fails
alone; no account key appears anywhere."""

import os

import pytest

from copy_sides import DIGEST, Side, no_secret, shared_storage, write
from emulator.azurite import DEFAULT_BIN

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_BIN), reason="Azurite is not installed (npm install)")
pytest.importorskip("azure.ai.ml")

from azure.ai.ml.constants import AssetTypes  # noqa: E402
from azure.ai.ml.entities import AccountKeyConfiguration, AzureBlobDatastore, Data  # noqa: E402
from azure.mgmt.machinelearningservices import models as ml  # noqa: E402

from emulator.mlclient import patched_environ  # noqa: E402

TRAINING = "sttrainingdc"
RAW = {"raw/2024/part-0.csv": b"a,b\n1,2\n", "raw/2024/q2/part-1.csv": b"a,b\n3,4\n"}
BLOB_URL = {"e.csv": b"e\n" * 30}
UPLOAD = {"part-0.csv": b"x,y\n5,6\n", "nested/deeper/part-1.csv": b"x,y\n7,8\n" * 40}


@pytest.fixture(scope="module")
def world(emulator, pair, tmp_path_factory):
    src = Side(emulator, pair, "primary", "mlw-dc-eastus")
    dst = Side(emulator, pair, "secondary", "mlw-dc-westus")
    key, training = shared_storage(emulator, pair, TRAINING)
    for container in ("training", "curated"):
        training.create_container(container)
    for path, data in RAW.items():
        training.get_blob_client("training", path).upload_blob(data)
    training.get_blob_client("curated", "tables/fraud/MLTable").upload_blob(b"paths:\n  - file: ./t.csv\n")
    training.get_blob_client("curated", "tables/fraud/t.csv").upload_blob(b"c\n1\n")
    local = tmp_path_factory.mktemp("data-scientist")
    for path, data in UPLOAD.items():
        write(local / "upload" / path, data)
    write(local / "labels.csv", b"id,label\n1,0\n2,1\n")
    with patched_environ(emulator):
        client = src.client()
        client.datastores.create_or_update(AzureBlobDatastore(
            name="training", account_name=TRAINING, container_name="training", description="shared training data",
            tags={"geo": "ragrs"}, credentials=AccountKeyConfiguration(account_key=key)))
        client.datastores.create_or_update(AzureBlobDatastore(
            name="curated", account_name=TRAINING, container_name="curated"))       # identity-based
        client.data.create_or_update(Data(name="training", version="1", type=AssetTypes.URI_FOLDER,
                                          path="azureml://datastores/training/paths/raw/2024/",
                                          description="on the shared account", tags={"team": "risk"}))
        client.data.create_or_update(Data(name="upload", version="1", type=AssetTypes.URI_FOLDER,
                                          path=str(local / "upload"), description="local folder"))
        client.data.create_or_update(Data(name="labels", version="1", type=AssetTypes.URI_FILE,
                                          path=str(local / "labels.csv")))
    src.ml.data_versions.create_or_update(src.group, src.workspace, "fraud-table", "1", ml.DataVersionBase(
        properties=ml.MLTableData(data_uri="azureml://datastores/curated/paths/tables/fraud/")))
    # a plain blob URL (Azure's endpoint name) on the source's own default storage account: copied, since the
    # standby must not depend on the primary region's storage
    for path, data in BLOB_URL.items():
        src.blobs.get_blob_client(src.container, "exports/" + path).upload_blob(data)
    src.ml.data_versions.create_or_update(src.group, src.workspace, "exports", "1", ml.DataVersionBase(
        properties=ml.UriFolderDataVersion(
            data_uri="https://%s.blob.core.windows.net/%s/exports/" % (src.account, src.container))))
    return dict(src=src, dst=dst, key=key, training=training)


def sync_vars(world, **extra):
    return {"sync": dict(world["src"].params("source"), **world["dst"].params("target"), **extra)}


def result(run):
    return run.task("Copy")["result"]


def keys(items):
    return sorted(i["key"] for i in items)


def secrets(world):
    return (world["key"], world["src"].key, world["dst"].key)


def test_datastores_mirrored_with_the_targets_own_access(emulator, run_playbook, world):
    src, dst = world["src"], world["dst"]
    state = emulator.state()
    check = run_playbook("datastore_copy.yml", sync_vars(world), check=True, diff=True)
    assert check.rc == 0, check
    predicted = result(check)
    assert keys(predicted["copied"]) == ["datastore:curated", "datastore:training"]
    assert emulator.state() == state, "check mode changed something"
    assert "datastore:training" in check.stdout  # --diff

    run = run_playbook("datastore_copy.yml", sync_vars(world))
    assert run.rc == 0, run
    done = result(run)
    assert done["plan"] == predicted["plan"]
    by_key = dict((i["key"], i) for i in done["copied"])
    assert by_key["datastore:training"]["credentials_type"] == "AccountKey"
    assert by_key["datastore:curated"]["credentials_type"] == "None"
    with patched_environ(emulator):
        target = dst.client()
        names = sorted(d.name for d in target.datastores.list())
        assert "training" in names and "curated" in names
        got = target.datastores.get("training", include_secrets=True)
        assert (got.account_name, got.container_name, got.description, got.tags) == \
            (TRAINING, "training", "shared training data", {"geo": "ragrs"})
        assert got.credentials.account_key == world["key"]   # read by the module via listKeys, never shown
        curated = target.datastores.get("curated")
        assert type(curated.credentials).__name__ == "NoneCredentialConfiguration"
        assert target.datastores.get_default().name == "workspaceblobstore"
        assert target.datastores.get_default().account_name == dst.account   # the target's own, untouched
    assert no_secret([done, run.stdout, run.stderr, check.stdout], *secrets(world))

    again = run_playbook("datastore_copy.yml", sync_vars(world))
    assert again.rc == 0 and again.changed == 0, again
    assert again.task("Copy")["status"] == "ok"   # not "skipped": the runner's lists avoid Ansible's keys
    assert keys(result(again)["unchanged"]) == ["datastore:curated", "datastore:training"]


def test_data_assets_mirrored_or_copied_and_read_by_mlclient(emulator, run_playbook, world, tmp_path):
    src, dst = world["src"], world["dst"]
    run_playbook("datastore_copy.yml", sync_vars(world))
    state = emulator.state()
    check = run_playbook("data_copy.yml", sync_vars(world), check=True, diff=True)
    assert check.rc == 0, check
    predicted = result(check)
    assert keys(predicted["copied"]) == ["data:exports:1", "data:fraud-table:1", "data:labels:1", "data:training:1",
                                         "data:upload:1"]
    assert emulator.state() == state, "check mode changed something"
    modes = dict((i["key"], i["mode"]) for i in predicted["copied"])
    assert modes == {"data:exports:1": "copy", "data:fraud-table:1": "mirror", "data:labels:1": "copy",
                     "data:training:1": "mirror", "data:upload:1": "copy"}

    run = run_playbook("data_copy.yml", sync_vars(world), diff=True)
    assert run.rc == 0, run
    done = result(run)
    assert done["plan"] == predicted["plan"] and done["summary"] == {"copy": 5, "failed": 0}
    by_key = dict((i["key"], i) for i in done["copied"])
    assert by_key["data:upload:1"]["bytes_copied"] == sum(len(v) for v in UPLOAD.values())

    with patched_environ(emulator):
        source, target = src.client(), dst.client()
        # mirrored: the same spec, the same datastore-relative URI
        got = target.data.get("training", "1")
        want = source.data.get("training", "1")
        assert (got.type, got.description, got.tags) == (want.type, want.description, want.tags)
        assert got.path.rstrip("/").endswith("datastores/training/paths/raw/2024")
        assert "mlw-dc-eastus" not in got.path
        table = target.data.get("fraud-table", "1")
        assert table.type == AssetTypes.MLTABLE and table.path.rstrip("/").endswith("datastores/curated/paths/tables/fraud")
        # ... readable through the target's own datastore of that name
        store = target.datastores.get("training", include_secrets=True)
        from azure.storage.blob import BlobServiceClient
        through = BlobServiceClient("https://%s.blob.core.windows.net" % store.account_name,
                                    credential=store.credentials.account_key)
        assert dst.tree("raw/2024/", container=store.container_name, blobs=through) == \
            {k[len("raw/2024/"):]: v for k, v in RAW.items()}

        # copied: same spec, on the target's own default datastore, files byte for byte
        for name, kind in (("upload", AssetTypes.URI_FOLDER), ("labels", AssetTypes.URI_FILE)):
            got, want = target.data.get(name, "1"), source.data.get(name, "1")
            assert (got.type, got.description) == (want.type, want.description) == (kind, want.description)
            assert "/workspaces/mlw-dc-westus/datastores/workspaceblobstore/paths/amlops-bcdr/data/%s/1/" % name \
                in got.path, got.path
            assert got.properties[DIGEST] == by_key["data:%s:1" % name]["digest"]
        upload = target.data.get("upload", "1")
        assert dst.tree(upload.path.split("/paths/", 1)[1]) == UPLOAD
        exports = target.data.get("exports", "1")
        assert "/workspaces/mlw-dc-westus/datastores/workspaceblobstore/paths/amlops-bcdr/data/exports/1/" in exports.path
        assert dst.tree(exports.path.split("/paths/", 1)[1]) == BLOB_URL
        labels = target.data.get("labels", "1")
        assert dst.tree(labels.path.split("/paths/", 1)[1]) == {"": b"id,label\n1,0\n2,1\n"}
    assert no_secret([done, run.stdout, run.stderr, check.stdout], *secrets(world))

    again = run_playbook("data_copy.yml", sync_vars(world))
    assert again.rc == 0 and again.changed == 0, again
    assert result(again)["containers"]["listed"] == 0, "the record written after the copy: nothing to list"
    third = run_playbook("data_copy.yml", sync_vars(world), check=True)
    assert result(third)["containers"]["listed"] == 0 and result(third)["plan"] == []


def test_conflict_reported_and_left_alone(emulator, run_playbook, world):
    src, dst = world["src"], world["dst"]
    run_playbook("datastore_copy.yml", sync_vars(world))
    run_playbook("data_copy.yml", sync_vars(world))
    # training 2: in both, on the shared datastore, at different paths
    for side, path in ((src, "raw/2024/"), (dst, "raw/2024/q2/")):
        side.ml.data_versions.create_or_update(side.group, side.workspace, "training", "2", ml.DataVersionBase(
            properties=ml.UriFolderDataVersion(data_uri="azureml://datastores/training/paths/" + path)))
    before = dst.ml.data_versions.get(dst.group, dst.workspace, "training", "2").as_dict()
    check = run_playbook("data_copy.yml", sync_vars(world), check=True)
    run = run_playbook("data_copy.yml", sync_vars(world))
    assert run.rc == 0, run            # conflicts do not fail the module
    assert result(check)["plan"] == result(run)["plan"]
    assert keys(result(run)["conflicts"]) == ["data:training:2"]
    assert dst.ml.data_versions.get(dst.group, dst.workspace, "training", "2").as_dict() == before
    assert run.changed == 0


def test_data_on_a_datastore_the_target_lacks_fails_alone(emulator, run_playbook, world):
    src, dst = world["src"], world["dst"]
    src.ml.datastores.create_or_update(src.group, src.workspace, "scratch", ml.Datastore(
        properties=ml.AzureBlobDatastore(account_name=TRAINING, container_name="training",
                                         credentials=ml.NoneDatastoreCredentials())))
    src.ml.data_versions.create_or_update(src.group, src.workspace, "scratch-set", "1", ml.DataVersionBase(
        properties=ml.UriFolderDataVersion(data_uri="azureml://datastores/scratch/paths/raw/")))
    run = run_playbook("data_copy.yml", sync_vars(world, names=["scratch-set", "upload"]))
    assert run.rc != 0, run
    msg = run.failed[0]["result"]["msg"]
    assert msg.startswith("1 of ") and "datastore 'scratch' is not in the target" in msg and "\n" not in msg
    with pytest.raises(Exception):
        dst.ml.data_versions.get(dst.group, dst.workspace, "scratch-set", "1")
    # mirrored first, it goes through
    assert run_playbook("datastore_copy.yml", sync_vars(world, names=["scratch"])).rc == 0
    again = run_playbook("data_copy.yml", sync_vars(world, names=["scratch-set"]))
    assert again.rc == 0 and keys(result(again)["copied"]) == ["data:scratch-set:1"], again


@pytest.mark.parametrize("playbook, change, expected", [
    ("data_copy.yml", dict(names=["nope*"]), "names: no data asset in the source workspace matches 'nope*'"),
    ("data_copy.yml", dict(versions=[">=x"]), "versions: '>=x' is not a version filter"),
    ("datastore_copy.yml", dict(names=["nope*"]), "names: no user-registered datastore in the source workspace"),
])
def test_bad_input_is_one_line_and_changes_nothing(emulator, run_playbook, world, playbook, change, expected):
    state = emulator.state()
    run = run_playbook(playbook, sync_vars(world, **change))
    assert run.rc != 0, run
    msg = run.failed[0]["result"]["msg"]
    assert msg.startswith(expected) and "\n" not in msg, msg
    assert emulator.state() == state


def test_rerun_after_a_killed_copy_converges_and_orphans_go(emulator, run_playbook, world, tmp_path):
    """A run killed half-way leaves part of a version's files at its deterministic path (one of them
    half-written) and no registration; the next run rewrites that path and registers the version once.
    A copy nothing uses (an interrupted copy whose source then changed) is deleted."""
    src, dst = world["src"], world["dst"]
    run_playbook("datastore_copy.yml", sync_vars(world))
    run_playbook("data_copy.yml", sync_vars(world))
    files = {"a.csv": b"a\n" * 100, "sub/b.csv": b"b\n" * 50}
    for path, data in files.items():
        write(tmp_path / "v3" / path, data)
    with patched_environ(emulator):
        src.client().data.create_or_update(Data(name="upload", version="3", type=AssetTypes.URI_FOLDER,
                                                path=str(tmp_path / "v3")))
    check = run_playbook("data_copy.yml", sync_vars(world, names=["upload"]), check=True)
    planned = [i for i in result(check)["copied"] if i["key"] == "data:upload:3"]
    assert len(planned) == 1, check
    path = planned[0]["path"]
    dst.blobs.get_blob_client(dst.container, path + "a.csv").upload_blob(b"a\n" * 10)   # the killed run's work
    orphan = "amlops-bcdr/data/upload/9/0123456789abcdef0123456789abcdef/"
    dst.blobs.get_blob_client(dst.container, orphan + "x.csv").upload_blob(b"half a copy")

    check = run_playbook("data_copy.yml", sync_vars(world), check=True)
    run = run_playbook("data_copy.yml", sync_vars(world))
    assert run.rc == 0, run
    done = result(run)
    assert done["plan"] == result(check)["plan"]
    assert [(i["key"], i["action"]) for i in done["data"] if i["action"] in ("copy", "delete")] == \
        [("data:upload:3", "copy"), ("orphan:" + orphan, "delete")]
    copied = [i for i in done["data"] if i["key"] == "data:upload:3"][0]
    assert copied["path"] == path and copied["bytes_copied"] == sum(len(v) for v in files.values())
    assert dst.tree(path) == files and dst.tree(orphan) == {}
    assert dst.tree("amlops-bcdr/data/upload/3/").keys() == {planned[0]["digest"] + "/" + k for k in files}
    assert run_playbook("data_copy.yml", sync_vars(world)).changed == 0
