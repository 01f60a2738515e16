"""The shared decision table for plain tracked ARM resources, and the per-type rules, on plain dicts."""

import base64
import json

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import (
    APP_INSIGHTS,
    KEY_VAULT,
    RESOURCE_GROUP,
    STORAGE_ACCOUNT,
    PlanError,
    check_group_delete,
    check_sku_change,
    plan_resource,
    validate_app_insights_name,
    validate_guid,
    validate_key_vault_name,
    validate_resource_group_name,
    validate_retention_days,
    validate_storage_account_name,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_service import tenant_from_token

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def storage_desired(**kw):
    d = dict(location="eastus", sku="Standard_GRS", kind=None, access_tier=None, https_only=True,
             minimum_tls_version="TLS1_2", allow_blob_public_access=False, is_hns_enabled=None,
             tags=None, purge_tags=True)
    d.update(kw)
    return d


def storage_current(**kw):
    c = dict(id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1", name="st1",
             location="eastus", sku="Standard_GRS", kind="StorageV2", access_tier="Hot", https_only=True,
             minimum_tls_version="TLS1_2", allow_blob_public_access=False, is_hns_enabled=False, tags={},
             secondary_location="westus", status_of_secondary="available")
    c.update(kw)
    return c


def vault_desired(**kw):
    d = dict(location="eastus", tenant_id=None, sku=None, enable_rbac_authorization=None,
             soft_delete_retention_days=None, enable_purge_protection=None, public_network_access=None,
             tags=None, purge_tags=True)
    d.update(kw)
    return d


def vault_current(**kw):
    c = dict(name="kv1", location="eastus", tenant_id=TENANT, sku="standard", enable_rbac_authorization=False,
             soft_delete_retention_days=7, enable_purge_protection=False, public_network_access="Enabled", tags={})
    c.update(kw)
    return c


# --- the decision table --------------------------------------------------------------------------

def test_absent_deletes_only_what_exists():
    assert plan_resource(STORAGE_ACCOUNT, storage_desired(), None, "absent")["action"] == "none"
    plan = plan_resource(STORAGE_ACCOUNT, storage_desired(), storage_current(), "absent")
    assert plan == dict(action="delete", changes={}, after=None, patch={})


def test_create_applies_create_defaults_and_normalizes_location():
    plan = plan_resource(STORAGE_ACCOUNT, storage_desired(location="East US", tags={"pair": "p1"}), None)
    assert plan["action"] == "create"
    after = plan["after"]
    assert after["location"] == "eastus"
    assert after["kind"] == "StorageV2" and after["is_hns_enabled"] is False
    assert after["tags"] == {"pair": "p1"}
    assert "purge_tags" not in after and "access_tier" not in after


def test_create_without_required_fields_names_them():
    with pytest.raises(PlanError, match="to create the storage account, set: location, sku"):
        plan_resource(STORAGE_ACCOUNT, storage_desired(location=None, sku=None), None)


def test_matching_resource_is_not_changed():
    plan = plan_resource(STORAGE_ACCOUNT, storage_desired(location="East US", sku="standard_grs"), storage_current())
    assert plan["action"] == "none" and plan["changes"] == {} and plan["patch"] == {}
    assert plan["after"]["secondary_location"] == "westus"


def test_one_field_change_is_exactly_that_field():
    plan = plan_resource(STORAGE_ACCOUNT, storage_desired(sku="Standard_RAGRS"), storage_current())
    assert plan["action"] == "update"
    assert plan["changes"] == {"sku": ["Standard_GRS", "Standard_RAGRS"]}
    assert plan["patch"] == {"sku": "Standard_RAGRS"}
    assert plan["after"]["sku"] == "Standard_RAGRS"


def test_enforced_defaults_put_drift_back():
    plan = plan_resource(STORAGE_ACCOUNT, storage_desired(), storage_current(allow_blob_public_access=True,
                                                                             minimum_tls_version="TLS1_0"))
    assert plan["patch"] == {"allow_blob_public_access": False, "minimum_tls_version": "TLS1_2"}


def test_create_defaults_do_not_touch_an_existing_resource():
    # kind is StorageV2 only when creating: an adopted v1 account keeps its kind
    assert plan_resource(STORAGE_ACCOUNT, storage_desired(), storage_current(kind="Storage"))["action"] == "none"
    # rbac and retention are create defaults too: an adopted vault keeps its permission model
    assert plan_resource(KEY_VAULT, vault_desired(), vault_current())["action"] == "none"


@pytest.mark.parametrize("field, want, have", [
    ("location", "westus", "eastus"),
    ("kind", "BlobStorage", "StorageV2"),
    ("is_hns_enabled", True, False),
])
def test_immutable_fields_fail_clearly(field, want, have):
    with pytest.raises(PlanError, match="%s cannot be changed once the storage account exists \\(it is '%s', asked for '%s'\\)"
                       % (field, have, want)):
        plan_resource(STORAGE_ACCOUNT, storage_desired(**{field: want}), storage_current(**{field: have}))


def test_tags_merge_or_purge():
    current = storage_current(tags={"a": "1", "b": "2"})
    keep = plan_resource(STORAGE_ACCOUNT, storage_desired(tags={"c": "3"}, purge_tags=False), current)
    assert keep["patch"] == {"tags": {"a": "1", "b": "2", "c": "3"}}
    purge = plan_resource(STORAGE_ACCOUNT, storage_desired(tags={"a": "1"}), current)
    assert purge["changes"] == {"tags": [{"a": "1", "b": "2"}, {"a": "1"}]}
    unset = plan_resource(STORAGE_ACCOUNT, storage_desired(tags=None), current)
    assert unset["action"] == "none" and unset["after"]["tags"] == {"a": "1", "b": "2"}


def test_purge_protection_is_one_way():
    on = vault_current(enable_purge_protection=True)
    with pytest.raises(PlanError, match="enable_purge_protection cannot be set to False: it is already True"):
        plan_resource(KEY_VAULT, vault_desired(enable_purge_protection=False), on)
    assert plan_resource(KEY_VAULT, vault_desired(enable_purge_protection=True), on)["action"] == "none"
    turn_on = plan_resource(KEY_VAULT, vault_desired(enable_purge_protection=True), vault_current())
    assert turn_on["changes"] == {"enable_purge_protection": [False, True]}


def test_vault_retention_is_fixed_and_tenant_compared_ignoring_case():
    with pytest.raises(PlanError, match="soft_delete_retention_days cannot be changed"):
        plan_resource(KEY_VAULT, vault_desired(soft_delete_retention_days=90), vault_current())
    assert plan_resource(KEY_VAULT, vault_desired(tenant_id=TENANT.upper()), vault_current())["action"] == "none"


def test_vault_create_needs_a_tenant_and_defaults_to_rbac():
    with pytest.raises(PlanError, match="set: tenant_id"):
        plan_resource(KEY_VAULT, vault_desired(), None)
    after = plan_resource(KEY_VAULT, vault_desired(tenant_id=TENANT), None)["after"]
    assert after["sku"] == "standard" and after["enable_rbac_authorization"] is True
    assert after["soft_delete_retention_days"] == 90 and after["enable_purge_protection"] is False


def test_app_insights_compares_workspace_id_ignoring_case():
    ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/la1"
    current = dict(location="eastus", kind="web", application_type="web", retention_in_days=90,
                   ingestion_mode="LogAnalytics", workspace_resource_id=ws, tags={})
    desired = dict(location="eastus", kind="Web", application_type=None, retention_in_days=90, ingestion_mode=None,
                   workspace_resource_id=ws.upper(), tags=None, purge_tags=True)
    assert plan_resource(APP_INSIGHTS, desired, current)["action"] == "none"
    plan = plan_resource(APP_INSIGHTS, dict(desired, retention_in_days=30), current)
    assert plan["changes"] == {"retention_in_days": [90, 30]}
    with pytest.raises(PlanError, match="application_type cannot be changed"):
        plan_resource(APP_INSIGHTS, dict(desired, application_type="other"), current)


def test_resource_group_only_tags_change():
    current = dict(name="rg1", location="eastus", tags={"a": "1"})
    plan = plan_resource(RESOURCE_GROUP, dict(location="eastus", tags={"a": "2"}, purge_tags=True), current)
    assert plan["patch"] == {"tags": {"a": "2"}}
    with pytest.raises(PlanError, match="location cannot be changed once the resource group exists"):
        plan_resource(RESOURCE_GROUP, dict(location="westus", tags=None, purge_tags=True), current)


# --- per-type rules ------------------------------------------------------------------------------

@pytest.mark.parametrize("have, want", [
    ("Standard_LRS", "Standard_GRS"), ("Standard_GRS", "Standard_RAGRS"), ("Standard_ZRS", "Standard_RAGZRS"),
    ("Standard_GZRS", "standard_gzrs"), (None, "Standard_LRS"), ("Standard_LRS", None),
])
def test_sku_changes_an_update_can_do(have, want):
    check_sku_change(have, want)


@pytest.mark.parametrize("have, want", [
    ("Standard_LRS", "Standard_ZRS"), ("Standard_GRS", "Standard_GZRS"), ("Premium_LRS", "Standard_LRS"),
    ("Standard_LRS", "Premium_LRS"), ("Premium_LRS", "Premium_ZRS"),
])
def test_sku_changes_that_need_a_migration(have, want):
    with pytest.raises(PlanError, match="sku cannot be changed from %s to %s with an update" % (have, want)):
        check_sku_change(have, want)


def test_group_delete_guard():
    check_group_delete("rg1", [], False)
    check_group_delete("rg1", ["/x/st1"], True)
    ids = ["/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/st%d" % i
           for i in range(7)]
    with pytest.raises(PlanError) as err:
        check_group_delete("rg1", ids, False)
    assert str(err.value) == ("resource group rg1 holds 7 resource(s) (st0, st1, st2, st3, st4 and 2 more); "
                              "set force_delete_nonempty: true to delete it with everything in it")


@pytest.mark.parametrize("validate, good, bad", [
    (validate_storage_account_name, ["abc", "st" + "1" * 22], ["ab", "St1abc", "st-1", "s" * 25, None]),
    (validate_key_vault_name, ["kv1", "kv-fraud-1", "K" + "v" * 23], ["1kv", "kv", "kv-", "kv--x", "kv_1", "k" * 25]),
    (validate_resource_group_name, ["rg", "rg-a.b_(c)", "r" * 90], ["", "rg.", "rg/x", "r" * 91]),
    (validate_app_insights_name, ["appi-1", "a b"], ["", "a/b", "a?b", "x.", "x ", "a" * 261]),
])
def test_names(validate, good, bad):
    for name in good:
        assert validate(name) == name
    for name in bad:
        with pytest.raises(PlanError) as err:
            validate(name)
        assert str(err.value).startswith("name: '%s' is not a valid" % (name,))


def test_retention_days_and_guid():
    assert validate_retention_days(None) is None and validate_retention_days(7) == 7
    with pytest.raises(PlanError, match="soft_delete_retention_days: 91 is out of range"):
        validate_retention_days(91)
    assert validate_guid(TENANT, "vault_tenant") == TENANT and validate_guid(None, "vault_tenant") is None
    with pytest.raises(PlanError, match="vault_tenant: 'contoso' is not a GUID"):
        validate_guid("contoso", "vault_tenant")


def _jwt(claims):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return "%s.%s.sig" % (part({"alg": "none"}), part(claims))


def test_tenant_from_token():
    assert tenant_from_token(_jwt({"tid": TENANT, "oid": "x"})) == TENANT
    assert tenant_from_token(_jwt({"oid": "x"})) is None
    assert tenant_from_token(_jwt({"tid": "not-a-guid"})) is None
    assert tenant_from_token("opaque-token") is None
    assert tenant_from_token(None) is None
