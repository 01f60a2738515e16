"""role_assignment against the emulator: the pair's grants in both regions (check -> apply -> apply
again), an assignment made by hand under a random name counts as present, absent removes whatever the
name, and bad input (a principal that does not exist, an unknown role name, a bad scope) fails with one
line and nothing changed."""

import uuid

import pytest
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.machinelearningservices import models as ml_models

DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
RA = "/providers/microsoft.authorization/roleassignments/"


def assignments_in(state, scope):
    prefix = scope.lower() + RA
    return {rid: res for rid, res in state.items() if rid.startswith(prefix) and "/" not in rid[len(prefix):]}


def one_line_failure(run):
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    result = run.failed[0]["result"]
    failed_items = [r for r in result.get("results", []) if r.get("failed")]
    msg = failed_items[0]["msg"] if failed_items else result["msg"]
    assert "\n" not in msg.strip(), "the error should be one line: %r" % msg
    assert "Traceback" not in msg
    return msg


def role_id(emulator, guid):
    return "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (
        emulator.endpoint["subscription_id"], guid)


@pytest.fixture(scope="module")
def scopes(emulator, pair):
    """A workspace in each region of the pair (made with the SDK) and the shared registry."""
    ml = emulator.client(MachineLearningServicesMgmtClient, "2024-04-01")
    ids = {}
    for role in ("primary", "secondary"):
        region = pair[role]
        ws = ml.workspaces.begin_create_or_update(region["resource_group"], "mlw-ra-%s" % region["location"],
                                                  ml_models.Workspace(
            location=region["location"], storage_account=region["storage_account"],
            key_vault=pair["shared"]["key_vault"], application_insights=region["application_insights"],
            identity=ml_models.ManagedServiceIdentity(type="SystemAssigned"))).result()
        ids[role] = ws.id
    ids["registry"] = pair["shared"]["container_registry"]
    return ids


@pytest.fixture(scope="module")
def people(emulator):
    alice = emulator.register_principal(display_name="ra-alice", kind="User")["object_id"]
    team = emulator.register_principal(display_name="ra-data-science", kind="Group")["object_id"]
    bob = emulator.register_principal(display_name="ra-bob", kind="User")["object_id"]
    return dict(alice=alice, team=team, bob=bob)


def pair_grants(scopes, people):
    return [
        dict(principal_id=people["team"], principal_type="Group", role="AzureML Data Scientist", scope=scopes["primary"]),
        dict(principal_id=people["team"], principal_type="Group", role="AzureML Data Scientist", scope=scopes["secondary"]),
        dict(principal_id=people["alice"], principal_type="User", role="AcrPull", scope=scopes["registry"]),
    ]


