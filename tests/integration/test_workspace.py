"""aml_workspace and aml_workspace_info against the emulator: check mode, apply, apply again, info,
drift, delete, bad input (one clear error, nothing changed) and secrets kept out of output."""

import pytest

WS_TYPE = "microsoft.machinelearningservices/workspaces"


def workspaces_in(state):
    return {rid: res for rid, res in state.items() if rid.lower().split("/providers/")[-1].startswith(WS_TYPE)
            and rid.count("/") == 8}


@pytest.fixture(scope="module")
def pair_vars(pair):
    return dict(pair=pair, pair_name="it")


def test_check_apply_idempotent_info(emulator, run_playbook, pair):
    # A pair name of its own, so that the workspaces do not exist yet whatever ran before.
    pair_vars = dict(pair=pair, pair_name="fresh")
    before = emulator.state()

    check = run_playbook("workspace_pair.yml", pair_vars, check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.task("Workspaces of the pair")["result"]["results"]
    assert [r["changed"] for r in predicted] == [True, True]
    assert emulator.state() == before, "check mode changed the emulator's state"

    apply = run_playbook("workspace_pair.yml", pair_vars)
    assert apply.rc == 0, apply
    created = apply.task("Workspaces of the pair")["result"]["results"]
    assert [r["changed"] for r in created] == [True, True]
    # What check mode predicted is what the run did, for the fields the user controls.
    for guess, real in zip(predicted, created):
        for field in ("location", "storage_account", "key_vault", "application_insights",
                      "container_registry", "tags", "sku"):
            assert str(guess["workspace"][field]).lower() == str(real["workspace"][field]).lower(), field
        assert real["workspace"]["provisioning_state"] == "Succeeded"
        assert real["workspace"]["workspace_id"]
    assert len(workspaces_in(emulator.state())) - len(workspaces_in(before)) == 2

    again = run_playbook("workspace_pair.yml", pair_vars)
    assert again.rc == 0, again
    assert again.changed == 0, again

    info = again.task("Read the pair back")["result"]["workspaces"]
    assert sorted((w["name"], w["tags"]["amlops.bcdr.role"]) for w in info) == [
        ("mlw-fresh-eastus", "primary"), ("mlw-fresh-westus", "secondary")]
    primary = [w for w in info if w["tags"]["amlops.bcdr.role"] == "primary"][0]
    assert primary["storage_account"].lower() == pair_vars["pair"]["primary"]["storage_account"].lower()


def test_change_is_predicted_then_applied_once(emulator, run_playbook, pair_vars):
    run_playbook("workspace_pair.yml", pair_vars)  # converge (the previous test may not have run)
    changed_vars = dict(pair_vars, workspace_description="fraud models")
    before = emulator.state()

    check = run_playbook("workspace_pair.yml", changed_vars, check=True, diff=True)
    assert check.rc == 0, check
    assert emulator.state() == before
    guesses = check.task("Workspaces of the pair")["result"]["results"]
    assert [g["changes"] for g in guesses] == [{"description": ["", "fraud models"]}] * 2
    assert "fraud models" in check.stdout  # the --diff output shows the new value

    apply = run_playbook("workspace_pair.yml", changed_vars)
    assert [r["changes"] for r in apply.task("Workspaces of the pair")["result"]["results"]] == \
        [g["changes"] for g in guesses]
    assert run_playbook("workspace_pair.yml", changed_vars).changed == 0
    run_playbook("workspace_pair.yml", pair_vars)  # put the description back for other tests


def test_drift_is_put_back(emulator, run_playbook, pair_vars):
    run_playbook("workspace_pair.yml", pair_vars)
    ws = dict(name="mlw-it-eastus", resource_group=pair_vars["pair"]["primary"]["resource_group"],
              tags={"amlops.bcdr.pair": "it", "amlops.bcdr.role": "tampered"})
    assert run_playbook("workspace_one.yml", {"ws": ws}).changed == 1  # someone edits the tags by hand
    fixed = run_playbook("workspace_pair.yml", pair_vars)
    results = fixed.task("Workspaces of the pair")["result"]["results"]
    assert [r["changed"] for r in results] == [True, False]
    assert results[0]["changes"]["tags"][1]["amlops.bcdr.role"] == "primary"


def test_delete_and_delete_again(emulator, run_playbook, pair):
    ws = dict(name="mlw-it-scratch", resource_group=pair["primary"]["resource_group"], location="eastus",
              storage_account=pair["primary"]["storage_account"], key_vault=pair["shared"]["key_vault"],
              application_insights=pair["primary"]["application_insights"])
    assert run_playbook("workspace_one.yml", {"ws": ws}).changed == 1
    gone = dict(ws, state="absent")
    check = run_playbook("workspace_one.yml", {"ws": gone}, check=True)
    assert check.changed == 1
    assert any(rid.endswith("/workspaces/mlw-it-scratch") for rid in emulator.state())
    assert run_playbook("workspace_one.yml", {"ws": gone}).changed == 1
    assert not any(rid.endswith("/workspaces/mlw-it-scratch") for rid in emulator.state())
    assert run_playbook("workspace_one.yml", {"ws": gone}).changed == 0


def test_immutable_storage_change_refused(emulator, run_playbook, pair_vars, pair):
    run_playbook("workspace_pair.yml", pair_vars)
    before = emulator.state()
    ws = dict(name="mlw-it-eastus", resource_group=pair["primary"]["resource_group"],
              storage_account=pair["secondary"]["storage_account"])
    run = run_playbook("workspace_one.yml", {"ws": ws})
    assert run.rc != 0
    assert "storage_account cannot be changed" in run.failed[0]["result"]["msg"]
    assert emulator.state() == before
