"""Storage accounts: endpoints, keys (kept in the state and mirrored to Azurite), geo/zone
redundancy rules, global name uniqueness; a deleted account's blobs go with it."""
import logging
import re

from ..errors import ArmError
from .common import name_of, new_key, old_props, others_named, props, region

log = logging.getLogger("emulator.hooks")

# Azure's region pairs (https://learn.microsoft.com/azure/reliability/cross-region-replication-azure),
# what a geo-redundant storage account gets as secondaryLocation. A few pairs are one-way
# (westus3 -> eastus, brazilsouth -> southcentralus, westindia -> southindia).
PAIRED_REGIONS = {}
for _a, _b in (("eastus", "westus"), ("eastus2", "centralus"),
               ("northcentralus", "southcentralus"), ("westus2", "westcentralus"),
               ("canadacentral", "canadaeast"), ("westeurope", "northeurope"),
               ("uksouth", "ukwest"), ("francecentral", "francesouth"),
               ("germanywestcentral", "germanynorth"), ("switzerlandnorth", "switzerlandwest"),
               ("norwayeast", "norwaywest"), ("swedencentral", "swedensouth"),
               ("eastasia", "southeastasia"), ("japaneast", "japanwest"),
               ("koreacentral", "koreasouth"), ("australiaeast", "australiasoutheast"),
               ("australiacentral", "australiacentral2"), ("centralindia", "southindia"),
               ("southafricanorth", "southafricawest"), ("uaenorth", "uaecentral"),
               ("brazilsoutheast", "brazilsouth"), ("jioindiawest", "jioindiacentral"),
               ("centraluseuap", "eastus2euap")):
    PAIRED_REGIONS[_a] = _b
    PAIRED_REGIONS[_b] = _a
PAIRED_REGIONS.update({"westus3": "eastus", "brazilsouth": "southcentralus",
                       "westindia": "southindia"})

GEO_SKUS = ("_grs", "_ragrs", "_gzrs", "_ragzrs")

# Where per-account storage keys live in the state (emulator.azurite reads it at start too).
STORAGE_KEYS = "storageAccountKeys"

# Regions without availability zones: ZRS/GZRS are refused there (RedundancyConfigurationNotAvailableInRegion).
NO_ZONE_REGIONS = frozenset("""
westus northcentralus westcentralus canadaeast ukwest francesouth germanynorth norwaywest
switzerlandwest southafricawest australiasoutheast australiacentral australiacentral2 koreasouth
southindia westindia uaecentral brazilsoutheast jioindiawest jioindiacentral swedensouth
""".split())

ZONE_SKUS = ("standard_zrs", "premium_zrs", "standard_gzrs", "standard_ragzrs")


SA_TYPE = "microsoft.storage/storageaccounts"
_SA_NAME = re.compile(r"^[a-z0-9]{3,24}$")


def storage_keys(ctx):
    return ctx.store.secrets.setdefault(STORAGE_KEYS, {})


def sync_azurite(ctx):
    """Azurite serves exactly the emulated storage accounts, each with its two keys."""
    if ctx.azurite is None:
        return
    accounts = {n: (rec["key1"], rec.get("key2"))
                for n, rec in storage_keys(ctx).items() if isinstance(rec, dict) and rec.get("key1")}
    ctx.azurite.ensure_accounts(accounts)


def blob_endpoint(ctx, account):
    if ctx.azurite is not None and getattr(ctx.azurite, "port", None):
        return ctx.azurite.blob_endpoint(account)
    return f"https://{account}.blob.core.windows.net/"


def check_storage_name(name):
    if not _SA_NAME.match(name or ""):
        raise ArmError(400, "AccountNameInvalid",
                       f"{name} is not a valid storage account name. Storage account name must "
                       "be between 3 and 24 characters in length and use numbers and lower-case "
                       "letters only.", target="accountName")