def test_check_apply_apply_again(emulator, run_playbook, scopes, people):
    grants = pair_grants(scopes, people)
    before = emulator.state()
    check = run_playbook("role_grants.yml", {"grants": grants}, check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.task("Grants")["result"]["results"]
    assert [r["changed"] for r in predicted] == [True, True, True]
    assert emulator.state() == before, "check mode changed the emulator's state"

    apply = run_playbook("role_grants.yml", {"grants": grants})
    assert apply.rc == 0, apply
    made = apply.task("Grants")["result"]["results"]
    assert [r["changed"] for r in made] == [True, True, True]
    for guess, real in zip(predicted, made):
        assert guess["assignment"]["name"] == real["assignment"]["name"]  # deterministic names
        assert guess["assignment"]["id"].lower() == real["assignment"]["id"].lower()
    assert made[0]["assignment"]["role"] == "AzureML Data Scientist"
    assert made[0]["assignment"]["role_definition_id"].lower() == role_id(emulator, DATA_SCIENTIST).lower()
    assert made[2]["assignment"]["role"] == "AcrPull"
    assert made[2]["assignment"]["scope"].lower() == scopes["registry"].lower()
    assert made[2]["assignment"]["principal_id"] == people["alice"]
    state = emulator.state()
    for grant in grants:
        found = assignments_in(state, grant["scope"])
        assert [r["properties"]["principalId"] for r in found.values()] == [grant["principal_id"]]

    again = run_playbook("role_grants.yml", {"grants": grants})
    assert again.rc == 0, again
    assert again.changed == 0, again
    assert emulator.state() == state


def test_hand_made_assignment_counts_as_present(emulator, run_playbook, scopes, people):
    auth = emulator.client(AuthorizationManagementClient, "2022-04-01")
    hand_name = str(uuid.uuid4())
    auth.role_assignments.create(scopes["secondary"], hand_name, RoleAssignmentCreateParameters(
        role_definition_id=role_id(emulator, READER), principal_id=people["bob"], principal_type="User"))
    before = emulator.state()
    grant = dict(principal_id=people["bob"], role="reader", scope=scopes["secondary"])
    run = run_playbook("role_grants.yml", {"grants": [grant]}, diff=True)
    assert run.rc == 0, run
    result = run.task("Grants")["result"]["results"][0]
    assert result["changed"] is False
    assert result["assignment"]["name"] == hand_name
    assert result["assignment"]["role"] == "Reader"
    assert emulator.state() == before

    # a role given by its definition ID (upper case) is the same grant
    by_id = dict(grant, role=role_id(emulator, READER).upper().replace("/SUBSCRIPTIONS/", "/subscriptions/"))
    assert run_playbook("role_grants.yml", {"grants": [by_id]}).changed == 0

    # absent removes it, whatever its name; again: nothing to do
    gone = run_playbook("role_grants.yml", {"grants": [grant], "grant_state": "absent"})
    assert gone.rc == 0, gone
    assert gone.task("Grants")["result"]["results"][0]["deleted"] == [hand_name]
    assert not assignments_in(emulator.state(), scopes["secondary"]) or all(
        r["properties"]["principalId"] != people["bob"] for r in assignments_in(emulator.state(), scopes["secondary"]).values())
    assert run_playbook("role_grants.yml", {"grants": [grant], "grant_state": "absent"}).changed == 0


def test_absent_check_then_apply(emulator, run_playbook, scopes, people):
    grant = dict(principal_id=people["alice"], role="AcrPull", scope=scopes["registry"])
    assert run_playbook("role_grants.yml", {"grants": [grant]}).rc == 0
    before = emulator.state()
    check = run_playbook("role_grants.yml", {"grants": [grant], "grant_state": "absent"}, check=True)
    assert check.changed == 1
    assert emulator.state() == before
    assert run_playbook("role_grants.yml", {"grants": [grant], "grant_state": "absent"}).changed == 1
    assert not assignments_in(emulator.state(), scopes["registry"])
    assert run_playbook("role_grants.yml", {"grants": [grant]}).changed == 1  # put back for the next tests


def test_check_mode_before_the_scope_exists(emulator, run_playbook, scopes, people):
    """--check before the first provision run: the workspace is not there yet, the grant is predicted."""
    future = scopes["primary"].rsplit("/", 1)[0] + "/mlw-ra-notyet"
    before = emulator.state()
    run = run_playbook("role_grants.yml", {"grants": [
        dict(principal_id=people["alice"], role="AzureML Data Scientist", scope=future)]}, check=True)
    assert run.rc == 0, run
    assert run.task("Grants")["result"]["results"][0]["changed"] is True
    assert emulator.state() == before


def test_principal_that_does_not_exist(emulator, run_playbook, scopes):
    ghost = str(uuid.uuid4())
    before = emulator.state()
    run = run_playbook("role_grants.yml", {"grants": [
        dict(principal_id=ghost, role="AzureML Data Scientist", scope=scopes["primary"])]})
    msg = one_line_failure(run)
    assert "principal %s does not exist in tenant" % ghost in msg, msg
    assert emulator.state() == before


def test_unknown_role_name(emulator, run_playbook, scopes, people):
    before = emulator.state()
    run = run_playbook("role_grants.yml", {"grants": [
        dict(principal_id=people["alice"], role="AzureML Data Wizard", scope=scopes["primary"])]})
    msg = one_line_failure(run)
    assert msg.startswith("role: 'AzureML Data Wizard' is not a built-in role"), msg
    assert "role definition ID" in msg and "/providers/Microsoft.Authorization/roleDefinitions/<guid>" in msg
    assert emulator.state() == before


@pytest.mark.parametrize("field, value, expected", [
    ("principal_id", "alice@example.com", "principal_id: 'alice@example.com' is not a GUID"),
    ("scope", "rg-fraud-eastus", "scope: 'rg-fraud-eastus' is not a subscription, resource group or resource ID"),
    ("name", "assignment-1", "name: 'assignment-1' is not a GUID"),
])
def test_bad_input(emulator, run_playbook, scopes, people, field, value, expected):
    grant = dict(principal_id=people["alice"], role="Reader", scope=scopes["primary"])
    grant[field] = value
    before = emulator.state()
    msg = one_line_failure(run_playbook("role_grants.yml", {"grants": [grant]}))
    assert msg.startswith(expected), msg
    assert emulator.state() == before
