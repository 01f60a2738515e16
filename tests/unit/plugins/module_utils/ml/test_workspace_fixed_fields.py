"""A workspace's key vault and HBI flag are fixed once it exists (Azure refuses to change them, and
neither is in the PATCH parameters): the plan refuses such a change by name instead of planning
nothing, which would report success while the workspace keeps the old value."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.workspace_plan import (
    PlanError,
    plan_workspace,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
IDS = dict(
    storage_account=SUB + "/Microsoft.Storage/storageAccounts/st1",
    key_vault=SUB + "/Microsoft.KeyVault/vaults/kv1",
    application_insights=SUB + "/Microsoft.Insights/components/ai1",
    container_registry=SUB + "/Microsoft.ContainerRegistry/registries/acr1",
)
OTHER_VAULT = SUB + "/Microsoft.KeyVault/vaults/kv2"


def desired(**kw):
    d = dict(location="eastus", description=None, friendly_name=None, sku=None, tags=None,
             purge_tags=True, hbi_workspace=None, public_network_access=None,
             image_build_compute=None, **IDS)
    d.update(kw)
    return d


def current(**kw):
    c = dict(location="eastus", description="", friendly_name="", sku="Basic", tags={},
             hbi_workspace=False, public_network_access="Enabled", image_build_compute=None, **IDS)
    c.update(kw)
    return c


@pytest.mark.parametrize("field,now,asked", [
    ("key_vault", IDS["key_vault"], OTHER_VAULT),
    ("hbi_workspace", False, True),
    ("hbi_workspace", True, False),
])
def test_a_change_of_a_fixed_field_is_refused_by_name(field, now, asked):
    with pytest.raises(PlanError) as err:
        plan_workspace(desired(**{field: asked}), current(**{field: now}))
    msg = str(err.value)
    assert msg.startswith(field + " cannot be changed once the workspace exists"), msg
    assert str(now) in msg and str(asked) in msg


@pytest.mark.parametrize("field", ["key_vault", "hbi_workspace"])
def test_a_fixed_field_refused_even_with_other_changes(field):
    # an updatable change alongside must not let the fixed one through as a partial update
    asked = OTHER_VAULT if field == "key_vault" else True
    with pytest.raises(PlanError, match="^" + field):
        plan_workspace(desired(description="prod", **{field: asked}), current())


def test_the_same_fixed_values_plan_nothing():
    # the same vault in another case (ARM IDs are case-insensitive), the same flag, or not managed
    for want in (desired(key_vault=IDS["key_vault"].upper(), hbi_workspace=False),
                 desired(key_vault=None, hbi_workspace=None)):
        plan = plan_workspace(want, current())
        assert (plan["action"], plan["patch"], plan["changes"]) == ("none", {}, {})
