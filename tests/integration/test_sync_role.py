"""playbooks/sync.yml (the sync role) against the emulator, on a provisioned-like pair with models
seeded in the primary: check mode predicts and writes nothing, the run copies and records the RPO in
the standby's tags, a second run reports changed=0; after a failover marker the sync goes
secondary -> primary, a stale primary is refused as a source and demoted; a conflict fails the play
at the end, naming it, after the other items were copied; a source region that hangs fails the sync
within a bounded time with one line, changing nothing."""

import time
from pathlib import Path

import pytest

from pair_fixtures import STATE, claim, make_pair, pair_inventory

SYNC = str(Path(__file__).resolve().parents[2] / "playbooks" / "sync.yml")
FRAUD_1 = {"model.pkl": b"fraud v1 " * 100, "MLmodel": b"flavors: {}\n", "code/score.py": b"def run(x):\n    return x\n"}
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:20240709.v1"
FRAUD_2 = dict(FRAUD_1, **{"model.pkl": b"fraud v2 " * 150})


@pytest.fixture(scope="module")
def synced_pair(emulator):
    bcdr_pair, ws = make_pair(emulator, "syr")
    ws["primary"].add_model("fraud", "1", FRAUD_1, description="first", tags={"team": "risk"})
    ws["primary"].add_model("fraud", "2", FRAUD_2, stage="Production")
    ws["primary"].add_model("churn", "1", {"model.onnx": b"onnx" * 64})
    ws["primary"].add_environment("infer", "1", IMAGE, description="scoring image")
    return dict(pair=bcdr_pair, ws=ws, inventory=pair_inventory(bcdr_pair))


def sync(run_playbook, sp, check=False, diff=False, **role_vars):
    return run_playbook(SYNC, role_vars or None, check=check, diff=diff, inventory=sp["inventory"])


def task(run, name):
    return run.task("amlops.bcdr.sync : " + name)


def summary(run):
    return task(run, "Sync summary")["result"]["msg"]


def copied(run, asset="models"):
    return sorted(i["key"] for i in task(run, "Copy " + asset)["result"]["copied"])


