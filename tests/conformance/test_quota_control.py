"""The ML quota table through the harness (Emulator.set_quota -> PUT /_emulator/quotas) and the
official SDK (usages.list / virtual_machine_sizes.list): limits set per region, an AmlCompute
cluster's allocated nodes counted in its family and the regional total."""
import pytest

ml = pytest.importorskip("azure.mgmt.machinelearningservices")
from azure.mgmt.resource.resources import ResourceManagementClient  # noqa: E402

from emulator.harness import EmulatorError  # noqa: E402
from emulator.seed import workspace_links  # noqa: E402

API = "2024-04-01"
RG = "rg-quota-control"
FAMILY_USAGE = "Standard DSv2 Family Cluster Dedicated vCPUs"
TOTAL = "Total Cluster Dedicated Regional vCPUs"


@pytest.fixture(scope="module")
def client(emulator):
    emulator.client(ResourceManagementClient, "2021-04-01").resource_groups.create_or_update(
        RG, {"location": "westus2"})
    return emulator.client(ml.MachineLearningServicesMgmtClient, API)


def _usages(client, region):
    return {u.name.value: u for u in client.usages.list(region)}


def test_set_quota_changes_one_region_only(emulator, client):
    table = emulator.set_quota("westus2", "standardDSv2Family", 12)
    assert table["standardDSv2Family"] == 12
    try:
        assert _usages(client, "westus2")[FAMILY_USAGE].limit == 12
        assert _usages(client, "westus3")[FAMILY_USAGE].limit == 100      # the default
    finally:
        emulator.set_quota("westus2", "standardDSv2Family", 100)


def test_bad_quota_body_is_refused(emulator):
    with pytest.raises(EmulatorError, match="400"):
        emulator._control("PUT", "/_emulator/quotas", {"location": "westus2", "limit": 3})
    with pytest.raises(EmulatorError, match="400"):
        emulator.set_quota("westus2", "standardDSv2Family", -1)


def test_cluster_nodes_count_in_usage(emulator, client):
    sizes = {s.name.lower(): s for s in client.virtual_machine_sizes.list("westus2").value}
    ds3 = sizes["standard_ds3_v2"]
    assert (ds3.family, ds3.v_cp_us) == ("standardDSv2Family", 4)
    before = _usages(client, "westus2")
    client.workspaces.begin_create_or_update(RG, "mlw-quota", {
        "location": "westus2",
        "properties": workspace_links(emulator.endpoint, RG, "westus2", "quotacontrol")}).result()
    client.compute.begin_create_or_update(RG, "mlw-quota", "busy", {
        "location": "westus2", "properties": {"computeType": "AmlCompute", "properties": {
            "vmSize": "Standard_DS3_v2",
            "scaleSettings": {"minNodeCount": 2, "maxNodeCount": 4}}}}).result()
    after = _usages(client, "westus2")
    # Azure counts allocated nodes: 2 (minNodeCount) x 4 vCPUs
    assert after[FAMILY_USAGE].current_value - before[FAMILY_USAGE].current_value == 8
    assert after[TOTAL].current_value - before[TOTAL].current_value == 8
    client.compute.begin_delete(RG, "mlw-quota", "busy", underlying_resource_action="Delete").result()
    assert _usages(client, "westus2")[FAMILY_USAGE].current_value == \
        before[FAMILY_USAGE].current_value
