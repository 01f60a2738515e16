"""The provision role's pre-flight (dr_pair_errors): every key of the role's inventory reaches a check
that runs before the first change, and each error names the key the user wrote."""

import copy
import os
import re

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.amlops.bcdr.plugins.module_utils.pair.layout import dr_pair_errors

ROLE = os.path.join(os.path.dirname(__file__), *[os.pardir] * 5, "roles", "provision")
REGIONS = ["eastus", "westus", "westeurope", "northeurope"]
GUID = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
KV_ID = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kvmine" % GUID
ACR_ID = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acrmine" % GUID
ST_ID = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stmine" % GUID


def good_pair():
    return dict(
        name="fraud", primary_region="eastus", secondary_region="westus",
        modes={"inference": "hot/hot", "training": "hot/warm"},
        names={"shared_resource_group": "rg-shared", "key_vault": "kv-fraud", "container_registry": "acrfraud",
               "training_storage": "stfraudtrain",
               "primary": {"resource_group": "rg-p", "storage_account": "stp", "app_insights": "appi-p",
                           "workspace": "ws-p"},
               "secondary": {"resource_group": "rg-s", "storage_account": "sts", "app_insights": "appi-s",
                             "workspace": "ws-s"}},
        existing={}, tags={"cost-center": "ml"},
        default_storage_sku="Standard_LRS", training_storage_sku="Standard_RAGRS",
        training_datastore_name="training_data", training_container="training-data", key_vault_sku="standard",
        acr_allow_sku_upgrade=False, acr_zone_redundancy="Disabled",
        compute_clusters=[dict(name="cpu", vm_size="Standard_DS3_v2", min_nodes=0, max_nodes=2, idle_seconds=600,
                               vm_priority="Dedicated", resource_class="training")],
        role_assignments=[dict(principal_id=GUID, principal_type="Group", role="AzureML Data Scientist",
                               scope="workspace")],
        traffic_manager=dict(endpoints=["score"], resource_group="rg-dns"),
    )


def role_spec():
    with open(os.path.join(ROLE, "meta", "argument_specs.yml")) as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def spec_keys(options, prefix=""):
    """Every key path of the role's argument spec: 'compute_clusters[].idle_seconds', 'modes.training'..."""
    keys = []
    for name, option in options.items():
        path = prefix + name
        keys.append(path)
        if option.get("options"):
            inner = path + ("[]." if option.get("type") == "list" else ".")
            keys += spec_keys(option["options"], inner)
    return keys


# The documented keys of the free-form dicts (names, existing): docs/provision.md and the argument spec.
DOCUMENTED = (["names.%s" % k for k in ("shared_resource_group", "key_vault", "container_registry", "training_storage")]
              + ["names.%s.%s" % (r, k) for r in ("primary", "secondary")
                 for k in ("resource_group", "storage_account", "app_insights", "workspace")]
              + ["existing.%s" % k for k in ("key_vault_id", "container_registry_id", "training_storage_id")])

# key -> a value Azure (or the role) would refuse. Each must be refused before any change: by
# dr_pair_errors with a line starting with the key, or by the role's argument spec (Ansible
# validates it when the role starts, before its first task).
BAD = {
    "provision_pair.name": "Fraud_1",
    "provision_pair.primary_region": "marsnorth",
    "provision_pair.secondary_region": "eastus",  # the primary's region
    "provision_pair.modes": {"serving": "hot/hot"},
    "provision_pair.modes.inference": "lukewarm",
    "provision_pair.modes.training": "lukewarm",
    "provision_pair.names": {"workspce": "x"},
    "provision_pair.names.shared_resource_group": "rg-shared.",
    "provision_pair.names.key_vault": "kv--double",
    "provision_pair.names.container_registry": "acr-with-dash",
    "provision_pair.names.training_storage": "Training",
    "provision_pair.names.primary.resource_group": "r" * 100,
    "provision_pair.names.primary.storage_account": "st_p",
    "provision_pair.names.primary.app_insights": "appi?p",
    "provision_pair.names.primary.workspace": "bad name!",
    "provision_pair.names.secondary.resource_group": "rg/s",
    "provision_pair.names.secondary.storage_account": "s",
    "provision_pair.names.secondary.app_insights": "appi-s.",
    "provision_pair.names.secondary.workspace": "w",
    "provision_pair.existing": {"vault_id": KV_ID},
    "provision_pair.existing.key_vault_id": "not-an-id",
    "provision_pair.existing.container_registry_id": KV_ID,
    "provision_pair.existing.training_storage_id": ACR_ID,
    "provision_pair.tags": {"a/b": "x"},
    "provision_pair.default_storage_sku": "Standard_XYZ",
    "provision_pair.training_storage_sku": "Standard_LRS",
    "provision_pair.training_datastore_name": "training data!",
    "provision_pair.training_container": "Training_Data",
    "provision_pair.key_vault_sku": "gold",
    "provision_pair.acr_allow_sku_upgrade": "maybe",
    "provision_pair.acr_zone_redundancy": "Sometimes",
    "provision_pair.compute_clusters": "cpu",
    "provision_pair.compute_clusters[].name": "9-starts-with-a-digit",
    "provision_pair.compute_clusters[].min_nodes": 5,
    "provision_pair.compute_clusters[].max_nodes": 0,
    "provision_pair.compute_clusters[].idle_seconds": -5,
    "provision_pair.compute_clusters[].vm_priority": "Spot",
    "provision_pair.compute_clusters[].resource_class": "batch",
    "provision_pair.compute_clusters[].standby_max_nodes": 3,  # more than max_nodes (2)
    "provision_pair.standby_instance_count": 0,
    "provision_pair.role_assignments": "everyone",
    "provision_pair.role_assignments[].principal_id": "not-a-guid",
    "provision_pair.role_assignments[].principal_type": "Robot",
    "provision_pair.role_assignments[].role": "AzureML Superhero",
    "provision_pair.role_assignments[].scope": "galaxy",
    "provision_pair.traffic_manager": "score",
    "provision_pair.traffic_manager.endpoints": ["9lives"],
    "provision_pair.traffic_manager.resource_group": "rg/x",
    "provision_wait_timeout": -1,
}
# Keys whose bad values only the role's argument spec can refuse (Ansible's type conversion), and why.
ARGSPEC_ONLY = {
    "provision_pair.acr_allow_sku_upgrade": "a bool: a value that is not one is refused by Ansible's type check",
}
# Keys for which no value can be refused before the first change, and why.
NO_BAD_VALUE = {
    "provision_pair": "the pair itself: its keys are listed one by one",
    "provision_pair.compute_clusters[].vm_size": "any string may name a VM size; whether the region offers it is "
                                                 "checked by the quota pre-check (a read, before any change)",
}