def storage_put(ctx, rid, resource, existing):
    name = name_of(rid)
    check_storage_name(name)
    if existing is None and others_named(ctx, SA_TYPE, name, rid):
        raise ArmError(409, "StorageAccountAlreadyTaken",
                       f"The storage account named {name} is already taken.")
    _check_redundancy(resource, existing)
    p = props(resource)
    old = old_props(existing)
    now = ctx.iso()
    keys = storage_keys(ctx)
    rec = keys.get(name)
    new_keys = False
    if not isinstance(rec, dict) or existing is None and rec.get("id", rid).lower() != rid.lower():
        rec = keys[name] = {"id": rid, "key1": new_key(), "key2": new_key(),
                            "key1Time": now, "key2Time": now}
        new_keys = True
    elif existing is None:
        # a PUT on an account left half-created (keys kept from the earlier attempt)
        rec["id"] = rid
    if new_keys or (ctx.azurite is not None and name not in getattr(ctx.azurite, "accounts", {})):
        sync_azurite(ctx)

    loc = region(resource, existing)
    sku = ((resource.get("sku") or {}).get("name") or "").lower()
    kind = (resource.get("kind") or "").lower()
    blob = blob_endpoint(ctx, name)
    local = blob.startswith("http://127.0.0.1")

    def endpoints(suffix=""):
        acct = name + suffix
        if local:
            # Azurite serves blobs only; path-style, as for the Azurite account (a secondary
            # would be "<account>-secondary" in Azure: Azurite has no such thing).
            base = blob_endpoint(ctx, name)
            ep = {"blob": base, "dfs": base}
        else:
            ep = {"blob": f"https://{acct}.blob.core.windows.net/",
                  "dfs": f"https://{acct}.dfs.core.windows.net/"}
        if kind != "blockblobstorage":
            ep.update({"queue": f"https://{acct}.queue.core.windows.net/",
                       "table": f"https://{acct}.table.core.windows.net/"})
        if kind in ("storagev2", "storage", "filestorage", ""):
            ep["file"] = f"https://{acct}.file.core.windows.net/"
        return ep

    p["primaryEndpoints"] = endpoints()
    p["primaryLocation"] = loc
    p["statusOfPrimary"] = "available"
    p["creationTime"] = old.get("creationTime") or now
    p["keyCreationTime"] = {"key1": rec.get("key1Time", now), "key2": rec.get("key2Time", now)}
    if sku.endswith(GEO_SKUS):
        p["secondaryLocation"] = PAIRED_REGIONS.get(loc, loc)
        p["statusOfSecondary"] = "available"
        if sku.startswith("standard_ra"):
            p["secondaryEndpoints"] = {k: v for k, v in endpoints("-secondary").items()
                                       if k != "file"}
        else:
            p.pop("secondaryEndpoints", None)
    else:
        for f in ("secondaryLocation", "statusOfSecondary", "secondaryEndpoints"):
            p.pop(f, None)
    # Defaults as Azure applies them (2023-01-01): only fields of the spec.
    if kind in ("storagev2", "blobstorage", "") and "accessTier" not in p:
        p["accessTier"] = old.get("accessTier") or "Hot"
    p.setdefault("supportsHttpsTrafficOnly", old.get("supportsHttpsTrafficOnly", True))
    p.setdefault("minimumTlsVersion", old.get("minimumTlsVersion", "TLS1_0"))
    p.setdefault("allowBlobPublicAccess", old.get("allowBlobPublicAccess", False))
    p.setdefault("encryption", old.get("encryption") or {
        "services": {"blob": {"enabled": True, "keyType": "Account", "lastEnabledTime": now},
                     "file": {"enabled": True, "keyType": "Account", "lastEnabledTime": now}},
        "keySource": "Microsoft.Storage"})
    p.setdefault("networkAcls", old.get("networkAcls") or {
        "bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [],
        "defaultAction": "Allow"})


def _check_redundancy(resource, existing):
    """Geo SKUs need a paired region, zone SKUs a region with availability zones."""
    sku = str((resource.get("sku") or {}).get("name") or "")
    old_sku = str(((existing or {}).get("sku") or {}).get("name") or "")
    if sku.lower() == old_sku.lower():
        return
    loc = region(resource, existing)
    unpaired = sku.lower().endswith(GEO_SKUS) and loc not in PAIRED_REGIONS
    no_zones = sku.lower() in ZONE_SKUS and loc in NO_ZONE_REGIONS
    if unpaired or no_zones:
        # Azure: 400 RedundancyConfigurationNotAvailableInRegion (Esri/arcgis-gitops#160,
        # Azure/ALZ-PowerShell-Module#291)
        raise ArmError(400, "RedundancyConfigurationNotAvailableInRegion",
                       "The storage account failed to create due to redundancy configuration - "
                       f"Sku: {sku}, Kind: {resource.get('kind', 'StorageV2')} - not available in "
                       f"selected Region - {loc}. Please make sure the redundancy configuration "
                       "selected is available in your region. For more information about "
                       "redundancy configurations, see https://docs.microsoft.com/en-us/azure/"
                       "storage/common/storage-redundancy")


def storage_delete(ctx, rid, resource):
    name = name_of(rid)
    keys = storage_keys(ctx)
    rec = keys.get(name)
    if isinstance(rec, dict) and rec.get("id", rid).lower() == rid.lower():
        _purge_blobs(ctx, name, rec.get("key1"))
        keys.pop(name, None)
        ctx.store.save()
        sync_azurite(ctx)


def _purge_blobs(ctx, account, key):
    """A deleted account's data goes with it (Azurite keeps data per account name on disk, so
    an account created again under the same name would otherwise find the old containers)."""
    if ctx.azurite is None or not key or not getattr(ctx.azurite, "running", False):
        return
    try:
        from azure.storage.blob import BlobServiceClient
    except ImportError:                   # the emulator's own dependencies do not need it
        return
    try:
        svc = BlobServiceClient(ctx.azurite.blob_endpoint(account), retry_total=0,
                                credential={"account_name": account, "account_key": key})
        for c in list(svc.list_containers(timeout=10)):
            svc.delete_container(c.name, timeout=10)
    except Exception as e:               # best effort: the account is deleted regardless
        log.warning("could not purge the blobs of deleted account %s: %s", account, e)


PUT = {SA_TYPE: storage_put}
DELETE = {SA_TYPE: storage_delete}
NAME_CHECKS = {SA_TYPE: check_storage_name}
