"""playbooks/provision.yml against the emulator: a full pair from nothing, check mode exact,
second run changed=0, one variable changes one thing, drift put back, several pairs in parallel, a re-run
after a failover that keeps the active secondary's clusters as asked, and bad input that stops before any
change."""

import copy
import sys
from pathlib import Path

import pytest

PROVISION = str(Path(__file__).resolve().parents[2] / "playbooks" / "provision.yml")
DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"


def inventory(*pairs):
    return {"dr_pairs": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "hosts": {p["name"]: {"bcdr_pair": p} for p in pairs},
    }}


def ids_of(state, type_suffix, contains=""):
    """IDs (lowercased) of resources whose type path ends with ``type_suffix`` (e.g. '/storageaccounts/x')."""
    return sorted(rid for rid in state if ("/providers/" + type_suffix.lower()) in rid and contains in rid)


def typed(state, resource_type):
    return {rid: r for rid, r in state.items() if r.get("type", "").lower() == resource_type.lower()}


@pytest.fixture(scope="module")
def team(emulator):
    return emulator.register_principal(display_name="fraud data scientists", kind="Group")


def pair_def(name, team_id, **overrides):
    pair = dict(
        name=name, primary_region="eastus", secondary_region="westus",
        modes={"training": "hot/warm", "inference": "hot/hot"},
        compute_clusters=[dict(name="cpu", vm_size="Standard_DS3_v2", min_nodes=0, max_nodes=2,
                               idle_seconds=600)],
        role_assignments=[dict(principal_id=team_id, principal_type="Group", role="AzureML Data Scientist"),
                          dict(principal_id=team_id, principal_type="Group", role="AcrPull",
                               scope="container_registry")],
        tags={"cost-center": "ml"},
    )
    pair.update(overrides)
    return pair


def principal_id(registered):
    return registered["object_id"] if isinstance(registered, dict) else registered


def test_full_pair_from_nothing(emulator, run_playbook, team):
    pair = pair_def("prov", principal_id(team))
    before = emulator.state()

    check = run_playbook(PROVISION, inventory=inventory(pair), check=True, diff=True)
    assert check.rc == 0, check
    assert check.changed > 0
    assert emulator.state() == before, "check mode changed the emulator's state"

    apply = run_playbook(PROVISION, inventory=inventory(pair))
    assert apply.rc == 0, apply
    # --check predicted exactly the tasks that changed.
    predicted = sorted(t["task"] for t in check.tasks if t["result"].get("changed"))
    done = sorted(t["task"] for t in apply.tasks if t["result"].get("changed"))
    assert predicted == done

    state = emulator.state()
    workspaces = typed(state, "Microsoft.MachineLearningServices/workspaces")
    ours = {r["name"]: r for r in workspaces.values() if r.get("tags", {}).get("amlops.bcdr.pair") == "prov"}
    assert sorted(ours) == ["mlw-prov-eastus", "mlw-prov-westus"]
    primary, secondary = ours["mlw-prov-eastus"], ours["mlw-prov-westus"]
    assert primary["location"] == "eastus" and secondary["location"] == "westus"
    assert primary["tags"]["amlops.bcdr.role"] == "primary" and secondary["tags"]["amlops.bcdr.role"] == "secondary"
    # A separate default storage account each; the vault and the registry shared.
    assert primary["properties"]["storageAccount"].lower() != secondary["properties"]["storageAccount"].lower()
    for key in ("keyVault", "containerRegistry"):
        assert primary["properties"][key].lower() == secondary["properties"][key].lower()
    assert primary["properties"]["applicationInsights"].lower() != secondary["properties"]["applicationInsights"].lower()

    registry = state[primary["properties"]["containerRegistry"].lower()]
    assert registry["sku"]["name"] == "Premium"
    replicas = typed(state, "Microsoft.ContainerRegistry/registries/replications")
    assert [r["location"] for rid, r in replicas.items() if rid.startswith(registry["id"].lower() + "/")] == ["westus"]

    training = [r for r in typed(state, "Microsoft.Storage/storageAccounts").values() if r["name"] == "stprovtrain"]
    assert len(training) == 1 and training[0]["sku"]["name"] == "Standard_RAGRS"
    datastores = typed(state, "Microsoft.MachineLearningServices/workspaces/datastores")
    training_ds = sorted(rid.split("/workspaces/")[1] for rid, r in datastores.items()
                         if r["name"] == "training_data" and "mlw-prov-" in rid)
    assert training_ds == ["mlw-prov-eastus/datastores/training_data", "mlw-prov-westus/datastores/training_data"]
    for rid, r in datastores.items():
        if r["name"] == "training_data" and "mlw-prov-" in rid:
            assert r["properties"]["accountName"] == "stprovtrain"

    computes = {rid.split("/workspaces/")[1]: r for rid, r in typed(
        state, "Microsoft.MachineLearningServices/workspaces/computes").items() if "mlw-prov-" in rid}
    assert sorted(computes) == ["mlw-prov-eastus/computes/cpu", "mlw-prov-westus/computes/cpu"]  # hot/warm

    assignments = typed(state, "Microsoft.Authorization/roleAssignments")
    scopes = sorted((a["properties"]["scope"].lower(), a["properties"]["roleDefinitionId"].rsplit("/", 1)[1])
                    for a in assignments.values() if a["properties"]["principalId"] == principal_id(team))
    assert scopes == sorted([(primary["id"].lower(), DATA_SCIENTIST), (secondary["id"].lower(), DATA_SCIENTIST),
                             (registry["id"].lower(), ACR_PULL)])

    again = run_playbook(PROVISION, inventory=inventory(pair))
    assert again.rc == 0, again
    assert again.changed == 0, [t["task"] for t in again.tasks if t["result"].get("changed")]


