"""arm/resource_plan.input_errors: each module's options checked before any call, one line naming the option."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import input_errors

GOOD = {
    "resource_group": dict(name="rg-fraud-eastus", tags={"amlops.bcdr.pair": "fraud"}, wait_timeout=900),
    "storage_account": dict(name="stfraudeastus", resource_group="rg-fraud", sku="Standard_LRS", wait_timeout=900),
    "key_vault": dict(name="kv-fraud-bcdr", resource_group="rg-fraud", sku="standard",
                      vault_tenant="72f988bf-86f1-41af-91ab-2d7cd011db47", soft_delete_retention_days=90),
    "app_insights": dict(name="appi-fraud-eastus", resource_group="rg-fraud",
                         workspace_resource_id="/subscriptions/s/resourceGroups/rg/providers/"
                                               "Microsoft.OperationalInsights/workspaces/law"),
}


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_good_options_pass(kind):
    assert input_errors(GOOD[kind], kind) == []


BAD = [
    ("resource_group", dict(name="r" * 91), "name: '%s' is not a valid resource group name" % ("r" * 91)),
    ("resource_group", dict(name="rg."), "name: 'rg.' is not a valid resource group name: it must not end with '.'"),
    ("resource_group", dict(wait_timeout=-1), "wait_timeout: must be a positive number of seconds (got -1)"),
    ("resource_group", dict(tags={"a?b": "x"}), "tags: tag name 'a?b' contains one of"),
    ("storage_account", dict(name="St_Fraud"), "name: 'St_Fraud' is not a valid storage account name"),
    ("storage_account", dict(resource_group="rg/x"), "resource_group: 'rg/x' is not a valid resource group name"),
    ("storage_account", dict(sku="Standard_XYZ"), "sku: 'Standard_XYZ' is not one of Standard_LRS"),
    ("storage_account", dict(tags={"n" * 200: "v"}), "tags: tag name '%s...' is 200 characters long; Azure allows "
                                                     "at most 128 on a storage account" % ("n" * 37)),
    ("key_vault", dict(name="kv--x"), "name: 'kv--x' is not a valid key vault name: it must not contain '--'"),
    ("key_vault", dict(vault_tenant="contoso"), "vault_tenant: 'contoso' is not a GUID"),
    ("key_vault", dict(soft_delete_retention_days=3), "soft_delete_retention_days: 3 is out of range: 7 to 90 days"),
    ("key_vault", dict(sku="gold"), "sku: 'gold' is not one of standard, premium"),
    ("app_insights", dict(name="appi?x"), "name: 'appi?x' is not a valid Application Insights name"),
    ("app_insights", dict(workspace_resource_id="law"),
     "workspace_resource_id: 'law' is not a resource ID of type Microsoft.OperationalInsights/workspaces"),
]


@pytest.mark.parametrize("kind, change, expected", BAD, ids=[b[2][:40] for b in BAD])
def test_one_bad_option_gives_one_line_naming_it(kind, change, expected):
    errors = input_errors(dict(GOOD[kind], **change), kind)
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert "\n" not in errors[0]


def test_every_problem_at_once():
    errors = input_errors(dict(name="St_x", resource_group="rg.", sku="nope", wait_timeout=0, tags={"a/b": "c"}),
                          "storage_account")
    assert [e.split(":")[0] for e in errors] == ["name", "resource_group", "tags", "wait_timeout", "sku"]
