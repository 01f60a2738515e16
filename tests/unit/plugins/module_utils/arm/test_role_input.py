"""arm/role_plan.input_errors: the role_assignment module's options checked before any call."""

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.role_plan import input_errors

SCOPE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
GOOD = dict(principal_id="f6c7c914-8db3-469d-8ca1-694a8f32e121", role="AzureML Data Scientist", scope=SCOPE,
            principal_type="Group")


def test_good_options_pass():
    assert input_errors(GOOD) == []
    assert input_errors(dict(GOOD, role="acrpull", name="11111111-2222-3333-4444-555555555555")) == []
    acr_pull = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d"
    assert input_errors(dict(GOOD, role=acr_pull)) == []


def test_each_bad_option_is_named():
    assert input_errors(dict(GOOD, principal_id="not-a-guid")) == [
        "principal_id: 'not-a-guid' is not a GUID (like 11111111-2222-3333-4444-555555555555)"]
    errors = input_errors(dict(GOOD, role="AzureML Superhero"))
    assert len(errors) == 1 and errors[0].startswith("role: 'AzureML Superhero' is not a built-in role")
    assert input_errors(dict(GOOD, scope="workspace"))[0].startswith("scope: 'workspace' is not a subscription")
    assert input_errors(dict(GOOD, name="mine")) == ["name: 'mine' is not a GUID (like 11111111-2222-3333-4444-555555555555)"]
    assert input_errors(dict(GOOD, principal_type="Robot")) == [
        "principal_type: 'Robot' is not one of User, Group, ServicePrincipal"]


def test_all_at_once_and_scope_optional():
    params = dict(principal_id="x", role="", name="y")
    assert [e.split(":")[0] for e in input_errors(params)] == ["principal_id", "role", "name"]