def test_one_variable_changes_one_thing(emulator, run_playbook, team):
    pair = pair_def("prov", principal_id(team))
    assert run_playbook(PROVISION, inventory=inventory(pair)).rc == 0
    bigger = copy.deepcopy(pair)
    bigger["compute_clusters"][0]["max_nodes"] = 3
    before = emulator.state()
    check = run_playbook(PROVISION, inventory=inventory(bigger), check=True, diff=True)
    assert check.rc == 0, check
    assert emulator.state() == before
    apply = run_playbook(PROVISION, inventory=inventory(bigger))
    assert apply.rc == 0, apply
    changed = [t for t in apply.tasks if t["result"].get("changed")]
    # hot/warm: the standby's copy stays at its standby_max_nodes (default 1); only the active's grows
    assert {t["task"].split(" : ")[-1] for t in changed} == {"Compute clusters (primary)"}, changed
    assert {t["task"] for t in check.tasks if t["result"].get("changed")} == {t["task"] for t in changed}
    after = emulator.state()
    changed_ids = sorted(rid for rid in after if after[rid] != before.get(rid))
    assert changed_ids == ["/subscriptions/%s/resourcegroups/rg-prov-eastus/providers/microsoft.machinelearningservices/"
                           "workspaces/mlw-prov-eastus/computes/cpu" % emulator.endpoint["subscription_id"].lower()]
    assert max_nodes(after, "mlw-prov-eastus") == 3 and max_nodes(after, "mlw-prov-westus") == 1
    assert run_playbook(PROVISION, inventory=inventory(bigger)).changed == 0


def max_nodes(state, workspace, cluster="cpu"):
    [found] = [r for rid, r in state.items() if rid.endswith("/workspaces/%s/computes/%s" % (workspace, cluster))]
    return found["properties"]["properties"]["scaleSettings"]["maxNodeCount"]


def test_a_rerun_after_a_failover_keeps_the_active_secondary_at_max_nodes(emulator, run_playbook, team):
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient

    pair = pair_def("provfo", principal_id(team), role_assignments=[])
    pair["compute_clusters"][0]["standby_max_nodes"] = 1
    assert run_playbook(PROVISION, inventory=inventory(pair)).rc == 0
    state = emulator.state()
    assert (max_nodes(state, "mlw-provfo-eastus"), max_nodes(state, "mlw-provfo-westus")) == (2, 1)
    # a failover made the secondary active (its claim in both workspaces, as aml_dr_state writes it)
    ml = emulator.client(MachineLearningServicesMgmtClient, "2024-04-01")
    for group, name in (("rg-provfo-eastus", "mlw-provfo-eastus"), ("rg-provfo-westus", "mlw-provfo-westus")):
        tags = dict(ml.workspaces.get(group, name).tags or {}, **{
            "amlops.bcdr.state.active": "secondary", "amlops.bcdr.state.epoch": "1",
            "amlops.bcdr.state.switched_at": "2026-11-30T09:00:00Z"})
        ml.workspaces.begin_update(group, name, {"tags": tags}).result()
    run = run_playbook(PROVISION, inventory=inventory(pair))
    assert run.rc == 0, run
    state = emulator.state()
    # the active secondary runs its clusters as asked; the standby primary rests at standby_max_nodes
    assert (max_nodes(state, "mlw-provfo-eastus"), max_nodes(state, "mlw-provfo-westus")) == (1, 2)


