"""data_plan, component_plan, datastore_copy_plan and their shared helpers: input checks, the
per-item decision tables, reference mapping. Pure functions, no SDK."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.blob.uri import UriError
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import component_plan as cplan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import copy_kinds_plan as kinds
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import data_plan as dplan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import datastore_copy_plan as splan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_plan import DIGEST_PROPERTY, PlanError

GOOD = dict(source_workspace="mlw-a", source_resource_group="rg-a", target_workspace="mlw-b",
            target_resource_group="rg-b", names=None, versions=None, tags=None, parallelism=4, wait_timeout=900)
FILES = [dict(path="part-0.csv", size=8, md5="aaa="), dict(path="2024/part-1.csv", size=8, md5="bbb=")]
SUB = "00000000-0000-0000-0000-000000000001"
LONG = "azureml://subscriptions/%s/resourcegroups/rg-a/workspaces/mlw-a/datastores/%s/paths/%s"


# ---- input checks ------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, noun", [(dplan.input_errors, "data asset"), (cplan.input_errors, "component")])
def test_input_errors_name_the_option_and_the_kind(fn, noun):
    assert fn(GOOD) == []
    errors = fn(dict(GOOD, names=["bad name"], versions=[">=x"], parallelism=0,
                     target_workspace="mlw-a", target_resource_group="rg-a"))
    assert errors[0].startswith("target_workspace: 'mlw-a' in 'rg-a' is the source workspace")
    assert any(e.startswith("names: 'bad name' is not a %s name" % noun) for e in errors)
    assert any(e.startswith("versions: '>=x'") for e in errors)
    assert any(e.startswith("parallelism:") for e in errors)
    assert all("\n" not in e and "model" not in e for e in errors)


def test_datastore_input_errors():
    assert splan.input_errors(dict(GOOD, names=["training*"])) == []
    errors = splan.input_errors(dict(GOOD, names=["a/b"], source_workspace=""))
    assert errors == ["source_workspace: required",
                      "names: 'a/b' is not a datastore name or pattern (letters, digits, '-', '_', '.', "
                      "wildcards * ? [])"]


def test_select_containers_names_the_kind():
    found = [dict(name="training"), dict(name="raw")]
    assert [c["name"] for c in kinds.select_containers(found, ["t*"], "data asset")] == ["training"]
    with pytest.raises(PlanError, match="^names: no data asset in the source workspace matches 'x\\*'$"):
        kinds.select_containers(found, ["x*"], "data asset")


# ---- data ----------------------------------------------------------------------------------------
def data(version="1", uri=None, **kw):
    base = dict(name="training", version=version, data_type="uri_folder",
                data_uri=uri or LONG % (SUB, "workspaceblobstore", "LocalUpload/abc/training/"),
                description="d", tags={}, properties={}, is_archived=False)
    base.update(kw)
    return base


@pytest.mark.parametrize("uri, mode", [
    (LONG % (SUB, "workspaceblobstore", "x/"), dplan.COPY),
    ("azureml://datastores/WorkspaceBlobStore/paths/x/", dplan.COPY),
    ("azureml://datastores/workspaceartifactstore/paths/x", dplan.COPY),
    (LONG % (SUB, "training", "raw/2024/"), dplan.MIRROR),
    ("https://sttraining.blob.core.windows.net/data/x.csv", dplan.MIRROR),
    ("wasbs://data@sttraining.blob.core.windows.net/x/", dplan.MIRROR),
    ("abfss://data@sttraining.dfs.core.windows.net/x/", dplan.MIRROR),
])
def test_placement(uri, mode):
    assert dplan.placement(uri)[0] == mode
    if mode == dplan.MIRROR and not uri.startswith("azureml://"):
        assert dplan.mirrored_uri(dplan.placement(uri)[1]) == uri


def test_placement_refuses_what_it_cannot_locate():
    with pytest.raises(UriError):
        dplan.placement("runs:/abc/model")


def test_mirrored_version_gets_the_short_datastore_uri():
    source = data(uri=LONG % (SUB, "training", "raw/2024/"))
    mode, where = dplan.placement(source["data_uri"])
    item = dplan.plan_version(source, None, mode, where)
    assert (item["action"], item["target_uri"]) == ("copy", "azureml://datastores/training/paths/raw/2024/")
    assert "problem" not in item
    # the same URI (any form) in the target: skip; a metadata change: update; another path: conflict
    same = data(uri="azureml://datastores/training/paths/raw/2024")
    assert dplan.plan_version(source, same, mode, where)["action"] == "skip"
    updated = dplan.plan_version(dict(source, tags={"a": "1"}), same, mode, where)
    assert (updated["action"], updated["changes"]) == ("update", {"tags": [{}, {"a": "1"}]})
    other = data(uri="azureml://datastores/training/paths/raw/2023/")
    assert dplan.plan_version(source, other, mode, where)["action"] == "conflict"
    assert dplan.plan_version(source, dict(same, data_type="uri_file"), mode, where)["action"] == "conflict"


def test_mirrored_version_whose_datastore_is_missing_fails_alone():
    source = data(uri=LONG % (SUB, "training", "raw/"))
    mode, where = dplan.placement(source["data_uri"])
    item = dplan.plan_version(source, None, mode, where, mirror_problem="datastore 'training' is not in the target")
    assert item["action"] == "copy" and item["problem"] and "will fail" in item["reason"]


def test_copied_version_decisions():
    source = data()
    mode, where = dplan.placement(source["data_uri"])
    first = dplan.plan_version(source, None, mode, where, FILES)
    assert first["action"] == "copy" and first["files"] == 2 and first["bytes"] == 16
    assert first["path"] == "amlops-bcdr/data/training/1/%s/" % first["digest"]
    ours = data(uri=LONG % (SUB, "workspaceblobstore", first["path"]), properties={DIGEST_PROPERTY: first["digest"]})
    assert dplan.plan_version(source, ours, mode, where, FILES)["action"] == "skip"
    changed = FILES[:1] + [dict(FILES[1], md5="ccc=")]
    assert dplan.plan_version(source, ours, mode, where, changed)["action"] == "conflict"
    by_hand = data(uri=LONG % (SUB, "workspaceblobstore", "by-hand/"))
    assert dplan.plan_version(source, by_hand, mode, where, FILES, list(FILES))["action"] == "skip"
    assert dplan.plan_version(source, by_hand, mode, where, FILES, changed)["action"] == "conflict"
    assert dplan.plan_version(source, by_hand, mode, where, FILES, None)["action"] == "conflict"
    empty = dplan.plan_version(source, None, mode, where, [])
    assert empty["action"] == "copy" and "no files" in empty["reason"]


# ---- components -----------------------------------------------------------------------------------
def ref(kind, name, version, ws="mlw-a"):
    return cplan.workspace_ref(SUB, "rg-a", ws, kind, name, version)


def comp(version="1", **kw):
    spec = {"name": "train_model", "version": version, "type": "command", "command": "python train.py",
            "code": ref("codes", "3f2a", "1"), "environment": ref("environments", "sklearn-env", "1")}
    spec.update(kw.pop("spec", {}))
    base = dict(name="train_model", version=version, spec=spec, description="", tags={}, properties={},
                is_archived=False)
    base.update(kw)
    return base


@pytest.mark.parametrize("text, kind, want", [
    ("azureml:/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/"
     "codes/abc/versions/1", "codes", ("abc", "1", "arm")),
    ("/subscriptions/s/resourcegroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/"
     "environments/env/versions/3", "environments", ("env", "3", "arm")),
    ("azureml:sklearn-env:1", "environments", ("sklearn-env", "1", "short")),
    ("azureml:sklearn-env@latest", "environments", None),
    ("azureml:/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/"
     "codes/abc/versions/1", "environments", None),
    ({"image": "x"}, "environments", None),
])
def test_parse_ref(text, kind, want):
    got = cplan.parse_ref(text, kind)
    assert (got and (got["name"], got["version"], got["form"])) == (want if want else got)
    if want is None:
        assert got is None


def test_target_spec_moves_references_to_the_target_workspace_only():
    source = comp()
    spec = cplan.target_spec(source["spec"], SUB, "rg-b", "mlw-b")
    assert spec["code"] == cplan.workspace_ref(SUB, "rg-b", "mlw-b", "codes", "3f2a", "1")
    assert spec["environment"] == cplan.workspace_ref(SUB, "rg-b", "mlw-b", "environments", "sklearn-env", "1")
    assert spec["command"] == source["spec"]["command"] and source["spec"]["code"] == ref("codes", "3f2a", "1")
    assert cplan.comparable(spec) == cplan.comparable(source["spec"])
    short = cplan.target_spec(dict(source["spec"], environment="azureml:sklearn-env:1"), SUB, "rg-b", "mlw-b")
    assert short["environment"] == "azureml:sklearn-env:1"


def test_plan_code():
    code = dict(name="3f2a", version="1", code_uri="https://sta.blob.core.windows.net/c/src", properties={})
    first = cplan.plan_code(code, FILES)
    assert first["action"] == "copy" and first["path"] == "amlops-bcdr/codes/3f2a/1/%s/" % first["digest"]
    ours = dict(code, code_uri="https://stb.blob.core.windows.net/c/" + first["path"].rstrip("/"),
                properties={DIGEST_PROPERTY: first["digest"]})
    assert cplan.plan_code(code, FILES, ours)["action"] == "skip"
    assert cplan.plan_code(code, FILES[:1], ours)["action"] == "conflict"
    assert cplan.plan_code(code, FILES, dict(code), list(FILES))["action"] == "skip"
    assert cplan.plan_code(code, FILES, dict(code), FILES[:1])["action"] == "conflict"


def test_component_decisions():
    source = comp()
    code_ref, env_ref = cplan.refs(source["spec"])
    code = cplan.plan_code(dict(name="3f2a", version="1"), FILES)
    item = cplan.plan_version(source, None, code, env_ref, env_in_target=False)
    assert item["action"] == "copy" and item["environment"] == "sklearn-env:1"
    assert item["code"]["action"] == "copy" and "not in the target yet" in item["reason"]
    bad_code = dict(code, action="conflict", reason="code 3f2a:1 is registered in the target with other files")
    assert cplan.plan_version(source, None, bad_code, env_ref)["action"] == "conflict"
    # the target's copy (references in the target workspace) compares equal
    target = dict(source, spec=cplan.target_spec(source["spec"], SUB, "rg-b", "mlw-b"))
    assert cplan.plan_version(source, target)["action"] == "skip"
    assert cplan.plan_version(dict(source, description="new"), target)["action"] == "update"
    other = dict(target, spec=dict(target["spec"], command="python other.py"))
    assert cplan.plan_version(source, other)["action"] == "conflict"
    other_env = dict(target, spec=dict(target["spec"], environment=ref("environments", "sklearn-env", "2", "mlw-b")))
    assert cplan.plan_version(source, other_env)["action"] == "conflict"


# ---- datastores --------------------------------------------------------------------------------------
def store(name="training", **kw):
    base = dict(name=name, datastore_type="AzureBlob", account_name="sttraining", container_name="data",
                endpoint="core.windows.net", protocol="https", service_data_access_auth_identity="None",
                credentials_type="AccountKey", description="", tags={}, is_default=False)
    base.update(kw)
    return base


def test_select_leaves_the_workspace_defaults():
    stores = [store(), store("workspaceblobstore", is_default=True), store("workspacefilestore"),
              store("WorkspaceArtifactStore"), store("workspaceworkingdirectory"), store("raw")]
    assert [s["name"] for s in splan.select(stores)] == ["raw", "training"]
    assert [s["name"] for s in splan.select(stores, ["tr*"])] == ["training"]
    with pytest.raises(PlanError, match="^names: no user-registered datastore .* 'workspace\\*'$"):
        splan.select(stores, ["workspace*"])


@pytest.mark.parametrize("source_type, target_type", [
    ("AccountKey", "AccountKey"), ("Sas", "None"), ("None", "None"), ("ServicePrincipal", "None")])
def test_target_credentials_never_copy_a_secret(source_type, target_type):
    item = splan.plan_datastore(store(credentials_type=source_type))
    assert item["action"] == "copy" and item["credentials_type"] == target_type
    assert item["desired"]["credentials_type"] == target_type
    assert not any("key" == k or "secret" in k for k in item["desired"])


def test_datastore_decisions():
    source = store(tags={"team": "risk"})
    assert splan.plan_datastore(source, store(tags={"team": "risk"}))["action"] == "skip"
    assert splan.plan_datastore(source, store(tags={"team": "risk"}, endpoint="Core.Windows.Net"))["action"] == "skip"
    upd = splan.plan_datastore(source, store(credentials_type="None"))
    assert upd["action"] == "update" and set(upd["changes"]) == {"credentials_type", "tags"}
    moved = splan.plan_datastore(source, store(account_name="stother"))
    assert moved["action"] == "conflict" and "account_name" in moved["reason"]
    ident = splan.plan_datastore(source, store(tags={"team": "risk"}, service_data_access_auth_identity="WorkspaceSystemAssignedIdentity"))
    assert ident["action"] == "conflict"
    files = splan.plan_datastore(store(datastore_type="AzureFile"))
    assert files["action"] == "copy" and "not mirrored" in files["problem"]
    assert splan.plan_datastore(store(datastore_type="AzureFile"), store())["action"] == "skip"


def test_each_workspace_keeps_its_own_collection_tags():
    # provision tags the training datastore with its pair and region role in each workspace: the
    # sync neither copies the source's nor overwrites the target's
    source = store(tags={"team": "risk", "amlops.bcdr.pair": "fraud", "amlops.bcdr.role": "primary"})
    target = store(tags={"team": "risk", "amlops.bcdr.pair": "fraud", "amlops.bcdr.role": "secondary"})
    assert splan.plan_datastore(source, target)["action"] == "skip"
    new = splan.plan_datastore(source)
    assert new["action"] == "copy" and new["desired"]["tags"] == {"team": "risk"}
    upd = splan.plan_datastore(dict(source, description="raw data"), target)
    assert upd["action"] == "update" and set(upd["changes"]) == {"description"}
    assert upd["desired"]["tags"]["amlops.bcdr.role"] == "secondary"


# ---- orphans -----------------------------------------------------------------------------------------
def test_orphan_items_judge_only_what_was_read_and_keep_what_is_used():
    prefix = dplan.COPY_PREFIX
    blobs = [dict(name=prefix + "upload/1/aaa/part-0.csv", size=3), dict(name=prefix + "upload/1/aaa/x/y.csv", size=4),
             dict(name=prefix + "upload/2/bbb/part-0.csv", size=5), dict(name=prefix + "labels/1/ccc/l.csv", size=6),
             dict(name=prefix + "malformed", size=1), dict(name="amlops-bcdr/models/upload/1/ddd/m", size=1)]
    out = kinds.orphan_items(blobs, prefix, used={("upload", "2", "bbb")}, judged={"upload"})
    assert [(o["key"], o["action"], o["files"], o["bytes"]) for o in out] == \
        [("orphan:amlops-bcdr/data/upload/1/aaa/", "delete", 2, 7)]
    assert out[0]["blobs"] == [prefix + "upload/1/aaa/part-0.csv", prefix + "upload/1/aaa/x/y.csv"]
    everything = kinds.orphan_items(blobs, prefix, used=set())
    assert [o["path"] for o in everything] == [prefix + "labels/1/ccc/", prefix + "upload/1/aaa/", prefix + "upload/2/bbb/"]
    assert kinds.parse_copy_path(prefix + "a/1/d", prefix) is None   # no file under the digest folder


def test_pipeline_component_references_move_to_the_target():
    child = cplan.workspace_ref(SUB, "rg-a", "mlw-a", "components", "train_model", "1")
    data_ref = cplan.workspace_ref(SUB, "rg-a", "mlw-a", "data", "training", "2")
    spec = {"type": "pipeline", "jobs": {"train": {"component": child, "inputs": {"d": {"path": data_ref}}},
                                         "other": {"component": "azureml:prep:1", "tags": ["x"]}}}
    moved = cplan.target_spec(spec, SUB, "rg-b", "mlw-b")
    train = moved["jobs"]["train"]
    assert train["component"] == cplan.workspace_ref(SUB, "rg-b", "mlw-b", "components", "train_model", "1")
    assert train["inputs"]["d"]["path"] == cplan.workspace_ref(SUB, "rg-b", "mlw-b", "data", "training", "2")
    assert moved["jobs"]["other"] == spec["jobs"]["other"] and spec["jobs"]["train"]["component"] == child
    assert cplan.comparable(moved) == cplan.comparable(spec)
    child_2 = child.replace("/versions/1", "/versions/2")
    other = cplan.target_spec(dict(spec, jobs=dict(spec["jobs"], train=dict(spec["jobs"]["train"], component=child_2))),
                              SUB, "rg-b", "mlw-b")
    assert cplan.comparable(other) != cplan.comparable(spec)
    # a code given in the short form and in the ARM form compare equal
    short = dict(comp()["spec"], code="azureml:3f2a:1")
    assert cplan.comparable(short) == cplan.comparable(comp()["spec"])
