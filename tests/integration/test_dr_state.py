"""The DR state marker against the emulator: aml_dr_state writes a workspace's state tags (check
mode predicts, apply, apply again changed=0, other tags kept, fencing refusals change nothing), and
the amlops.bcdr.active_workspace lookup and aml_dr_state_info resolve the active workspace - also
with the primary region down (erroring or hanging), from the secondary alone, within a bounded
time, saying partial."""

import time

import pytest
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient

from emulator.seed import seed_pair

STATE = "amlops.bcdr.state."
PAIR = dict(name="drs", primary_region="eastus", secondary_region="westus")   # the lookup's inventory form


@pytest.fixture(scope="module")
def ml(emulator):
    return emulator.client(MachineLearningServicesMgmtClient, "2024-04-01")


@pytest.fixture(scope="module")
def workspaces(emulator, ml):
    """mlw-drs-eastus / mlw-drs-westus (the names the provision role gives pair 'drs'), with a tag of their own."""
    pair = seed_pair(emulator.endpoint, "drs")
    out = {}
    for role in ("primary", "secondary"):
        region = pair[role]
        name = "mlw-drs-%s" % region["location"]
        ml.workspaces.begin_create_or_update(region["resource_group"], name, {
            "location": region["location"], "tags": {"cost-center": "fraud-ml"},
            "properties": {"storageAccount": region["storage_account"], "keyVault": pair["shared"]["key_vault"],
                           "applicationInsights": region["application_insights"]}}).result()
        out[role] = dict(name=name, resource_group=region["resource_group"])
    return out


def tags_of(ml, ws):
    return dict(ml.workspaces.get(ws["resource_group"], ws["name"]).tags or {})


def set_tags(ml, ws, state_tags):
    """Arrange a workspace's state tags directly (the other tags kept)."""
    tags = {k: v for k, v in tags_of(ml, ws).items() if not k.startswith(STATE)}
    tags.update(state_tags)
    ml.workspaces.begin_update(ws["resource_group"], ws["name"], {"tags": tags}).result()


def claim(active, epoch, at="2026-11-30T09:00:00Z"):
    return {STATE + "active": active, STATE + "epoch": str(epoch), STATE + "switched_at": at}


def info_list(workspaces):
    return [dict(role=role, **workspaces[role]) for role in ("primary", "secondary")]


def ws_resource(state, ws):
    return [v for k, v in state.items() if k.lower().endswith("/workspaces/%s" % ws["name"])][0]


