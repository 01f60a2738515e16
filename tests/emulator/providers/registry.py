"""Container registries and their geo-replications: name rules, global DNS names, Premium-only
replications (none in the home region, one per region), SKU downgrade with replications."""
import re

from .. import regions
from ..errors import ArmError
from .common import name_of, old_props, others_named, props, region, same_id

ACR_TYPE = "microsoft.containerregistry/registries"
ACR_NAME_RE = re.compile(r"^[a-zA-Z0-9]{5,50}$")


def check_registry_name(name):
    if not ACR_NAME_RE.match(name or ""):
        # The ACR RP's code for this is not public; checkNameAvailability calls the reason "Invalid".
        raise ArmError(400, "InvalidRegistryName",
                       f"The registry name '{name}' is invalid: a registry name must be 5-50 "
                       "alphanumeric characters.")


def registry_put(ctx, rid, resource, existing):
    name = name_of(rid)
    check_registry_name(name)
    if others_named(ctx, "Microsoft.ContainerRegistry/registries", name, rid):
        # Message as Azure gives it (Azure/azure-cli#13951); the code is not in the issue.
        raise ArmError(409, "AlreadyInUse",
                       f"The registry DNS name {name.lower()}.azurecr.io is already in use. You can check "
                       "if the name is already claimed using following API: https://docs.microsoft.com/"
                       "en-us/rest/api/containerregistry/registries/checknameavailability")
    sku = resource.setdefault("sku", {})
    sku["tier"] = sku.get("name")
    old_sku = ((existing or {}).get("sku") or {}).get("name")
    if old_sku == "Premium" and sku.get("name") != "Premium" and \
            ctx.store.children(rid, "Microsoft.ContainerRegistry/registries/replications"):
        raise ArmError(400, "CannotDowngradeSku",       # code not confirmed
                       f"The registry '{name}' has geo-replications: delete them before changing the "
                       f"SKU from Premium to {sku.get('name')}.")
    p = props(resource)
    old = old_props(existing)
    p["loginServer"] = f"{name.lower()}.azurecr.io"
    p["creationDate"] = old.get("creationDate") or ctx.iso()
    p.setdefault("adminUserEnabled", False)
    p.setdefault("dataEndpointEnabled", False)
    p["dataEndpointHostNames"] = []
    p.setdefault("publicNetworkAccess", "Enabled")
    p.setdefault("networkRuleBypassOptions", "AzureServices")
    p.setdefault("zoneRedundancy", "Disabled")
    p.setdefault("encryption", {"status": "disabled"})
    p.setdefault("policies", {
        "quarantinePolicy": {"status": "disabled"},
        "trustPolicy": {"type": "Notary", "status": "disabled"},
        "retentionPolicy": {"days": 7, "status": "disabled"},
        "exportPolicy": {"status": "enabled"}})
    p["privateEndpointConnections"] = []


def replication_put(ctx, rid, resource, existing):
    reg_id = rid.rsplit("/replications/", 1)[0]
    registry = ctx.store.get(reg_id)
    if registry is None:
        return                                  # the engine answers 404 for the parent
    tier = ((registry.get("sku") or {}).get("name") or "")
    if tier != "Premium":
        # Geo-replication is a Premium feature; the RP's exact code could not be confirmed.
        raise ArmError(400, "RegistrySkuNotSupported",
                       f"Geo-replication is not supported for the registry '{registry.get('name')}' "
                       f"with SKU '{tier}'. Upgrade the registry to the Premium SKU to create "
                       "replications. For more information, please visit https://aka.ms/acr/tiers.")
    loc = region(resource, existing)
    if loc == regions.normalize(registry.get("location")):
        raise ArmError(400, "ReplicationLocationInvalid",          # code not confirmed
                       f"A replication cannot be created in the registry's home location '{loc}'; "
                       "the home region is already served by the registry itself.")
    for other in ctx.store.children(reg_id, "Microsoft.ContainerRegistry/registries/replications"):
        if regions.normalize(other.get("location")) == loc and not same_id(other.get("id"), rid):
            raise ArmError(409, "Conflict",
                           f"The registry already has a replication in '{loc}' ({other.get('name')}).")
    p = props(resource)
    p.setdefault("regionEndpointEnabled", True)
    p.setdefault("zoneRedundancy", "Disabled")
    p["status"] = {"displayStatus": "Ready", "timestamp": ctx.iso()}


PUT = {ACR_TYPE: registry_put,
       ACR_TYPE + "/replications": replication_put}
NAME_CHECKS = {ACR_TYPE: check_registry_name}
