"""The AmlCompute decision table, on plain dicts: names, idle-time normalization, create defaults,
scale-only updates and the fields Azure fixes at creation."""

import datetime

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.compute_plan import (
    PlanError,
    idle_seconds,
    iso_duration,
    plan_compute,
    validate_desired,
    validate_name,
)

FIELDS = ("location", "vm_size", "vm_priority", "min_nodes", "max_nodes", "idle_time_before_scale_down",
          "remote_login_port_public_access", "description", "tags")


def desired(**kw):
    d = dict.fromkeys(FIELDS)
    d.update(kw)
    return validate_desired(d)


def current(**kw):
    c = dict(name="cpu-cluster", compute_type="AmlCompute", location="eastus", vm_size="Standard_DS3_v2",
             vm_priority="Dedicated", min_nodes=0, max_nodes=4, idle_time_before_scale_down=120,
             remote_login_port_public_access="Enabled", description="", tags={"pair": "fraud"},
             provisioning_state="Succeeded", current_node_count=0, allocation_state="Steady")
    c.update(kw)
    return c


@pytest.mark.parametrize("name", ["cpu", "cpu-cluster", "A" * 24, "gpu-2", "c1-"])
def test_valid_names(name):
    validate_name(name)


@pytest.mark.parametrize("name", ["cp", "A" * 25, "1cpu", "-cpu", "cpu_cluster", "cpu.cluster", "", None, "cpu cluster"])
def test_invalid_names_name_the_option(name):
    with pytest.raises(PlanError, match=r"^name: .*3 to 24 characters"):
        validate_name(name)


@pytest.mark.parametrize("value,seconds", [
    (120, 120), ("120", 120), ("PT2M", 120), ("PT120S", 120), ("pt2m", 120), ("P0DT0H2M0S", 120),
    ("PT1H", 3600), ("PT1M30S", 90), ("P1D", 86400), ("PT0S", 0), (0, 0), ("PT1.0S", 1),
    (datetime.timedelta(minutes=2), 120), (None, None),
])
def test_idle_time_normalized(value, seconds):
    assert idle_seconds(value) == seconds


@pytest.mark.parametrize("value", ["two minutes", "PT", "P", "PT2", "2m", -5, "PT0.5S", True, [120], "P1DT"])
def test_bad_idle_time_names_the_option(value):
    with pytest.raises(PlanError, match=r"^idle_time_before_scale_down: "):
        idle_seconds(value)


def test_iso_duration_round_trips():
    assert iso_duration(120) == "PT120S"
    assert idle_seconds(iso_duration(3600)) == 3600


def test_scale_validation():
    with pytest.raises(PlanError, match="^min_nodes: must be 0 or more"):
        desired(min_nodes=-1)
    with pytest.raises(PlanError, match="^max_nodes: must be 1 or more"):
        desired(max_nodes=0)
    with pytest.raises(PlanError, match=r"min_nodes \(5\) must not be greater than max_nodes \(2\)"):
        desired(min_nodes=5, max_nodes=2)


def test_create_needs_size_max_nodes_and_location():
    with pytest.raises(PlanError, match="set: vm_size, max_nodes, location"):
        plan_compute(desired(), None)
    with pytest.raises(PlanError, match="set: max_nodes$"):
        plan_compute(desired(vm_size="Standard_DS3_v2", location="eastus"), None)


def test_create_defaults():
    plan = plan_compute(desired(vm_size="Standard_DS3_v2", max_nodes=10, location="East US"), None)
    assert plan["action"] == "create"
    assert plan["changes"] == {}
    after = plan["after"]
    assert after["location"] == "eastus"
    assert (after["vm_priority"], after["min_nodes"], after["idle_time_before_scale_down"]) == ("Dedicated", 0, 120)
    assert after["remote_login_port_public_access"] == "NotSpecified"
    assert after["tags"] == {} and after["description"] == ""


def test_create_with_min_above_existing_max_refused():
    with pytest.raises(PlanError, match="must not be greater"):
        plan_compute(desired(vm_size="Standard_DS3_v2", max_nodes=2, min_nodes=3, location="eastus"), None)


def test_same_cluster_is_no_change_whatever_the_spelling():
    want = desired(location="East US", vm_size="standard_ds3_v2", vm_priority="Dedicated", min_nodes=0, max_nodes=4,
                   idle_time_before_scale_down="PT2M", remote_login_port_public_access="NotSpecified",
                   tags={"pair": "fraud"}, description="")
    plan = plan_compute(want, current())
    assert plan["action"] == "none" and plan["changes"] == {} and plan["scale"] is None
    assert plan["after"] == current()


def test_unmanaged_fields_are_left_alone():
    plan = plan_compute(desired(), current(max_nodes=7, description="made by hand", tags={"x": "y"}))
    assert plan["action"] == "none"


def test_max_nodes_change_is_a_scale_update_of_that_field_only():
    plan = plan_compute(desired(max_nodes=10, idle_time_before_scale_down=120), current())
    assert plan["action"] == "update"
    assert plan["changes"] == {"max_nodes": [4, 10]}
    # The PATCH carries the whole ScaleSettings (maxNodeCount is required in it).
    assert plan["scale"] == dict(min_nodes=0, max_nodes=10, idle_time_before_scale_down=120)
    assert plan["after"] == current(max_nodes=10)


def test_idle_and_min_changes():
    plan = plan_compute(desired(min_nodes=1, idle_time_before_scale_down="PT5M"), current())
    assert plan["changes"] == {"min_nodes": [0, 1], "idle_time_before_scale_down": [120, 300]}
    assert plan["scale"] == dict(min_nodes=1, max_nodes=4, idle_time_before_scale_down=300)


def test_min_above_current_max_refused():
    with pytest.raises(PlanError, match=r"min_nodes \(6\) must not be greater than max_nodes \(4\)"):
        plan_compute(desired(min_nodes=6), current())


@pytest.mark.parametrize("field,value", [
    ("vm_size", "Standard_NC6"), ("vm_priority", "LowPriority"), ("location", "westus"),
    ("remote_login_port_public_access", "Disabled"), ("description", "new"), ("tags", {"pair": "other"}),
])
def test_fixed_fields_refused_naming_the_field(field, value):
    with pytest.raises(PlanError) as err:
        plan_compute(desired(max_nodes=10, **{field: value}), current())
    message = str(err.value)
    assert message.startswith("%s cannot be changed once the compute cluster exists" % field)
    assert "delete the cluster and create it again" in message


def test_not_specified_ssh_matches_what_azure_reports():
    for reported in ("Enabled", "Disabled"):
        plan = plan_compute(desired(remote_login_port_public_access="NotSpecified"),
                            current(remote_login_port_public_access=reported))
        assert plan["action"] == "none"


def test_other_compute_type_refused():
    with pytest.raises(PlanError, match="is a ComputeInstance, not an AmlCompute cluster"):
        plan_compute(desired(max_nodes=4), current(compute_type="ComputeInstance"))


def test_absent():
    assert plan_compute(desired(), None, "absent")["action"] == "none"
    plan = plan_compute(desired(), current(), "absent")
    assert plan["action"] == "delete" and plan["after"] is None
