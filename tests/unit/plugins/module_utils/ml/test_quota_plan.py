"""Quota arithmetic for AmlCompute clusters in one region, on plain data."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.quota_plan import (
    QuotaPlanError,
    plan_quota,
    usage_family,
)

SIZES = [
    dict(name="Standard_DS2_v2", family="standardDSv2Family", vcpus=2),
    dict(name="Standard_DS3_v2", family="standardDSv2Family", vcpus=4),
    dict(name="Standard_NC6s_v3", family="standardNCSv3Family", vcpus=6),
]


def usages(dsv2=(0, 100), ncsv3=(0, 24), total=(0, 200), low=None):
    out = [
        dict(name="Clusters", family=None, current=1, limit=200, unit="Count"),
        dict(name="Total Cluster Dedicated Regional vCPUs", family=None, current=total[0], limit=total[1], unit="Count"),
        dict(name="Standard DSv2 Family Cluster Dedicated vCPUs", family="standardDSv2Family",
             current=dsv2[0], limit=dsv2[1], unit="Count"),
        dict(name="Standard NCSv3 Family Cluster Dedicated vCPUs", family="standardNCSv3Family",
             current=ncsv3[0], limit=ncsv3[1], unit="Count"),
    ]
    if low is not None:
        out.append(dict(name="Total Cluster LowPriority Regional vCPUs", family=None, current=low[0], limit=low[1],
                        unit="Count"))
    return out


def cluster(name="cpu-cluster", vm_size="Standard_DS3_v2", max_nodes=10, **kw):
    return dict(kw, name=name, vm_size=vm_size, max_nodes=max_nodes)


@pytest.mark.parametrize("name,usage_id,family", [
    ("Standard DSv2 Family Cluster Dedicated vCPUs", None, "standardDSv2Family"),
    ("Standard NCSv3 Family Cluster Dedicated vCPUs", None, "standardNCSv3Family"),
    (None, "/subscriptions/x/usages/Standard_DSv2_Family_Cluster_Dedicated_vCPUs", "standardDSv2Family"),
    ("standardDSv2Family", None, "standardDSv2Family"),
    ("Total Cluster Dedicated Regional vCPUs", "/subscriptions/x/usages", None),
    ("Clusters", None, None),
])
def test_usage_family(name, usage_id, family):
    assert usage_family(name, usage_id) == family


def test_fits():
    assert plan_quota("eastus", usages(dsv2=(8, 100)), SIZES, [cluster()]) == []


def test_nothing_requested():
    assert plan_quota("eastus", usages(dsv2=(100, 100)), SIZES, []) == []


def test_family_shortfall_names_family_and_numbers():
    [short] = plan_quota("eastus", usages(dsv2=(76, 100)), SIZES, [cluster()])
    assert short == dict(
        region="eastus", family="standardDSv2Family", needed=40, available=24, limit=100, current=76,
        clusters=["cpu-cluster"],
        shortfall_message="eastus: standardDSv2Family needs 40 cores for cpu-cluster (10 x Standard_DS3_v2, "
                          "4 vCPUs); 24 of 100 available")


def test_clusters_of_one_family_add_up():
    request = [cluster(), cluster("etl", "Standard_DS2_v2", 4)]
    assert plan_quota("eastus", usages(dsv2=(0, 48)), SIZES, request) == []
    [short] = plan_quota("eastus", usages(dsv2=(0, 47)), SIZES, request)
    assert (short["needed"], short["available"], short["clusters"]) == (48, 47, ["cpu-cluster", "etl"])
    assert "cpu-cluster (10 x Standard_DS3_v2, 4 vCPUs), etl (4 x Standard_DS2_v2, 2 vCPUs)" \
        in short["shortfall_message"]


def test_families_are_separate():
    request = [cluster(), cluster("gpu", "Standard_NC6s_v3", 5)]
    [short] = plan_quota("eastus", usages(ncsv3=(6, 24)), SIZES, request)
    assert (short["family"], short["needed"], short["available"]) == ("standardNCSv3Family", 30, 18)


def test_regional_total_too():
    [short] = plan_quota("eastus", usages(total=(190, 200)), SIZES, [cluster()])
    assert short["family"] == "Total Cluster Dedicated Regional vCPUs"
    assert (short["needed"], short["available"], short["limit"]) == (40, 10, 200)


def test_family_without_quota_has_none():
    sizes = SIZES + [dict(name="Standard_ND40rs_v2", family="standardNDSv2Family", vcpus=40)]
    [short] = plan_quota("eastus", usages(), sizes, [cluster("big", "Standard_ND40rs_v2", 1)])
    assert (short["family"], short["needed"], short["available"], short["limit"]) == ("standardNDSv2Family", 40, 0, 0)


def test_unknown_size_is_an_error_naming_the_cluster():
    with pytest.raises(QuotaPlanError, match=r"^clusters\[1\]\.vm_size: 'Standard_XL' is not offered for AmlCompute in westus"):
        plan_quota("westus", usages(), SIZES, [cluster(), cluster("x", "Standard_XL")])


def test_size_names_compare_case_insensitively():
    assert plan_quota("eastus", usages(), SIZES, [cluster(vm_size="standard_ds3_v2")]) == []


def test_existing_cluster_of_the_same_name_is_not_counted_twice():
    # The cluster exists with 6 nodes up (24 cores of the 100 used); asking for it again must fit.
    existing = [dict(name="cpu-cluster", workspace="mlw-eastus", vm_size="Standard_DS3_v2", current_node_count=6)]
    request = [cluster(max_nodes=10, workspace="mlw-eastus")]
    assert plan_quota("eastus", usages(dsv2=(84, 100)), SIZES, request, existing) == []
    # Without that credit, 40 > 100 - 84.
    [short] = plan_quota("eastus", usages(dsv2=(84, 100)), SIZES, request, [])
    assert short["available"] == 16


def test_other_clusters_are_not_credited():
    existing = [dict(name="someone-else", workspace="mlw-eastus", vm_size="Standard_DS3_v2", current_node_count=6),
                dict(name="cpu-cluster", workspace="mlw-other", vm_size="Standard_DS3_v2", current_node_count=6)]
    [short] = plan_quota("eastus", usages(dsv2=(84, 100)), SIZES, [cluster(workspace="mlw-eastus")], existing)
    assert short["available"] == 16


def test_existing_cluster_of_another_family_is_not_credited():
    existing = [dict(name="cpu-cluster", vm_size="Standard_NC6s_v3", current_node_count=2)]
    [short] = plan_quota("eastus", usages(dsv2=(84, 100)), SIZES, [cluster()], existing)
    assert short["available"] == 16


def test_low_priority_counts_against_low_priority_total_only():
    request = [cluster(vm_priority="LowPriority")]
    assert plan_quota("eastus", usages(dsv2=(100, 100), total=(200, 200)), SIZES, request) == []
    [short] = plan_quota("eastus", usages(low=(0, 20)), SIZES, request)
    assert (short["family"], short["needed"], short["available"]) == ("Total Cluster LowPriority Regional vCPUs", 40, 20)


def test_available_never_negative():
    [short] = plan_quota("eastus", usages(dsv2=(120, 100)), SIZES, [cluster(max_nodes=1)])
    assert short["available"] == 0
