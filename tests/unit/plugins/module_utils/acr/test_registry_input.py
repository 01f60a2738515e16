"""acr/registry_plan.input_errors: container_registry and acr_georeplica options checked before any call."""

from ansible_collections.amlops.bcdr.plugins.module_utils.acr.registry_plan import input_errors

REGISTRY_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acrfraud"


def test_registry_options():
    assert input_errors(dict(name="acrfraud", sku="premium", zone_redundancy="Disabled", wait_timeout=900)) == []
    assert input_errors(dict(name="acr-fraud")) == [
        "name: 'acr-fraud' is not a valid container registry name: 5 to 50 letters and digits (no '-', '_' or '.')"]
    assert input_errors(dict(name="acrfraud", sku="Gold")) == ["sku: 'Gold' is not one of Basic, Standard, Premium"]
    assert input_errors(dict(name="acrfraud", public_network_access="Maybe")) == [
        "public_network_access: 'Maybe' is not one of Enabled, Disabled"]
    assert input_errors(dict(name="acrfraud", tags={"x": "y" * 257}, wait_timeout="0")) == [
        "tags.x: the value is 257 characters long; Azure allows at most 256",
        "wait_timeout: must be a positive number of seconds (got 0)"]


def test_georeplica_options():
    good = dict(registry_id=REGISTRY_ID, replicas=[dict(location="westus", zone_redundancy="Disabled")])
    assert input_errors(good, "georeplica") == []
    assert input_errors(dict(registry="acrfraud", resource_group="rg", replicas=[]), "georeplica") == []
    assert input_errors(dict(good, registry_id="not-an-id"), "georeplica") == [
        "registry_id: 'not-an-id' is not a resource ID of type Microsoft.ContainerRegistry/registries (expected "
        "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>)"]
    assert input_errors(dict(good, registry_id=REGISTRY_ID.replace("acrfraud", "acr-x")), "georeplica") == [
        "registry_id: 'acr-x' is not a valid container registry name: 5 to 50 letters and digits (no '-', '_' or '.')"]
    assert input_errors(dict(good, replicas=[dict(location="west us!")]), "georeplica") == [
        "replicas[0].location: 'west us!' is not an Azure region name (letters and digits, like westus)"]
    assert input_errors(dict(good, replicas=[dict(location="westus", tags={"a&b": "c"})]), "georeplica") == [
        "replicas[0].tags: tag name 'a&b' contains one of < > % & \\ ? /, which Azure does not allow in tag names"]
    assert input_errors(dict(good, wait_timeout=-1), "georeplica") == [
        "wait_timeout: must be a positive number of seconds (got -1)"]
