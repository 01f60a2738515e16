"""Which workspaces the active_workspace lookup reads, from a pair given either way (no network)."""

import re

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.amlops.bcdr.plugins.lookup.active_workspace import pair_workspaces


def test_inventory_pair_uses_the_provision_role_names():
    pair = dict(name="fraud", primary_region="East US", secondary_region="westus",
                names={"secondary": {"workspace": "mlw-fraud-dr"}})
    assert pair_workspaces(pair, "sub-1") == {
        "primary": dict(subscription_id="sub-1", resource_group="rg-fraud-eastus", name="mlw-fraud-eastus"),
        "secondary": dict(subscription_id="sub-1", resource_group="rg-fraud-westus", name="mlw-fraud-dr"),
    }


def test_explicit_pair_may_name_its_subscriptions():
    pair = dict(primary=dict(workspace="a", resource_group="rg-a", subscription_id="sub-a"),
                secondary=dict(workspace="b", resource_group="rg-b"))
    assert pair_workspaces(pair, "sub-default") == {
        "primary": dict(subscription_id="sub-a", resource_group="rg-a", name="a"),
        "secondary": dict(subscription_id="sub-default", resource_group="rg-b", name="b"),
    }


@pytest.mark.parametrize("term, message", [
    ("fraud", "each term must be a dict (the pair), got str"),
    (dict(primary=dict(workspace="a", resource_group="rg-a")),
     "secondary: must be a dict with workspace and resource_group"),
    (dict(name="fraud", primary_region="eastus"), "the pair needs name, primary_region and secondary_region"),
])
def test_bad_pairs_are_named(term, message):
    with pytest.raises(AnsibleLookupError, match=re.escape(message)):
        pair_workspaces(term, "sub")
