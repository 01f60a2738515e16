"""aml_dr_snapshot / aml_dr_snapshot_info against the emulator: a snapshot written to the workspace's
default datastore (amlops-bcdr/state/snapshots/<name>.json, taken_at in the blob's metadata), read back,
rerun unchanged (taken_at kept), changed content rewritten, removed; check mode writes nothing; bad
input changes nothing; the storage account key never appears in the output."""

import json

import pytest

from pair_fixtures import make_pair

PLAYBOOK = "dr_snapshot.yml"
CONTENT = {"endpoints": [{"name": "fraud-scoring", "traffic": {"blue": 100}, "instance_count": 3}],
           "jobs": [{"name": "train-42", "status": "Running"}], "schedules": []}


@pytest.fixture(scope="module")
def standby(emulator):
    ws = make_pair(emulator, "snp")[1]
    return ws["secondary"]


def snap(ws, **extra):
    return dict(dict(workspace=ws.name, resource_group=ws.group, name="workloads"), **extra)


def stored(ws, name="workloads"):
    """(document, metadata) of the snapshot blob, read directly with the account key; (None, None) if absent."""
    blob = ws.blobs.get_blob_client(ws.container, "amlops-bcdr/state/snapshots/%s.json" % name)
    if not blob.exists():
        return None, None
    download = blob.download_blob()
    return json.loads(download.readall()), dict(download.properties.metadata)


def no_key(ws, run):
    text = run.stdout + run.stderr + json.dumps(run.tasks)
    assert ws.key not in text, "the storage account key appears in the output"


def test_write_read_rerun_change_remove(run_playbook, standby):
    ws = standby
    assert stored(ws) == (None, None)

    check = run_playbook(PLAYBOOK, {"snap": snap(ws, content=CONTENT)}, check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.task("Snapshot")["result"]
    assert predicted["changed"] and predicted["snapshot"]["content"] == CONTENT
    assert predicted["changes"] == {"endpoints": "added", "jobs": "added", "schedules": "added"}
    assert check.task("Read")["result"]["snapshot"] is None
    assert stored(ws) == (None, None), "check mode wrote the snapshot"
    assert "fraud-scoring" in check.stdout          # --diff shows the content

    apply = run_playbook(PLAYBOOK, {"snap": snap(ws, content=CONTENT)}, verbosity=3)
    assert apply.rc == 0 and apply.changed == 1, apply
    written = apply.task("Snapshot")["result"]
    assert written["location"]["blob"] == "amlops-bcdr/state/snapshots/workloads.json"
    assert written["location"]["container"] == ws.container and written["location"]["account"] == ws.account
    document, metadata = stored(ws)
    assert document == CONTENT, "the blob does not hold the content"
    assert metadata["taken_at"] == written["snapshot"]["taken_at"]
    assert "taken_at" not in document
    read = apply.task("Read")["result"]["snapshot"]
    assert read == {"name": "workloads", "taken_at": metadata["taken_at"], "content": CONTENT}
    no_key(ws, apply)

    again = run_playbook(PLAYBOOK, {"snap": snap(ws, content=CONTENT)})
    assert again.rc == 0 and again.changed == 0, again
    assert again.task("Snapshot")["result"]["snapshot"]["taken_at"] == metadata["taken_at"]
    assert stored(ws)[1]["taken_at"] == metadata["taken_at"], "an unchanged content was rewritten"

    changed = dict(CONTENT, jobs=[])
    check = run_playbook(PLAYBOOK, {"snap": snap(ws, content=changed)}, check=True)
    assert check.rc == 0 and check.task("Snapshot")["result"]["changes"] == {"jobs": "changed"}, check
    assert stored(ws)[0] == CONTENT, "check mode rewrote the snapshot"
    update = run_playbook(PLAYBOOK, {"snap": snap(ws, content=changed)})
    assert update.rc == 0 and update.changed == 1, update
    assert stored(ws)[0] == changed and update.task("Read")["result"]["snapshot"]["content"] == changed

    check = run_playbook(PLAYBOOK, {"snap": snap(ws, state="absent")}, check=True)
    assert check.rc == 0 and check.changed == 1, check
    assert stored(ws)[0] == changed, "check mode deleted the snapshot"
    remove = run_playbook(PLAYBOOK, {"snap": snap(ws, state="absent")})
    assert remove.rc == 0 and remove.changed == 1, remove
    assert stored(ws) == (None, None) and remove.task("Read")["result"]["snapshot"] is None
    again = run_playbook(PLAYBOOK, {"snap": snap(ws, state="absent")})
    assert again.rc == 0 and again.changed == 0, again
    no_key(ws, again)


@pytest.mark.parametrize("extra, message", [
    (dict(name="../escape", content={"a": 1}), "name: '../escape' is not a snapshot name"),
    (dict(content=None), "content: required with state=present"),
    (dict(state="absent", content={"a": 1}), "content: not allowed with state=absent"),
])
def test_bad_input_changes_nothing(emulator, run_playbook, standby, extra, message):
    ws = standby
    before = emulator.state(), stored(ws, "other")
    run = run_playbook(PLAYBOOK, {"snap": snap(ws, **dict(dict(name="other"), **extra))})
    assert run.rc != 0, run
    msg = run.task("Snapshot")["result"]["msg"]
    assert message in msg and "\n" not in msg, msg
    assert (emulator.state(), stored(ws, "other")) == before


def test_a_workspace_without_snapshot_reads_null(run_playbook, standby):
    run = run_playbook(PLAYBOOK, {"snap": snap(standby, write=False, read_name="never-written")})
    assert run.rc == 0 and run.changed == 0, run
    assert run.task("Read")["result"]["snapshot"] is None
