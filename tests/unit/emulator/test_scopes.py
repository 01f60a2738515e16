"""Extension resources at any scope ({scope} spans several path segments): role assignments,
and the generic resource list of Microsoft.Resources."""

import uuid

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


@pytest.fixture(scope="module")
def setup(emulator):
    rm = emulator.client(ResourceManagementClient, "2021-04-01")
    rm.resource_groups.create_or_update("rg-scopes", {"location": "westus"})
    st = emulator.client(StorageManagementClient, "2023-01-01")
    sa = st.storage_accounts.begin_create("rg-scopes", "stscopes", {
        "location": "westus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
    auth = emulator.client(AuthorizationManagementClient, "2022-04-01")
    return rm, sa, auth


def test_role_assignment_at_resource_and_group_scope(emulator, setup):
    rm, sa, auth = setup
    sub = emulator.endpoint["subscription_id"]
    principal = emulator.register_principal(kind="Group", display_name="ml-team")["object_id"]
    role = "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (sub, READER)
    for scope in (sa.id, "/subscriptions/%s/resourceGroups/rg-scopes" % sub):
        name = str(uuid.uuid4())
        created = auth.role_assignments.create(scope, name, {"properties": {
            "roleDefinitionId": role, "principalId": principal, "principalType": "Group"}})
        assert created.id.lower() == (scope + "/providers/Microsoft.Authorization/"
                                      "roleAssignments/" + name).lower()
        assert created.principal_id == principal
        assert created.scope is None or created.scope.lower() == scope.lower()  # hooks' field
        assert auth.role_assignments.get(scope, name).role_definition_id == role
        listed = [a.name for a in auth.role_assignments.list_for_scope(
            scope, filter="principalId eq '%s'" % principal)]
        assert name in listed
        auth.role_assignments.delete(scope, name)
        with pytest.raises(ResourceNotFoundError):
            auth.role_assignments.get(scope, name)


def test_role_assignment_on_a_missing_scope(emulator, setup):
    _unused, sa, auth = setup
    sub = emulator.endpoint["subscription_id"]
    with pytest.raises(ResourceNotFoundError):
        auth.role_assignments.create(sa.id.replace("stscopes", "stnothere"), str(uuid.uuid4()), {
            "properties": {"roleDefinitionId": "/subscriptions/%s/providers/Microsoft."
                                               "Authorization/roleDefinitions/%s" % (sub, READER),
                           "principalId": emulator.endpoint["principal_object_id"]}})


def test_generic_resource_list_of_a_group(emulator, setup):
    rm, sa, _unused = setup
    ids = [r.id for r in rm.resources.list_by_resource_group("rg-scopes")]
    assert sa.id in ids
    assert all("/roleAssignments/" not in i for i in ids)