def test_check_predicts_apply_copies_records_the_rpo_then_changes_nothing(emulator, run_playbook, synced_pair):
    primary, secondary = synced_pair["ws"]["primary"], synced_pair["ws"]["secondary"]
    before = emulator.state()
    check = sync(run_playbook, synced_pair, check=True, diff=True)
    assert check.rc == 0, check
    assert emulator.state() == before, "check mode changed something (the RPO record included)"
    assert secondary.models() == set() and secondary.state_tags() == {}
    assert copied(check) == ["model:churn:1", "model:fraud:1", "model:fraud:2"]
    assert copied(check, "environments") == ["environment:infer:1"]
    assert check.changed >= 1
    predicted = summary(check)
    assert predicted["direction"] == "primary (mlw-syr-eastus) -> secondary (mlw-syr-westus)"
    assert predicted["epoch"] == 0
    assert predicted["assets"]["models"]["copied"] == 3 and predicted["rpo_record"] == "would be written"
    assert "model:fraud:2" in check.stdout, "--diff shows the planned versions"

    started = time.time()
    run = sync(run_playbook, synced_pair)
    assert run.rc == 0, run
    for asset in ("models", "environments"):
        assert task(run, "Copy " + asset)["result"]["plan"] == task(check, "Copy " + asset)["result"]["plan"]
    assert secondary.models() == {("fraud", "1"), ("fraud", "2"), ("churn", "1")}
    assert secondary.environments() == {("infer", "1")}
    assert secondary.model("fraud", "2").properties.stage == "Production"
    done = summary(run)
    assert done["assets"]["models"] == dict(copied=3, updated=0, unchanged=0, conflicts=0, failed=0, deleted=0,
                                            covered=2)
    assert done["assets"]["environments"] == dict(copied=1, updated=0, unchanged=0, conflicts=0, failed=0, deleted=0,
                                                  covered=1)
    assert done["demoted"] == "nothing"
    # the RPO record, in the standby only; the record task does not count as a change
    tags = secondary.state_tags()
    assert tags[STATE + "sync_source"] == "primary" and tags[STATE + "sync_counts"] == \
        "models=2,environments=1,components=0,data=0,datastores=0"
    recorded = time.mktime(time.strptime(tags[STATE + "last_sync"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert started - 2 <= recorded <= time.time() + 2
    assert done["rpo_record"] == "written: " + tags[STATE + "last_sync"]
    assert task(run, "Record the sync in the standby (its RPO)")["result"]["changed"] is False
    assert primary.state_tags() == {}, "the sync writes no marker when nothing is stale"
    assert secondary.tags()["team"] == "risk", "the workspace's own tags are kept"

    again = sync(run_playbook, synced_pair)
    assert again.rc == 0, again
    assert again.changed == 0, again
    assert summary(again)["assets"]["models"]["copied"] == 0
    assert summary(again)["assets"]["environments"]["copied"] == 0
    assert secondary.state_tags()[STATE + "last_sync"] >= tags[STATE + "last_sync"]
    print(again.stdout[again.stdout.index("TASK [amlops.bcdr.sync : Sync summary]"):])
    secret = emulator.endpoint["client_secret"]
    for out in (check, run, again):
        assert secret not in out.stdout and secret not in out.stderr


def test_after_a_failover_the_sync_goes_back_and_fences_the_stale_primary(emulator, run_playbook, synced_pair):
    primary, secondary = synced_pair["ws"]["primary"], synced_pair["ws"]["secondary"]
    # a failover while the primary was down: the secondary claims epoch 2, the primary still its epoch 1
    primary.set_state_tags(claim("primary", 1))
    secondary.set_state_tags(claim("secondary", 2, "2026-11-30T12:00:00Z"))
    secondary.add_model("outage", "1", {"model.pkl": b"trained in the DR region"})   # work done during the outage
    primary.add_model("late", "1", {"model.pkl": b"registered in the old primary after the switch"})
    secondary.add_environment("outage", "1", IMAGE)

    before = emulator.state()
    refused = sync(run_playbook, synced_pair, sync_source="primary")
    assert refused.rc != 0
    msg = task(refused, "Refuse to sync")["result"]["msg"]
    assert msg.startswith("pair syr: refusing to sync from the primary workspace: it is stale (claims primary at "
                          "epoch 1) while secondary is active at epoch 2"), msg
    assert "\n" not in msg and emulator.state() == before

    check = sync(run_playbook, synced_pair, check=True, diff=True)
    assert check.rc == 0, check
    assert emulator.state() == before, "check mode demoted or copied something"
    assert summary(check)["demoted"] == "the primary workspace is stale and would record secondary active at epoch 2"
    assert task(check, "Demote the stale standby to the winning claim")["result"]["changed"] is True
    assert copied(check) == ["model:outage:1"]

    run = sync(run_playbook, synced_pair)
    assert run.rc == 0, run
    assert task(run, "Copy models")["result"]["plan"] == task(check, "Copy models")["result"]["plan"]
    done = summary(run)
    assert done["direction"] == "secondary (mlw-syr-westus) -> primary (mlw-syr-eastus)"
    assert done["demoted"] == "the primary workspace was stale and now records secondary active at epoch 2"
    assert task(run, "Demote the stale standby to the winning claim")["result"]["changed"] is True
    ptags = primary.state_tags()
    assert (ptags[STATE + "active"], ptags[STATE + "epoch"], ptags[STATE + "switched_at"]) == \
        ("secondary", "2", "2026-11-30T12:00:00Z")
    assert copied(run) == ["model:outage:1"]
    assert copied(run, "environments") == ["environment:outage:1"] and ("outage", "1") in primary.environments()
    assert ("outage", "1") in primary.models()
    assert ("late", "1") not in secondary.models(), "the stale primary was used as a source"
    assert ("late", "1") in primary.models(), "a version only in the target is left alone"
    assert ptags[STATE + "sync_source"] == "secondary"


def test_a_conflict_fails_at_the_end_after_the_rest_was_copied(emulator, run_playbook, synced_pair):
    primary, secondary = synced_pair["ws"]["primary"], synced_pair["ws"]["secondary"]
    primary.set_state_tags(claim("secondary", 2, "2026-11-30T12:00:00Z"))
    secondary.set_state_tags(claim("secondary", 2, "2026-11-30T12:00:00Z"))
    last_sync = primary.state_tags().get(STATE + "last_sync")
    secondary.add_model("fraud", "3", {"model.pkl": b"fraud v3 as trained in the DR region"})
    primary.add_model("fraud", "3", {"model.pkl": b"another fraud v3"})
    secondary.add_model("ltv", "1", {"weights.bin": bytes(range(256))})
    kept = primary.model("fraud", "3").as_dict()

    run = sync(run_playbook, synced_pair)
    assert run.rc != 0, run
    msg = task(run, "Fail on conflicts or failed items")["result"]["msg"]
    assert msg.startswith("sync of pair syr (secondary -> primary) did not finish: models: 1 conflict (left alone): "
                          "model:fraud:3 ("), msg
    assert "\n" not in msg
    assert [t["task"] for t in run.failed] == ["amlops.bcdr.sync : Fail on conflicts or failed items"]
    assert "model:ltv:1" in copied(run) and ("ltv", "1") in primary.models()
    assert primary.model("fraud", "3").as_dict() == kept
    assert summary(run)["assets"]["models"]["conflicts"] == 1
    assert summary(run)["rpo_record"] == "not written (conflicts or failures)"
    assert task(run, "Record the sync in the standby (its RPO)")["status"] == "skipped"
    assert primary.state_tags().get(STATE + "last_sync") == last_sync, "a sync with conflicts moved the RPO"


def test_a_source_region_that_hangs_fails_fast_and_changes_nothing(emulator, run_playbook, synced_pair):
    primary, secondary = synced_pair["ws"]["primary"], synced_pair["ws"]["secondary"]
    primary.set_state_tags(claim("secondary", 2, "2026-11-30T12:00:00Z"))
    secondary.set_state_tags(claim("secondary", 2, "2026-11-30T12:00:00Z"))
    secondary.add_model("after", "1", {"model.pkl": b"not copied while westus hangs"})
    before = emulator.state()
    emulator.set_faults(outages={"westus": "hang"}, hang_seconds=30)
    try:
        started = time.monotonic()
        run = sync(run_playbook, synced_pair, sync_state_timeout=2, sync_state_retries=0)
        wall = time.monotonic() - started
    finally:
        emulator.clear_faults()
    assert run.rc != 0
    msg = run.failed[0]["result"]["msg"]
    assert run.failed[0]["task"] == "amlops.bcdr.sync : Refuse to sync"
    assert msg.startswith("pair syr: cannot sync: the secondary workspace did not answer (") and "mlw-syr-westus" in msg
    assert "\n" not in msg
    assert emulator.state() == before
    assert ("after", "1") not in primary.models()
    assert wall < 30, wall          # bounded by the state timeout, not by the 30 s the region hangs
    print("source region hanging: the sync failed after %.1fs" % wall)


def test_bad_input_is_one_line_naming_the_variables_before_any_call(emulator, run_playbook, synced_pair):
    before = emulator.state()
    run = sync(run_playbook, synced_pair, sync_filters={"models": {"versions": [">=x"]}}, sync_parallelism=0)
    assert run.rc != 0
    assert [t["task"] for t in run.failed] == ["amlops.bcdr.sync : Check the sync's input"]
    msg = run.failed[0]["result"]["msg"]
    lines = msg.split("; ")
    assert len(lines) == 2 and "\n" not in msg, msg             # each problem once, whatever the asset types
    assert [x for x in lines if x.startswith("sync_filters.models.versions: '>=x' is not a version filter")], msg
    assert [x for x in lines if x.startswith("sync_parallelism: must be a whole number from 1 to 32")], msg
    assert not [t for t in run.tasks if t["action"].startswith("amlops.bcdr.")], "a module ran after bad input"
    assert emulator.state() == before


def test_each_pair_of_the_inventory_is_synced_on_its_own(emulator, run_playbook):
    """Two pairs, one run: the pair that was never provisioned fails with one line naming its workspaces;
    the other one is synced and recorded all the same."""
    healthy, ws = make_pair(emulator, "syq")
    ws["primary"].add_model("solo", "1", {"model.pkl": b"the only model of pair syq"})
    missing = dict(name="syz", primary_region="eastus", secondary_region="westus")
    run = run_playbook(SYNC, {"sync_state_timeout": 5}, inventory=pair_inventory(healthy, missing))
    assert run.rc != 0, run
    assert (run.stats["syq"]["failures"], run.stats["syz"]["failures"]) == (0, 1), run.stats
    assert ws["secondary"].models() == {("solo", "1")}
    assert ws["secondary"].state_tags()[STATE + "sync_counts"].startswith("models=1,")
    [failure] = run.failed
    msg = failure["result"]["msg"]
    print("pair never provisioned: %s" % msg)
    assert failure["host"] == "syz" and "mlw-syz-eastus" in msg and "mlw-syz-westus" in msg and "\n" not in msg, msg