def set_key(pair, path, value):
    """Put ``value`` at ``path`` ('compute_clusters[].idle_seconds': the first cluster) in a copy of ``pair``."""
    pair = copy.deepcopy(pair)
    parts = path.split(".")
    target = pair
    for part in parts[:-1]:
        if part.endswith("[]"):
            target = target[part[:-2]][0]
        else:
            target = target.setdefault(part, {})
    last = parts[-1]
    target[last[:-2] if last.endswith("[]") else last] = value
    return pair


def preflight(pair, wait_timeout=1800):
    return dr_pair_errors(pair, REGIONS, wait_timeout=wait_timeout)


def argspec_errors(pair, wait_timeout=1800):
    result = ArgumentSpecValidator(role_spec()).validate({"provision_pair": pair, "provision_wait_timeout": wait_timeout})
    return [str(e) for e in result.errors]


def test_good_pair_passes_both():
    assert preflight(good_pair()) == []
    assert argspec_errors(good_pair()) == []


def test_every_key_is_listed():
    keys = set(spec_keys(role_spec())) | set("provision_pair." + k for k in DOCUMENTED)
    assert keys - set(BAD) - set(NO_BAD_VALUE) == set(), "keys with no bad value to try"
    assert set(BAD) - keys == set(), "bad values for keys the role does not have"


@pytest.mark.parametrize("key", sorted(BAD))
def test_a_bad_value_of_each_key_is_refused_naming_it(key):
    value = BAD[key]
    if key == "provision_wait_timeout":
        pair, timeout = good_pair(), value
    else:
        pair, timeout = set_key(good_pair(), key[len("provision_pair."):], value), 1800
    field = key[len("provision_pair."):] if key.startswith("provision_pair.") else key
    field = field.replace("[]", "[0]")
    if key in ARGSPEC_ONLY:
        leaf = re.split(r"[.\]\[]", key.replace("[]", ""))[-1]
        assert [e for e in argspec_errors(pair, timeout) if "'%s'" % leaf in e], argspec_errors(pair, timeout)
    else:
        errors = preflight(pair, timeout)
        assert errors and all(e.startswith(field) for e in errors), (key, errors)


def test_each_error_is_one_line_and_names_a_key():
    pair = set_key(good_pair(), "compute_clusters[].idle_seconds", -5)
    pair = set_key(pair, "role_assignments[].principal_id", "not-a-guid")
    pair = set_key(pair, "tags", {"x" * 600: "v", "c": "y" * 10000})
    errors = preflight(pair, wait_timeout=0)
    assert errors == [
        "tags.c: the value is 10000 characters long; Azure allows at most 256",
        "tags: tag name '%s...' is 600 characters long; Azure allows at most 512" % ("x" * 37),
        "provision_wait_timeout: must be a positive number of seconds (got 0)",
        "tags: tag name '%s...' is 600 characters long; Azure allows at most 128 on a storage account" % ("x" * 37),
        "compute_clusters[0].idle_seconds: must not be negative (got -5)",
        "role_assignments[0].principal_id: 'not-a-guid' is not a GUID (like 11111111-2222-3333-4444-555555555555)",
    ]


def test_extra_vars_arrive_as_strings():
    assert preflight(good_pair(), wait_timeout="-1") == [
        "provision_wait_timeout: must be a positive number of seconds (got -1)"]
    assert preflight(good_pair(), wait_timeout="900") == []


def test_generated_names_are_checked_as_the_pair_name():
    pair = good_pair()
    del pair["names"]
    assert preflight(pair) == []
    # Adopted resources are not created, so their names are not checked; their IDs are.
    pair["existing"] = {"key_vault_id": KV_ID, "container_registry_id": ACR_ID, "training_storage_id": ST_ID}
    assert preflight(pair) == []


def test_not_a_dict():
    assert preflight(["fraud"]) == ["the pair must be a dict (bcdr_pair), got list"]


def test_a_generated_name_azure_would_refuse_says_which_override_fixes_it():
    """A valid 12-letter pair name in a long-named region makes a 35-character workspace name."""
    pair = dict(name="abcdefghijkl", primary_region="germanywestcentral", secondary_region="germanynorth")
    assert dr_pair_errors(pair, ["germanywestcentral", "germanynorth"], wait_timeout=60) == [
        "names.primary.workspace (generated from name): 'mlw-abcdefghijkl-germanywestcentral' is not a valid "
        "workspace name: 3 to 33 characters, letters, digits, '-' and '_', starting with a letter or digit"]
    pair["names"] = {"primary": {"workspace": "mlw-abcdefghijkl-gwc"}}
    assert dr_pair_errors(pair, ["germanywestcentral", "germanynorth"], wait_timeout=60) == []
