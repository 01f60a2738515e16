"""Role assignments: the built-in role table, deterministic names, matching by grant."""

import uuid

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.role_plan import (
    BUILTIN_ROLES,
    PlanError,
    assignment_name,
    grants,
    plan_role_assignment,
    resolve_role,
    role_guid,
    role_name,
    scope_of,
    validate_guid,
    validate_scope,
)

SUB = "00000000-0000-0000-0000-000000000001"
WS = "/subscriptions/%s/resourceGroups/rg-a/providers/Microsoft.MachineLearningServices/workspaces/mlw-a" % SUB
RG = "/subscriptions/%s/resourceGroups/rg-a" % SUB
ALICE = "11111111-2222-3333-4444-555555555555"
DS_GUID = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
DS_ROLE = "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (SUB, DS_GUID)


def assignment(name, scope=WS, principal=ALICE, role=DS_ROLE, with_scope=True):
    a = dict(id="%s/providers/Microsoft.Authorization/roleAssignments/%s" % (scope, name), name=name,
             principal_id=principal, role_definition_id=role, principal_type="User")
    if with_scope:
        a["scope"] = scope
    return a


def desired(**kw):
    d = dict(scope=WS, principal_id=ALICE, role_definition_id=DS_ROLE, principal_type=None)
    d.update(kw)
    d.setdefault("name", assignment_name(d["scope"], d["principal_id"], d["role_definition_id"]))
    return d


# --- the role table -----------------------------------------------------------------------------

def test_table_guids_are_unique_lowercase_guids():
    guids = list(BUILTIN_ROLES.values())
    assert len(set(guids)) == len(guids)
    for guid in guids:
        assert str(uuid.UUID(guid)) == guid


