"""Per-type server-side behaviour of the emulated resources (the engine calls these).

``on_put(ctx, resource_type, resource_id, resource, existing)`` mutates ``resource`` in place
(server-side read-only fields: endpoints, keys, ids, timestamps) and refuses what Azure refuses
by raising ``ArmError(status, code, message)``. ``on_delete(ctx, resource_type, resource_id,
resource)`` cleans up side state (keys, Azurite accounts).

The engine strips readOnly fields from a PUT body, so every server field is recomputed here on
each write, keeping the values that must stay stable (keys, creation times, generated ids) from
``existing``. Everything added must be in the spec's response schema (strict responses).
"""
import base64
import os
import re
import uuid

from .errors import ArmError
from .store import key_of, parent_id

# --------------------------------------------------------------------------- shared tables

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


def _t(resource_type):
    return (resource_type or "").lower()


def _name(resource_id):
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _props(resource):
    p = resource.get("properties")
    if not isinstance(p, dict):
        p = resource["properties"] = {}
    return p


def _old_props(existing):
    return ((existing or {}).get("properties") or {}) if isinstance(existing, dict) else {}


def _new_key():
    return base64.b64encode(os.urandom(64)).decode()


def _others(ctx, resource_type, resource_id):
    """Resources of this type anywhere in the emulator, except resource_id itself."""
    me = key_of(resource_id)
    return [r for r in ctx.store.find(resource_type) if key_of(r.get("id", "")) != me]


def _region(resource, existing=None):
    loc = resource.get("location") or (existing or {}).get("location") or ""
    return loc.replace(" ", "").lower()


# ============================================================================ storage
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


def _storage_put(ctx, rid, resource, existing):
    name = _name(rid)
    check_storage_name(name)
    if existing is None:
        for other in _others(ctx, SA_TYPE, rid):
            if other.get("name", "").lower() == name.lower():
                raise ArmError(409, "StorageAccountAlreadyTaken",
                               f"The storage account named {name} is already taken.")
    props = _props(resource)
    old = _old_props(existing)
    now = ctx.iso()
    keys = storage_keys(ctx)
    rec = keys.get(name)
    new_keys = False
    if not isinstance(rec, dict) or existing is None and rec.get("id", rid).lower() != rid.lower():
        rec = keys[name] = {"id": rid, "key1": _new_key(), "key2": _new_key(),
                            "key1Time": now, "key2Time": now}
        new_keys = True
    elif existing is None:
        # a PUT on an account left half-created (keys kept from the earlier attempt)
        rec["id"] = rid
    if new_keys or (ctx.azurite is not None and name not in getattr(ctx.azurite, "accounts", {})):
        sync_azurite(ctx)

    region = _region(resource, existing)
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

    props["primaryEndpoints"] = endpoints()
    props["primaryLocation"] = region
    props["statusOfPrimary"] = "available"
    props["creationTime"] = old.get("creationTime") or now
    props["keyCreationTime"] = {"key1": rec.get("key1Time", now), "key2": rec.get("key2Time", now)}
    if sku.endswith(GEO_SKUS):
        props["secondaryLocation"] = PAIRED_REGIONS.get(region, region)
        props["statusOfSecondary"] = "available"
        if sku.startswith("standard_ra"):
            props["secondaryEndpoints"] = {k: v for k, v in endpoints("-secondary").items()
                                           if k != "file"}
        else:
            props.pop("secondaryEndpoints", None)
    else:
        for f in ("secondaryLocation", "statusOfSecondary", "secondaryEndpoints"):
            props.pop(f, None)
    # Defaults as Azure applies them (2023-01-01): only fields of the spec.
    if kind in ("storagev2", "blobstorage", "") and "accessTier" not in props:
        props["accessTier"] = old.get("accessTier") or "Hot"
    props.setdefault("supportsHttpsTrafficOnly", old.get("supportsHttpsTrafficOnly", True))
    props.setdefault("minimumTlsVersion", old.get("minimumTlsVersion", "TLS1_0"))
    props.setdefault("allowBlobPublicAccess", old.get("allowBlobPublicAccess", False))
    props.setdefault("encryption", old.get("encryption") or {
        "services": {"blob": {"enabled": True, "keyType": "Account", "lastEnabledTime": now},
                     "file": {"enabled": True, "keyType": "Account", "lastEnabledTime": now}},
        "keySource": "Microsoft.Storage"})
    props.setdefault("networkAcls", old.get("networkAcls") or {
        "bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [],
        "defaultAction": "Allow"})


def _storage_delete(ctx, rid, resource):
    name = _name(rid)
    keys = storage_keys(ctx)
    rec = keys.get(name)
    if isinstance(rec, dict) and rec.get("id", rid).lower() == rid.lower():
        keys.pop(name, None)
        ctx.store.save()
        sync_azurite(ctx)


# ============================================================================ dispatch
# Name rules checked before the swagger validation (whose pattern errors would otherwise
# answer the generic InvalidRequestContent where the provider gives its own code).
_NAME_CHECKS = {SA_TYPE: check_storage_name}


def pre_validate(ctx, match, method, path_params, body):
    if method != "PUT":
        return
    check = _NAME_CHECKS.get(_t(match.resource_type))
    if check is not None:
        last = re.findall(r"\{([^}]+)\}", match.path_template)
        check(path_params.get(last[-1], "") if last else "")


_PUT = {SA_TYPE: _storage_put}
_DELETE = {SA_TYPE: _storage_delete}


def on_put(ctx, resource_type, resource_id, resource, existing):
    fn = _PUT.get(_t(resource_type))
    if fn is not None:
        fn(ctx, resource_id, resource, existing)


def on_delete(ctx, resource_type, resource_id, resource):
    fn = _DELETE.get(_t(resource_type))
    if fn is not None:
        fn(ctx, resource_id, resource)