def test_marker_check_apply_apply_again(emulator, run_playbook, workspaces, ml):
    ws = workspaces["secondary"]
    set_tags(ml, ws, {})
    marker = dict(ws, active="secondary", epoch=1)
    before = emulator.state()

    check = run_playbook("dr_state_one.yml", {"marker": marker}, check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.task("Marker")["result"]
    assert predicted["changed"] and emulator.state() == before, "check mode changed the emulator's state"
    assert predicted["dr_state"]["active"] == "secondary" and predicted["dr_state"]["epoch"] == 1
    assert predicted["changes"][STATE + "epoch"] == [None, "1"]
    assert STATE + "active" in check.stdout          # --diff shows the tags

    apply = run_playbook("dr_state_one.yml", {"marker": marker})
    assert apply.rc == 0 and apply.changed == 1, apply
    done = apply.task("Marker")["result"]
    assert done["changes"].keys() == predicted["changes"].keys()
    assert {k: v for k, v in done["tags"].items() if k != STATE + "switched_at"} == \
        {k: v for k, v in predicted["tags"].items() if k != STATE + "switched_at"}
    tags = tags_of(ml, ws)
    assert tags["cost-center"] == "fraud-ml", "the workspace's own tags must be kept"
    assert (tags[STATE + "active"], tags[STATE + "epoch"]) == ("secondary", "1")
    assert tags[STATE + "switched_at"] == done["dr_state"]["switched_at"]

    again = run_playbook("dr_state_one.yml", {"marker": marker})
    assert again.rc == 0 and again.changed == 0, again
    assert tags_of(ml, ws) == tags                    # same switched_at: an unchanged claim keeps its time


def test_sync_record_is_written_once(run_playbook, workspaces, ml):
    ws = workspaces["secondary"]
    marker = dict(ws, sync_record=dict(finished_at="2026-11-30T13:40:00Z", source="primary",
                                       counts={"models": 12, "environments": 4}))
    first = run_playbook("dr_state_one.yml", {"marker": marker})
    assert first.rc == 0 and first.changed == 1, first
    assert first.task("Marker")["result"]["dr_state"]["sync_counts"] == {"models": 12, "environments": 4}
    assert tags_of(ml, ws)[STATE + "sync_counts"] == "models=12,environments=4"
    assert run_playbook("dr_state_one.yml", {"marker": marker}).changed == 0


def test_absent_then_a_claim_without_epoch(emulator, run_playbook, workspaces, ml):
    ws = workspaces["primary"]
    set_tags(ml, ws, claim("secondary", 4))
    gone = run_playbook("dr_state_one.yml", {"marker": dict(ws, state="absent")}, check=True)
    assert gone.changed == 1 and tags_of(ml, ws)[STATE + "epoch"] == "4"          # check mode wrote nothing
    assert run_playbook("dr_state_one.yml", {"marker": dict(ws, state="absent")}).changed == 1
    assert tags_of(ml, ws) == {"cost-center": "fraud-ml"}
    assert run_playbook("dr_state_one.yml", {"marker": dict(ws, state="absent")}).changed == 0

    # no epoch given: the workspace's own epoch + 1 for a new claim, kept for the same claim
    first = run_playbook("dr_state_one.yml", {"marker": dict(ws, active="primary")})
    assert first.changed == 1 and first.task("Marker")["result"]["dr_state"]["epoch"] == 1
    assert run_playbook("dr_state_one.yml", {"marker": dict(ws, active="primary")}).changed == 0
    other = run_playbook("dr_state_one.yml", {"marker": dict(ws, active="secondary")})
    assert other.task("Marker")["result"]["dr_state"]["epoch"] == 2


@pytest.mark.parametrize("marker, message", [
    (dict(active="secondary", epoch=0), "epoch: 0 is lower than the workspace's epoch 3; epochs only grow (fencing)"),
    (dict(active="primary", epoch=3), "epoch: the workspace already records epoch 3 with secondary active; a switch "
                                      "to primary needs epoch 4"),
    (dict(epoch=5), "epoch: needs active (the region role the epoch's claim names)"),
    (dict(active="secondary", epoch=4, switched_at="yesterday"), "switched_at: 'yesterday' is not an ISO-8601"),
    (dict(active="secondary", timeout=0), "timeout: must be a positive number of seconds, got 0"),
])
def test_fencing_and_bad_input_change_nothing(emulator, run_playbook, workspaces, ml, marker, message):
    ws = workspaces["secondary"]
    set_tags(ml, ws, claim("secondary", 3))
    before = emulator.state()
    run = run_playbook("dr_state_one.yml", {"marker": dict(ws, **marker)})
    assert run.rc != 0
    assert run.failed[0]["result"]["msg"].startswith(message), run.failed[0]["result"]["msg"]
    assert "\n" not in run.failed[0]["result"]["msg"]
    assert emulator.state() == before


def test_lookup_resolves_the_highest_epoch(run_playbook, workspaces, ml):
    set_tags(ml, workspaces["primary"], claim("primary", 1))
    set_tags(ml, workspaces["secondary"], claim("secondary", 2))
    run = run_playbook("active_workspace.yml", {"dr_pair": PAIR})
    assert run.rc == 0, run
    active = run.task("Resolve")["result"]["ansible_facts"]["active"]
    assert (active["role"], active["workspace_name"], active["resource_group"], active["epoch"]) == (
        "secondary", "mlw-drs-westus", "rg-drs-westus", 2)
    assert active["partial"] is False and active["stale"] == ["primary"]
    assert active["config"]["workspace_name"] == "mlw-drs-westus"
    assert "primary is stale (claims primary at epoch 1" in active["message"]

    info = run_playbook("dr_state_info.yml", {"pair_workspaces": info_list(workspaces)}, check=True)
    assert info.rc == 0 and info.changed == 0, info
    result = info.task("Read")["result"]
    assert [(w["role"], w["reachable"], w["dr_state"]["active"], w["dr_state"]["epoch"], w["provisioning_state"])
            for w in result["workspaces"]] == [("primary", True, "primary", 1, "Succeeded"),
                                               ("secondary", True, "secondary", 2, "Succeeded")]
    assert (result["resolution"]["active"], result["resolution"]["stale"]) == ("secondary", ["primary"])


@pytest.mark.parametrize("mode", ["error", "hang"])
def test_lookup_with_the_primary_region_down(emulator, run_playbook, workspaces, ml, mode):
    set_tags(ml, workspaces["primary"], claim("primary", 1))
    set_tags(ml, workspaces["secondary"], claim("secondary", 2))
    primary_before = ws_resource(emulator.state(), workspaces["primary"])
    emulator.set_faults(outages={"eastus": mode}, hang_seconds=20)
    try:
        started = time.monotonic()
        run = run_playbook("active_workspace.yml", {"dr_pair": PAIR, "lookup_timeout": 2, "lookup_retries": 1})
        wall = time.monotonic() - started
        assert run.rc == 0, run
        active = run.task("Resolve")["result"]["ansible_facts"]["active"]
        assert (active["role"], active["epoch"], active["partial"]) == ("secondary", 2, True)
        assert list(active["unreachable"]) == ["primary"]
        assert "mlw-drs-eastus" in active["unreachable"]["primary"]
        assert active["stale"] == []                          # the silent side is not judged
        # two tries of at most 2 s each (plus backoff), not the 20 s the region hangs
        assert active["seconds"] < 10, active["seconds"]
        assert wall < 40, wall
        print("primary %s: lookup %.1fs, playbook %.1fs" % (mode, active["seconds"], wall))
        secret = emulator.endpoint["client_secret"]
        assert secret not in run.stdout and secret not in run.stderr

        info = run_playbook("dr_state_info.yml", {"pair_workspaces": info_list(workspaces), "info_timeout": 2})
        assert info.rc == 0, info
        result = info.task("Read")["result"]
        primary, secondary = result["workspaces"]
        assert primary["reachable"] is False and "mlw-drs-eastus" in primary["error"]
        assert secondary["reachable"] and secondary["dr_state"]["epoch"] == 2
        assert result["resolution"]["partial"] and result["resolution"]["active"] == "secondary"

        # a best-effort write to the down region fails fast with one line, and writes nothing
        started = time.monotonic()
        write = run_playbook("dr_state_one.yml", {"marker": dict(workspaces["primary"], active="secondary", epoch=2,
                                                                 timeout=2, retries=0)})
        assert write.rc != 0
        msg = write.failed[0]["result"]["msg"]
        assert "mlw-drs-eastus" in msg and "\n" not in msg, msg
        assert time.monotonic() - started < 40
    finally:
        emulator.clear_faults()
    assert ws_resource(emulator.state(), workspaces["primary"]) == primary_before


def test_lookup_with_both_regions_down_fails_clearly(emulator, run_playbook, workspaces):
    emulator.set_faults(outages={"eastus": "error", "westus": "error"})
    try:
        run = run_playbook("active_workspace.yml", {"dr_pair": PAIR, "lookup_timeout": 2, "lookup_retries": 0})
    finally:
        emulator.clear_faults()
    assert run.rc != 0
    assert "neither workspace of the pair answered: primary: reading workspace mlw-drs-eastus failed" in run.stdout
