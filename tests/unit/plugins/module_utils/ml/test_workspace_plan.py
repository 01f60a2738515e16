"""The workspace decision table, on plain dicts."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.workspace_plan import (
    PlanError,
    plan_workspace,
    validate_name,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
IDS = dict(
    storage_account=SUB + "/Microsoft.Storage/storageAccounts/st1",
    key_vault=SUB + "/Microsoft.KeyVault/vaults/kv1",
    application_insights=SUB + "/Microsoft.Insights/components/ai1",
    container_registry=SUB + "/Microsoft.ContainerRegistry/registries/acr1",
)


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


def test_create_fills_defaults_and_tags():
    plan = plan_workspace(desired(location="East US", tags={"pair": "p1"}), None)
    assert plan["action"] == "create"
    assert plan["after"]["location"] == "eastus"
    assert plan["after"]["sku"] == "Basic"
    assert plan["after"]["tags"] == {"pair": "p1"}


def test_create_requires_associated_resources():
    with pytest.raises(PlanError, match="storage_account, key_vault"):
        plan_workspace(desired(storage_account=None, key_vault=None), None)


def test_no_change_when_ids_differ_only_in_case():
    want = desired(storage_account=IDS["storage_account"].upper(), location="East US")
    assert plan_workspace(want, current())["action"] == "none"


def test_update_only_what_changed():
    plan = plan_workspace(desired(description="prod", tags={"a": "1"}), current(tags={"b": "2"}))
    assert plan["action"] == "update"
    assert plan["patch"] == {"description": "prod", "tags": {"a": "1"}}
    assert plan["changes"]["description"] == ["", "prod"]
    assert plan["after"]["tags"] == {"a": "1"}


def test_tags_merge_without_purge():
    plan = plan_workspace(desired(tags={"a": "1"}, purge_tags=False), current(tags={"b": "2"}))
    assert plan["patch"] == {"tags": {"a": "1", "b": "2"}}


def test_tags_untouched_when_not_given():
    assert plan_workspace(desired(), current(tags={"b": "2"}))["action"] == "none"


def test_immutable_storage_refused():
    other = SUB + "/Microsoft.Storage/storageAccounts/other"
    with pytest.raises(PlanError, match="storage_account cannot be changed"):
        plan_workspace(desired(storage_account=other), current())


def test_immutable_location_refused():
    with pytest.raises(PlanError, match="location cannot be changed"):
        plan_workspace(desired(location="westus"), current())


def test_absent():
    assert plan_workspace(desired(), current(), state="absent")["action"] == "delete"
    assert plan_workspace(desired(), None, state="absent")["action"] == "none"


@pytest.mark.parametrize("name", ["ab", "-abc", "has space", "x" * 34, "bad!name"])
def test_bad_names(name):
    with pytest.raises(PlanError, match="not a valid workspace name"):
        validate_name(name)


@pytest.mark.parametrize("name", ["abc", "mlw-prod_01", "A" * 33])
def test_good_names(name):
    validate_name(name)