@pytest.mark.parametrize("name, guid", [
    ("AzureML Data Scientist", "f6c7c914-8db3-469d-8ca1-694a8f32e121"),
    ("azureml data scientist", "f6c7c914-8db3-469d-8ca1-694a8f32e121"),
    ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
    ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    ("AcrPull", "7f951dda-4ed3-4680-a7ca-43fe172d538d"),
    ("acrpush", "8311e382-0749-4cb8-b61a-304f252e45ec"),
    ("Storage Blob Data Reader", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"),
    ("Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"),
    ("Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6"),
    (" AzureML Compute Operator ", "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815"),
])
def test_resolve_builtin_names(name, guid):
    assert resolve_role(name, SUB) == "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (SUB, guid)


def test_resolve_ids_and_guids():
    assert resolve_role(DS_ROLE.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/"), SUB).endswith(DS_GUID)
    assert resolve_role(DS_GUID.upper(), SUB) == DS_ROLE
    tenant_form = "/providers/Microsoft.Authorization/roleDefinitions/" + DS_GUID
    assert resolve_role(tenant_form, SUB) == DS_ROLE
    other_sub = "/subscriptions/other/providers/Microsoft.Authorization/roleDefinitions/" + DS_GUID
    assert resolve_role(other_sub, SUB) == other_sub  # a custom role's own subscription is kept


@pytest.mark.parametrize("bad", ["AzureML Data Wizard", "", "/providers/Microsoft.Authorization/roleDefinitions/nope",
                                 "/subscriptions/x/providers/Microsoft.Authorization/roleAssignments/" + DS_GUID])
def test_unknown_role_says_how_to_pass_an_id(bad):
    with pytest.raises(PlanError) as err:
        resolve_role(bad, SUB)
    assert str(err.value).startswith("role: ")
    if bad:
        assert "role definition ID" in str(err.value)
        assert "Microsoft.Authorization/roleDefinitions/<guid>" in str(err.value)
        assert "\n" not in str(err.value)


def test_role_name_and_guid():
    assert role_name(DS_ROLE) == "AzureML Data Scientist"
    assert role_name(DS_ROLE.upper()) == "AzureML Data Scientist"
    assert role_name("/providers/Microsoft.Authorization/roleDefinitions/" + str(uuid.uuid4())) is None
    assert role_guid(DS_ROLE + "/") == DS_GUID
    assert role_guid(None) is None


# --- input validation ---------------------------------------------------------------------------

def test_validate_guid():
    assert validate_guid(ALICE.upper(), "principal_id") == ALICE
    with pytest.raises(PlanError, match="^principal_id: 'alice' is not a GUID"):
        validate_guid("alice", "principal_id")
    with pytest.raises(PlanError, match="^name: "):
        validate_guid(None, "name")


@pytest.mark.parametrize("scope", [
    "/subscriptions/%s" % SUB, RG, RG + "/", WS,
    WS + "/computes/cpu",
    "/subscriptions/%s/providers/Microsoft.Insights/components/x" % SUB,
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices/default/containers/c",
])
def test_valid_scopes(scope):
    assert validate_scope(scope) == scope.rstrip("/")


@pytest.mark.parametrize("scope", [
    None, "", "subscriptions/x", "/subscriptions/", "/subscriptions/s/resourceGroups",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts",
    "/subscriptions/s//resourceGroups/rg", "/tenants/x",
    WS + "/providers/Microsoft.Authorization/roleAssignments/" + ALICE,
])
def test_invalid_scopes(scope):
    with pytest.raises(PlanError, match="^scope: "):
        validate_scope(scope)


# --- names ----------------------------------------------------------------------------------------

def test_assignment_name_is_deterministic_and_case_insensitive():
    a = assignment_name(WS, ALICE, DS_ROLE)
    assert uuid.UUID(a).version == 5
    assert a == assignment_name(WS.upper() + "/", ALICE.upper(), DS_GUID.upper())
    # role given as a tenant-level ID is the same role
    assert a == assignment_name(WS, ALICE, "/providers/Microsoft.Authorization/roleDefinitions/" + DS_GUID)
    assert a != assignment_name(RG, ALICE, DS_ROLE)
    assert a != assignment_name(WS, "21111111-2222-3333-4444-555555555555", DS_ROLE)
    assert a != assignment_name(WS, ALICE, resolve_role("Reader", SUB))


# --- matching ---------------------------------------------------------------------------------------

def test_scope_from_id_when_property_missing():
    a = assignment("x", with_scope=False)
    assert scope_of(a) == WS
    assert scope_of(assignment("y", scope="/subscriptions/%s" % SUB, with_scope=False)) == "/subscriptions/%s" % SUB


def test_grants_is_exact_scope_principal_role():
    assert grants(assignment("x"), WS, ALICE, DS_ROLE)
    assert grants(assignment("x", role=DS_ROLE.lower()), WS.upper(), ALICE.upper(), DS_GUID)
    assert not grants(assignment("x", scope=RG), WS, ALICE, DS_ROLE)  # inherited: another grant
    assert not grants(assignment("x", scope=WS + "/computes/c"), WS, ALICE, DS_ROLE)
    assert not grants(assignment("x", principal=str(uuid.uuid4())), WS, ALICE, DS_ROLE)
    assert not grants(assignment("x", role=resolve_role("Reader", SUB)), WS, ALICE, DS_ROLE)


# --- the decision table ----------------------------------------------------------------------------

def test_create_when_missing():
    d = desired()
    plan = plan_role_assignment(d, [assignment("other", scope=RG)])
    assert plan["action"] == "create"
    assert plan["after"]["name"] == d["name"]
    assert plan["after"]["id"] == WS + "/providers/Microsoft.Authorization/roleAssignments/" + d["name"]
    assert plan["changes"] == {"assignments": [[], [d["name"]]]}


def test_existing_under_another_name_is_present():
    hand_made = assignment(str(uuid.uuid4()), with_scope=False)
    plan = plan_role_assignment(desired(), [hand_made])
    assert plan["action"] == "none"
    assert plan["after"]["name"] == hand_made["name"]
    assert plan["changes"] == {}


def test_prefers_our_name_among_duplicates():
    d = desired()
    ours = assignment(d["name"])
    plan = plan_role_assignment(d, [assignment("00000000-aaaa-4aaa-8aaa-000000000000"), ours])
    assert plan["action"] == "none" and plan["after"]["name"] == d["name"]


def test_named_assignment_for_another_grant_is_refused():
    d = desired(name="99999999-2222-3333-4444-555555555555")
    clash = assignment(d["name"], role=resolve_role("Reader", SUB))
    with pytest.raises(PlanError, match="^name: a role assignment named 9999.* with role Reader"):
        plan_role_assignment(d, [], named=clash)


def test_named_assignment_for_same_grant_is_present():
    d = desired(name="99999999-2222-3333-4444-555555555555")
    plan = plan_role_assignment(d, [], named=assignment(d["name"]))
    assert plan["action"] == "none"


def test_absent_deletes_every_match_and_only_matches():
    a, b = assignment("a"), assignment("b", with_scope=False)
    keep = [assignment("c", scope=RG), assignment("d", role=resolve_role("Reader", SUB))]
    plan = plan_role_assignment(desired(), [a, b] + keep, state="absent")
    assert plan["action"] == "delete"
    assert [m["name"] for m in plan["matches"]] == ["a", "b"]
    assert plan["changes"] == {"assignments": [["a", "b"], []]}
    assert plan_role_assignment(desired(), keep, state="absent")["action"] == "none"