def test_two_pairs_in_parallel(emulator, run_playbook, team):
    pairs = [pair_def("para", principal_id(team), role_assignments=[], compute_clusters=[]),
             pair_def("parb", principal_id(team), role_assignments=[], compute_clusters=[],
                      primary_region="westeurope", secondary_region="northeurope")]
    run = run_playbook(PROVISION, inventory=inventory(*pairs), forks=2)
    assert run.rc == 0, run
    assert sorted(run.stats) == ["para", "parb"]
    assert all(s["failures"] == 0 for s in run.stats.values())
    names = {r["name"] for r in typed(emulator.state(), "Microsoft.MachineLearningServices/workspaces").values()}
    assert {"mlw-para-eastus", "mlw-para-westus", "mlw-parb-westeurope", "mlw-parb-northeurope"} <= names
    assert run_playbook(PROVISION, inventory=inventory(*pairs), forks=2).changed == 0


def _standard_registry(emulator):
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    emulator.client(ResourceManagementClient, "2021-04-01").resource_groups.create_or_update(
        "rg-byo", {"location": "eastus"})
    acr = emulator.client(ContainerRegistryManagementClient, "2023-07-01")
    return acr.registries.begin_create("rg-byo", "acrbyostandard", {
        "location": "eastus", "sku": {"name": "Standard"}, "properties": {"adminUserEnabled": False}}).result().id


BAD = {
    "same region": (dict(secondary_region="eastus"), "secondary_region: 'eastus' is the same region as primary_region"),
    "unknown region": (dict(secondary_region="marsnorth"), "secondary_region: 'marsnorth' is not an Azure region"),
    # caught by the role's argument spec: Ansible's own "Validation of arguments failed" line + the reason
    "redundancy that does not exist": (dict(training_storage_sku="Standard_XYZRS"),
                                       "training_storage_sku must be one of: Standard_GRS"),
    "invalid workspace name": (dict(names={"primary": {"workspace": "bad name!"}}), "names.primary.workspace: 'bad name!' is not a valid workspace name"),
    "invalid registry name": (dict(names={"container_registry": "acr-with-dash"}),
                              "names.container_registry: 'acr-with-dash' is not a valid container registry name"),
    "not enough quota": (dict(compute_clusters=[dict(name="huge", vm_size="Standard_DS3_v2", max_nodes=500)]),
                         "not enough compute quota: eastus: standardDSv2Family needs 2000 cores"),
    "registry not Premium": ("standard-registry", "geo-replication needs Premium"),
    # caught by the role's argument spec (the same check runs in dr_pair_errors and in the sync and failover roles)
    "a mode that does not exist": (dict(modes={"inference": "hot/lukewarm"}),
                                   "inference must be one of: hot/hot, hot/warm, hot/cold"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_changes_nothing(case, emulator, run_playbook, team):
    overrides, expected = BAD[case]
    if overrides == "standard-registry":
        overrides = dict(existing={"container_registry_id": _standard_registry(emulator)})
    pair = pair_def("bad", principal_id(team), **overrides)
    before = emulator.state()
    run = run_playbook(PROVISION, inventory=inventory(pair))
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert expected in msg, msg
    assert len(msg.strip().splitlines()) <= 2, msg
    assert emulator.state() == before, "bad input changed the emulator's state"


def test_unknown_principal_fails_clearly_and_changes_nothing(emulator, run_playbook, team):
    """On a converged pair, a role assignment for a principal that does not exist fails with one line
    and changes nothing (the pair's other resources are already as asked)."""
    pair = pair_def("prov", principal_id(team))
    assert run_playbook(PROVISION, inventory=inventory(pair)).rc == 0
    ghost = "0badbeef-0000-4000-8000-000000000000"
    # No principal_type: with one, ARM skips the directory lookup (to ride out replication delays).
    pair["role_assignments"].append(dict(principal_id=ghost, role="Reader"))
    before = emulator.state()
    run = run_playbook(PROVISION, inventory=inventory(pair))
    assert run.rc != 0
    assert len(run.failed) == 1, run
    items = [i for i in run.failed[0]["result"]["results"] if i.get("failed")]
    assert len(items) == 2, items  # Reader on the workspace, in each region
    for item in items:
        assert item["error_code"] == "PrincipalNotFound"
        assert ghost in item["msg"] and "\n" not in item["msg"], item["msg"]
    assert emulator.state() == before
