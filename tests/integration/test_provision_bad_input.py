"""Bad input to playbooks/provision.yml: on a fresh pair, each bad input alone stops the play before
the first change, with one line naming the inventory key (or the role variable) it is about, and the
emulator's state unchanged. The pre-flight runs the modules' own checks over the whole pair, so these
inputs never reach a module."""

import pytest

from test_provision import PROVISION, inventory, pair_def

TEAM = "4f0e4d5c-8c1a-4c1e-9a55-0d8f0c2b7a11"
LONG_GROUP = "rg-" + "x" * 97  # 100 characters: Azure allows 90


def cluster(**overrides):
    return [dict(dict(name="cpu", vm_size="Standard_DS3_v2", min_nodes=0, max_nodes=2, idle_seconds=600),
                 **overrides)]


def assignment(**overrides):
    return [dict(dict(principal_id=TEAM, principal_type="Group", role="AzureML Data Scientist"), **overrides)]


# case -> (pair overrides, extra vars, the start of the failure line)
CASES = {
    "principal_id not a GUID": (dict(role_assignments=assignment(principal_id="not-a-guid")), None,
                                "role_assignments[0].principal_id: 'not-a-guid' is not a GUID"),
    "unknown role": (dict(role_assignments=assignment(role="AzureML Superhero")), None,
                     "role_assignments[0].role: 'AzureML Superhero' is not a built-in role"),
    "negative idle time": (dict(compute_clusters=cluster(idle_seconds=-5)), None,
                           "compute_clusters[0].idle_seconds: must not be negative"),
    "key vault ID not an ID": (dict(existing={"key_vault_id": "not-an-id"}), None,
                               "existing.key_vault_id: 'not-an-id' is not a resource ID of type Microsoft.KeyVault/vaults"),
    "datastore name": (dict(training_datastore_name="training data!"), None,
                       "training_datastore_name: 'training data!' is not a valid datastore name"),
    "container name": (dict(training_container="Training_Data"), None,
                       "training_container: 'Training_Data' is not a blob container name"),
    "resource group name too long": (dict(names={"primary": {"resource_group": LONG_GROUP}}), None,
                                     "names.primary.resource_group: '%s' is not a valid resource group name" % LONG_GROUP),
    "wait timeout -1 (as -e gives it, a string)": ({}, {"provision_wait_timeout": "-1"},
                                                   "provision_wait_timeout: must be a positive number of seconds"),
    "wait timeout 0": ({}, {"provision_wait_timeout": 0}, "provision_wait_timeout: must be a positive number of seconds"),
    "tag value too long": (dict(tags={"cost-center": "x" * 10000}), None,
                           "tags.cost-center: the value is 10000 characters long; Azure allows at most 256"),
    "tag name with forbidden characters": (dict(tags={"a<>%&\\?/b": "x"}), None,
                                           "tags: tag name 'a<>%&\\?/b' contains one of < > % & \\ ? /"),
}


def fresh_pair(team_id, name="fresh", **overrides):
    # No role assignments or clusters unless the case is about them: each case has one bad input.
    return pair_def(name, team_id, **dict(dict(role_assignments=[], compute_clusters=[]), **overrides))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_stops_before_the_first_change(case, emulator, run_playbook):
    overrides, extra_vars, expected = CASES[case]
    before = emulator.state()
    run = run_playbook(PROVISION, extra_vars, inventory=inventory(fresh_pair(TEAM, **overrides)))
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    failed = run.failed[0]
    assert failed["task"].endswith("Check the pair's input"), failed["task"]
    msg = failed["result"]["msg"]
    assert msg.startswith(expected), msg
    assert "\n" not in msg.strip(), msg
    assert run.changed == 0
    assert emulator.state() == before, "bad input changed the emulator's state"


def test_adopted_registry_that_does_not_exist(emulator, run_playbook):
    ghost = ("/subscriptions/%s/resourceGroups/rg-byo/providers/Microsoft.ContainerRegistry/registries/acrghost"
             % emulator.endpoint["subscription_id"])
    before = emulator.state()
    run = run_playbook(PROVISION, inventory=inventory(fresh_pair(TEAM, existing={"container_registry_id": ghost})))
    assert run.rc != 0, run
    check = run.task("amlops.bcdr.provision : Check that an adopted registry can be geo-replicated (changes nothing)")
    assert check["status"] == "ok" and not check["result"].get("changed"), check
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert msg.startswith("existing.container_registry_id: registry %s was not found" % ghost), msg
    assert run.changed == 0
    assert emulator.state() == before


def test_unreadable_ca_bundle_names_the_variable_and_the_path(emulator, run_playbook, tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    before = emulator.state()
    run = run_playbook(PROVISION, inventory=inventory(fresh_pair(TEAM)), env={"REQUESTS_CA_BUNDLE": missing})
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert msg.startswith("REQUESTS_CA_BUNDLE: %s does not exist or cannot be read" % missing), msg
    assert emulator.state() == before


def test_a_timeout_names_the_roles_variable(emulator, run_playbook):
    """Not bad input: a wait that runs out says which variable to raise (the role's, not the module option)."""
    emulator.set_faults(lro_delay=30)
    try:
        run = run_playbook(PROVISION, {"provision_wait_timeout": 1}, inventory=inventory(fresh_pair(TEAM, name="slow")))
    finally:
        emulator.clear_faults()
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert "timed out after 1s waiting for" in msg and "raise provision_wait_timeout " in msg, msg


def test_a_region_that_hangs_is_named(emulator, run_playbook):
    """Not bad input either: when a region does not answer, the error names the region."""
    emulator.set_faults(outages={"westus": "hang"}, hang_seconds=1)
    try:
        run = run_playbook(PROVISION, inventory=inventory(fresh_pair(TEAM, name="hang")))
    finally:
        emulator.clear_faults()
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert "no valid response from Azure in region westus" in msg, msg


def test_preflight_tag_runs_only_the_checks(emulator, run_playbook):
    """--tags preflight: the input, quota and adopted-registry checks run, nothing else."""
    pair = fresh_pair(TEAM, compute_clusters=cluster())
    before = emulator.state()
    run = run_playbook(PROVISION, inventory=inventory(pair), env={"ANSIBLE_RUN_TAGS": "preflight"})
    assert run.rc == 0, run
    ran = {t["task"].split(" : ")[-1] for t in run.tasks if t["status"] != "skipped"}
    assert "Check the pair's input" in ran and "Read ML compute quota and usage in each region" in ran, ran
    assert not any(t["action"].startswith("amlops.bcdr.") and not t["action"].endswith(("_info", "acr_georeplica"))
                   for t in run.tasks), [t["action"] for t in run.tasks]
    assert run.changed == 0
    assert emulator.state() == before
