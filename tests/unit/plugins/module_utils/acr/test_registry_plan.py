"""Container registry and geo-replication decision tables, on plain dicts."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.acr.registry_plan import (
    PlanError,
    normalize_location,
    plan_georeplica,
    plan_registry,
    sku_gate,
    validate_registry_name,
    validate_replicas,
)


# --- names and locations ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["acr01", "a" * 50, "AcrFraud2"])
def test_valid_registry_names(name):
    assert validate_registry_name(name) == name


@pytest.mark.parametrize("name", ["acr", "a" * 51, "acr-fraud", "acr_fraud", "acr.fraud", "", None])
def test_invalid_registry_names_name_the_option(name):
    with pytest.raises(PlanError, match=r"^registry: .* is not a valid container registry name: 5 to 50"):
        validate_registry_name(name, "registry")


def test_location_normalization():
    assert normalize_location("West US 2") == "westus2"
    assert normalize_location("westus2") == "westus2"
    assert normalize_location(None) is None


# --- container_registry ----------------------------------------------------------------------

def reg_desired(**kw):
    d = dict(location=None, sku=None, admin_user_enabled=False, public_network_access=None,
             zone_redundancy=None, tags=None, purge_tags=True)
    d.update(kw)
    return d


def reg_current(**kw):
    c = dict(id="/x", name="acrfraud", location="eastus", sku="Premium", admin_user_enabled=False,
             public_network_access="Enabled", zone_redundancy="Disabled", tags={}, login_server="acrfraud.azurecr.io",
             provisioning_state="Succeeded")
    c.update(kw)
    return c


def test_registry_create_defaults():
    plan = plan_registry(reg_desired(location="East US", sku="Premium", tags={"p": "1"}), None)
    assert plan["action"] == "create"
    assert plan["after"] == dict(location="eastus", sku="Premium", admin_user_enabled=False,
                                 public_network_access="Enabled", zone_redundancy="Disabled", tags={"p": "1"})


def test_registry_create_needs_location_and_sku():
    with pytest.raises(PlanError, match="to create the registry, set: location, sku"):
        plan_registry(reg_desired(), None)


def test_registry_adopted_as_is_reports_nothing():
    # bring-your-own: only name and group given, the registry matches (admin user off)
    assert plan_registry(reg_desired(), reg_current(tags={"team": "x"}))["action"] == "none"
    same = reg_desired(location="East US", sku="premium", public_network_access="enabled", zone_redundancy="Disabled")
    assert plan_registry(same, reg_current())["action"] == "none"


def test_registry_update_only_what_changed():
    plan = plan_registry(reg_desired(sku="Premium", admin_user_enabled=False), reg_current(sku="Standard"))
    assert plan["action"] == "update"
    assert plan["patch"] == {"sku": "Premium"}
    assert plan["changes"] == {"sku": ["Standard", "Premium"]}
    assert plan["after"]["sku"] == "Premium"


def test_registry_admin_user_default_off():
    plan = plan_registry(reg_desired(), reg_current(admin_user_enabled=True))
    assert plan["changes"] == {"admin_user_enabled": [True, False]}


def test_registry_tags_merge_or_purge():
    assert plan_registry(reg_desired(tags={"a": "1"}, purge_tags=False), reg_current(tags={"b": "2"}))["patch"] == \
        {"tags": {"a": "1", "b": "2"}}
    assert plan_registry(reg_desired(tags={"a": "1"}), reg_current(tags={"b": "2"}))["patch"] == {"tags": {"a": "1"}}


def test_registry_zone_redundancy_is_create_only():
    with pytest.raises(PlanError, match="zone_redundancy cannot be changed once the registry exists"):
        plan_registry(reg_desired(zone_redundancy="Enabled"), reg_current())
    # absent in Azure's answer means Disabled (the spec's default)
    assert plan_registry(reg_desired(zone_redundancy="Disabled"), reg_current(zone_redundancy=None))["action"] == "none"


def test_registry_location_immutable():
    with pytest.raises(PlanError, match="location cannot be changed"):
        plan_registry(reg_desired(location="westus"), reg_current())


def test_registry_absent():
    assert plan_registry(reg_desired(), None, "absent")["action"] == "none"
    assert plan_registry(reg_desired(), reg_current(), "absent")["action"] == "delete"


# --- replicas: validation --------------------------------------------------------------------

def test_validate_replicas_normalizes_and_defaults():
    out = validate_replicas([{"location": "West US", "zone_redundancy": "enabled"}, {"location": "northeurope",
                                                                                     "region_endpoint_enabled": False,
                                                                                     "tags": {"n": 1}}])
    assert out == [
        dict(location="westus", zone_redundancy="Enabled", region_endpoint_enabled=True, tags=None),
        dict(location="northeurope", zone_redundancy=None, region_endpoint_enabled=False, tags={"n": "1"}),
    ]


@pytest.mark.parametrize("replicas, message", [
    ([{}], r"replicas\[0\]\.location: a region is required"),
    ([{"location": "westus"}, {"location": "West US"}], r"replicas\[1\]\.location: 'westus' is listed twice"),
    ([{"location": "west-us"}], r"replicas\[0\]\.location: 'west-us' is not an Azure region name"),
    ([{"location": "uk"}], r"replicas\[0\]\.location: 'uk' is not a region a replica can be placed in"),
    ([{"location": "westus", "zone_redundancy": "Maybe"}], r"replicas\[0\]\.zone_redundancy: 'Maybe' is not one of"),
    ([{"location": "westus", "colour": "blue"}], r"replicas\[0\]: unknown key\(s\) colour"),
    ("westus", r"replicas: must be a list"),
])
def test_validate_replicas_errors(replicas, message):
    with pytest.raises(PlanError, match=message):
        validate_replicas(replicas)


# --- replicas: the SKU gate ------------------------------------------------------------------

def test_sku_gate():
    assert sku_gate("acrx", "Premium", False) is None
    assert sku_gate("acrx", "Standard", True) == ["Standard", "Premium"]
    with pytest.raises(PlanError) as err:
        sku_gate("acrx", "Standard", False)
    assert str(err.value) == ("registry acrx is Standard; geo-replication needs Premium: "
                              "set allow_sku_upgrade: true to upgrade it")


# --- replicas: the diff ----------------------------------------------------------------------

REGISTRY = dict(name="acrfraud", location="eastus", sku="Premium")


def rep(location, name=None, **kw):
    r = dict(id="/x/replications/%s" % (name or location), name=name or location, location=location,
             zone_redundancy="Disabled", region_endpoint_enabled=True, tags={}, provisioning_state="Succeeded",
             status="Ready")
    r.update(kw)
    return r


def want(*replicas):
    return validate_replicas(list(replicas))


def test_create_from_nothing():
    plan = plan_georeplica(REGISTRY, [rep("eastus")], want({"location": "West US"}))
    assert plan["changes"] == {"added": ["westus"]}
    assert plan["add"] == [dict(name="westus", location="westus", zone_redundancy="Disabled",
                                region_endpoint_enabled=True, tags={})]
    assert [r["location"] for r in plan["after"]] == ["westus"]  # the home replication is not listed


def test_matching_replica_reports_nothing():
    # read-only fields (status, provisioning state, id, a different name) are never compared
    current = [rep("eastus"), rep("westus", name="myreplica", status="Syncing", provisioning_state="Updating",
                                  zone_redundancy=None, region_endpoint_enabled=None, tags={"x": "y"})]
    plan = plan_georeplica(REGISTRY, current, want({"location": "West US", "zone_redundancy": "Disabled"}))
    assert plan["changes"] == {}
    assert plan["add"] == plan["update"] == plan["remove"] == []
    assert plan["sku"] is None


def test_add_one_region_is_the_only_change():
    current = [rep("eastus"), rep("westus")]
    plan = plan_georeplica(REGISTRY, current, want({"location": "westus"}, {"location": "northeurope"}))
    assert plan["changes"] == {"added": ["northeurope"]}
    assert [r["location"] for r in plan["after"]] == ["northeurope", "westus"]


def test_update_endpoint_and_tags():
    current = [rep("westus", tags={"a": "1"})]
    plan = plan_georeplica(REGISTRY, current, want({"location": "westus", "region_endpoint_enabled": False,
                                                    "tags": {"a": "2"}}))
    assert plan["update"] == [dict(name="westus", location="westus",
                                   patch={"region_endpoint_enabled": False, "tags": {"a": "2"}},
                                   changes={"region_endpoint_enabled": [True, False], "tags": [{"a": "1"}, {"a": "2"}]})]
    assert plan["changes"]["updated"] == [dict(location="westus", changes=plan["update"][0]["changes"])]
    assert plan["after"][0]["region_endpoint_enabled"] is False


def test_endpoint_default_true_puts_back_a_disabled_one():
    plan = plan_georeplica(REGISTRY, [rep("westus", region_endpoint_enabled=False)], want({"location": "westus"}))
    assert plan["changes"] == {"updated": [dict(location="westus", changes={"region_endpoint_enabled": [False, True]})]}


def test_zone_redundancy_change_is_an_error():
    with pytest.raises(PlanError, match="replica in westus: zone_redundancy cannot be changed"):
        plan_georeplica(REGISTRY, [rep("westus")], want({"location": "westus", "zone_redundancy": "Enabled"}))


def test_extra_replica_kept_without_purge_removed_with_purge():
    current = [rep("eastus"), rep("westus"), rep("northeurope")]
    keep = plan_georeplica(REGISTRY, current, want({"location": "westus"}))
    assert keep["changes"] == {}
    assert [r["location"] for r in keep["after"]] == ["northeurope", "westus"]
    purge = plan_georeplica(REGISTRY, current, want({"location": "westus"}), purge=True)
    assert purge["changes"] == {"removed": ["northeurope"]}
    assert [r["name"] for r in purge["remove"]] == ["northeurope"]
    assert [r["location"] for r in purge["after"]] == ["westus"]


def test_purge_never_removes_home_region():
    plan = plan_georeplica(REGISTRY, [rep("eastus"), rep("westus")], want(), purge=True)
    assert plan["changes"] == {"removed": ["westus"]}


def test_home_region_listed_is_an_error():
    with pytest.raises(PlanError, match="'eastus' is the home region of registry acrfraud"):
        plan_georeplica(REGISTRY, [], want({"location": "East US"}))


def test_standard_registry_refused_or_upgraded():
    standard = dict(REGISTRY, sku="Standard")
    with pytest.raises(PlanError, match="registry acrfraud is Standard; geo-replication needs Premium"):
        plan_georeplica(standard, [], want({"location": "westus"}))
    plan = plan_georeplica(standard, [], want({"location": "westus"}), allow_sku_upgrade=True)
    assert plan["changes"] == {"sku": ["Standard", "Premium"], "added": ["westus"]}
    # nothing to replicate: no Premium needed
    assert plan_georeplica(dict(REGISTRY, sku="Basic"), [], want())["changes"] == {}
