"""aml_model_copy with bad input, run by ansible-playbook against the emulator (what test_model_copy
does not cover already: the same workspace, a names filter matching no model, a malformed version filter
and a source blob deleted behind the registry's back are there).

- a target workspace without a default blob datastore: one line naming target_workspace, nothing changed;
- the same workspace spelled in another case: refused before any call;
- a names list where one name matches no model: one line naming it, nothing copied (not even the models
  the other names match);
- a version filter that matches no version: nothing to do, changed=0, nothing written;
- several bad options at once: one line naming each, before any call;
- a source version whose modelUri names a datastore the source does not have: that version fails alone,
  the others are copied, nothing registered for it."""

import pytest
from azure.mgmt.machinelearningservices import models as ml

from pair_fixtures import make_pair
from sync_checks import MODEL_COPY, model_copy_vars, stored_files, versions

FILES = {"model.pkl": b"weights " * 100, "MLmodel": b"flavors: {}\n"}


@pytest.fixture(scope="module")
def bad_pair(emulator):
    _pair, ws = make_pair(emulator, "bad")
    src, dst = ws["primary"], ws["secondary"]
    src.add_model("fraud", "1", FILES)
    src.add_model("churn", "1", dict(FILES, **{"model.pkl": b"churn " * 50}))
    return src, dst


def log_length(emulator):
    with open("%s/emulator.log" % emulator.state_dir) as fh:
        return len(fh.read().splitlines())


def arm_calls_since(emulator, since):
    with open("%s/emulator.log" % emulator.state_dir) as fh:
        return [ln for ln in fh.read().splitlines()[since:] if "/subscriptions/" in ln]


def one_line_failure(run):
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert "\n" not in msg, msg
    return msg


def test_target_without_a_default_blob_datastore(emulator, run_playbook, bad_pair):
    src, _dst = bad_pair
    # a third workspace whose blob datastores are gone (only the file shares are left)
    _p, other = make_pair(emulator, "nods")
    target = other["secondary"]
    for store in target.ml.datastores.list(target.group, target.name):
        if store.properties.datastore_type == "AzureBlob":
            target.ml.datastores.delete(target.group, target.name, store.name)
    left = dict((s.name, s.properties.datastore_type) for s in target.ml.datastores.list(target.group, target.name))
    assert left and "AzureBlob" not in left.values(), left   # the file shares are left
    state, blobs = emulator.state(), stored_files(target)
    msg = one_line_failure(run_playbook(MODEL_COPY, model_copy_vars(src, target)))
    assert msg.startswith("target_workspace: '%s' has no default blob datastore" % target.name), msg
    assert emulator.state() == state and stored_files(target) == blobs


def test_same_workspace_in_another_case_is_refused_before_any_call(emulator, run_playbook, bad_pair):
    src, _dst = bad_pair
    extra = {"sync": dict(source_workspace=src.name, source_resource_group=src.group,
                          target_workspace=src.name.upper(), target_resource_group=src.group.upper())}
    since = log_length(emulator)
    msg = one_line_failure(run_playbook(MODEL_COPY, extra))
    expected = "target_workspace: '%s' in '%s' is the source workspace" % (src.name.upper(), src.group.upper())
    assert msg.startswith(expected), msg
    assert arm_calls_since(emulator, since) == []


def test_one_name_matching_no_model_fails_the_whole_run_before_any_change(emulator, run_playbook, bad_pair):
    src, dst = bad_pair
    state, blobs = emulator.state(), stored_files(dst)
    msg = one_line_failure(run_playbook(MODEL_COPY, model_copy_vars(src, dst, names=["fraud", "nope-*"])))
    assert msg.startswith("names: no model in the source workspace matches 'nope-*'"), msg
    assert "fraud" not in msg.split("matches", 1)[1], msg
    assert emulator.state() == state and stored_files(dst) == blobs
    assert versions(dst) == {}


def test_a_version_filter_matching_nothing_changes_nothing(emulator, run_playbook, bad_pair):
    src, dst = bad_pair
    state, blobs = emulator.state(), stored_files(dst)
    run = run_playbook(MODEL_COPY, model_copy_vars(src, dst, versions=["99", ">=50"]))
    assert run.rc == 0 and run.changed == 0, run
    result = run.task("Copy models")["result"]
    assert result["copied"] == [] and result["plan"] == [], result
    assert emulator.state() == state and stored_files(dst) == blobs


def test_several_bad_options_are_one_line_naming_each_before_any_call(emulator, run_playbook, bad_pair):
    src, dst = bad_pair
    since = log_length(emulator)
    msg = one_line_failure(run_playbook(MODEL_COPY, model_copy_vars(
        src, dst, names=["bad name!"], versions=[">=1.5"], parallelism=0, wait_timeout=0)))
    for option in ("names: 'bad name!'", "versions: '>=1.5'", "parallelism:", "wait_timeout:"):
        assert option in msg, (option, msg)
    assert arm_calls_since(emulator, since) == []


def test_a_version_on_a_datastore_the_source_lacks_fails_alone(emulator, run_playbook, bad_pair):
    src, dst = bad_pair
    src.blobs.get_blob_client(src.container, "models/lost/1/model.pkl").upload_blob(b"lost", overwrite=True)
    src.ml.model_versions.create_or_update(src.group, src.name, "lost", "1", ml.ModelVersion(
        properties=ml.ModelVersionProperties(model_uri="azureml://datastores/nosuchstore/paths/models/lost/1/",
                                             model_type="custom_model")))
    try:
        run = run_playbook(MODEL_COPY, model_copy_vars(src, dst))
        assert run.rc != 0, run
        result = run.task("Copy models")["result"]
        failed = [i for i in result["models"] if "error" in i]
        assert [i["key"] for i in failed] == ["model:lost:1"], result
        assert "nosuchstore" in failed[0]["error"], failed
        assert sorted(i["key"] for i in result["copied"]) == ["model:churn:1", "model:fraud:1"]
        assert set(versions(dst)) == {("fraud", "1"), ("churn", "1")}
        assert not [b for b in stored_files(dst) if "/lost/" in b]
    finally:
        src.ml.model_versions.delete(src.group, src.name, "lost", "1")
        src.ml.model_containers.delete(src.group, src.name, "lost")
