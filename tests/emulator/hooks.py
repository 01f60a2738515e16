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
import logging
import os
import re
import uuid

from . import regions
from .errors import ArmError
from .store import key_of

log = logging.getLogger("emulator.hooks")

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

# Regions without availability zones: ZRS/GZRS are refused there (RedundancyConfigurationNotAvailableInRegion).
NO_ZONE_REGIONS = frozenset("""
westus northcentralus westcentralus canadaeast ukwest francesouth germanynorth norwaywest
switzerlandwest southafricawest australiasoutheast australiacentral australiacentral2 koreasouth
southindia westindia uaecentral brazilsoutheast jioindiawest jioindiacentral swedensouth
""".split())

ZONE_SKUS = ("standard_zrs", "premium_zrs", "standard_gzrs", "standard_ragzrs")

# Built-in role definitions (name -> GUID), as in Azure; the GUIDs are the same in every tenant.
BUILTIN_ROLES = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "AzureML Compute Operator": "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    "AzureML Registry User": "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
    "AzureML Metrics Writer (preview)": "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
    "Azure AI Developer": "64702f94-c441-49e6-a78b-ef80e0188fee",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "AcrDelete": "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
    "AcrImageSigner": "6cef56e8-d556-48e5-a04f-b8e64114680f",
    "Storage Account Contributor": "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    "Storage Account Key Operator Service Role": "81a9662b-bebf-436f-a333-f67b29880f12",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Delegator": "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",
    "Storage File Data Privileged Contributor": "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    "Storage File Data Privileged Reader": "b8eda974-7b85-4f76-af95-65846b26df6d",
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Monitoring Reader": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    "Monitoring Contributor": "749f88d5-cbae-40b8-bcfc-e573ddc772fa",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
BUILTIN_ROLE_IDS = {v.lower(): k for k, v in BUILTIN_ROLES.items()}


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


# ----------------------------------------------------------------- more helpers
def _now(ctx):
    return ctx.iso() if hasattr(ctx, "iso") else ctx.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parent(resource_id):
    return resource_id.rstrip("/").rsplit("/", 2)[0]


def _prev_props(existing):
    return ((existing or {}).get("properties") or {}) if isinstance(existing, dict) else {}


def _location(resource, existing=None):
    loc = resource.get("location") or (existing or {}).get("location") or ""
    return regions.normalize(loc)


def _same_id(a, b):
    return (a or "").rstrip("/").lower() == (b or "").rstrip("/").lower()


def _others_named(ctx, resource_type, name, resource_id):
    """Resources of a globally-named type with this name, other than this one."""
    return [r for r in ctx.store.find(resource_type)
            if str(r.get("name", "")).lower() == name.lower() and not _same_id(r.get("id"), resource_id)]


def _resource_group(resource_id):
    segs = resource_id.strip("/").split("/")
    for i, s in enumerate(segs[:-1]):
        if s.lower() == "resourcegroups":
            return segs[i + 1]
    return None


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
    _check_redundancy(resource, existing)
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


def _check_redundancy(resource, existing):
    """Geo SKUs need a paired region, zone SKUs a region with availability zones."""
    sku = str((resource.get("sku") or {}).get("name") or "")
    old_sku = str(((existing or {}).get("sku") or {}).get("name") or "")
    if sku.lower() == old_sku.lower():
        return
    loc = _region(resource, existing)
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


def _storage_delete(ctx, rid, resource):
    name = _name(rid)
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


# ============================================================================ key vaults
VAULT_NAME_RE = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")


def check_vault_name(name):
    if not VAULT_NAME_RE.match(name or ""):
        # Azure: 400 VaultNameNotValid (Key Vault RP wording; not confirmed against a capture)
        raise ArmError(400, "VaultNameNotValid",
                       f"The vault name '{name}' is invalid. A vault's name must be between 3-24 "
                       "alphanumeric characters. The name must begin with a letter, end with a letter "
                       "or digit, and not contain consecutive hyphens. Follow this link for more "
                       "information: https://go.microsoft.com/fwlink/?linkid=2147742")


def vault_put(ctx, rid, resource, existing):
    name = _name(rid)
    check_vault_name(name)
    if _others_named(ctx, "Microsoft.KeyVault/vaults", name, rid):
        # Azure: 409 VaultAlreadyExists (Azure/ARO-Landing-Zone-Accelerator#28)
        raise ArmError(409, "VaultAlreadyExists",
                       f"The vault name '{name}' is already in use. Vault names are globally unique so "
                       "it is possible that the name is already taken. If you are sure that the vault "
                       "name was not taken then it is possible that a vault with the same name was "
                       "recently deleted but not purged after being placed in a recoverable state. If "
                       "the vault is in a recoverable state then the vault will need to be purged "
                       "before reusing the name. For more information about VaultAlreadyExists, soft "
                       "delete and purging a vault follow this link "
                       "https://go.microsoft.com/fwlink/?linkid=2147740.")
    p = _props(resource)
    tenant = str(p.get("tenantId") or "")
    if tenant.lower() != ctx.tenant_id.lower():
        # Azure refuses a tenant the subscription does not trust (the exact code is not
        # documented; BadRequest is what ARM answers for invalid property values).
        raise ArmError(400, "BadRequest",
                       f"The tenant '{tenant}' is not valid for this subscription: a vault's tenantId "
                       f"must be the subscription's tenant '{ctx.tenant_id}'.")
    old = _prev_props(existing)
    if old.get("enablePurgeProtection") and p.get("enablePurgeProtection") is False:
        raise ArmError(400, "BadRequest",
                       'The property "enablePurgeProtection" cannot be set to false. Enabling the purge '
                       "protection for a vault is an irreversible action.")
    p["vaultUri"] = f"https://{name}.vault.azure.net/"
    p.setdefault("accessPolicies", [])
    p.setdefault("enableSoftDelete", True)
    p.setdefault("softDeleteRetentionInDays", 90)
    p.setdefault("enableRbacAuthorization", False)
    p.setdefault("publicNetworkAccess", "Enabled")
    p.pop("createMode", None)           # write-only in practice: GET never shows it


# ============================================================== container registries
ACR_NAME_RE = re.compile(r"^[a-zA-Z0-9]{5,50}$")


def check_registry_name(name):
    if not ACR_NAME_RE.match(name or ""):
        # The ACR RP's code for this is not public; checkNameAvailability calls the reason "Invalid".
        raise ArmError(400, "InvalidRegistryName",
                       f"The registry name '{name}' is invalid: a registry name must be 5-50 "
                       "alphanumeric characters.")


def registry_put(ctx, rid, resource, existing):
    name = _name(rid)
    check_registry_name(name)
    if _others_named(ctx, "Microsoft.ContainerRegistry/registries", name, rid):
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
    p = _props(resource)
    old = _prev_props(existing)
    p["loginServer"] = f"{name.lower()}.azurecr.io"
    p["creationDate"] = old.get("creationDate") or _now(ctx)
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
    loc = _location(resource, existing)
    if loc == regions.normalize(registry.get("location")):
        raise ArmError(400, "ReplicationLocationInvalid",          # code not confirmed
                       f"A replication cannot be created in the registry's home location '{loc}'; "
                       "the home region is already served by the registry itself.")
    for other in ctx.store.children(reg_id, "Microsoft.ContainerRegistry/registries/replications"):
        if regions.normalize(other.get("location")) == loc and not _same_id(other.get("id"), rid):
            raise ArmError(409, "Conflict",
                           f"The registry already has a replication in '{loc}' ({other.get('name')}).")
    p = _props(resource)
    p.setdefault("regionEndpointEnabled", True)
    p.setdefault("zoneRedundancy", "Disabled")
    p["status"] = {"displayStatus": "Ready", "timestamp": _now(ctx)}


# ====================================================================== app insights
def component_put(ctx, rid, resource, existing):
    p = _props(resource)
    old = _prev_props(existing)
    name = _name(rid)
    loc = _location(resource, existing)
    p["AppId"] = old.get("AppId") or str(uuid.uuid4())
    p["ApplicationId"] = name
    p["Name"] = name
    p["InstrumentationKey"] = old.get("InstrumentationKey") or str(uuid.uuid4())
    p["ConnectionString"] = (
        f"InstrumentationKey={p['InstrumentationKey']};"
        f"IngestionEndpoint=https://{loc}-0.in.applicationinsights.azure.com/;"
        f"LiveEndpoint=https://{loc}.livediagnostics.monitor.azure.com/;ApplicationId={p['AppId']}")
    p["CreationDate"] = old.get("CreationDate") or _now(ctx)
    # Application Insights reports the *subscription* id in TenantId (a long-standing quirk).
    p["TenantId"] = ctx.subscription_id
    p.setdefault("RetentionInDays", 90)
    p.setdefault("IngestionMode", "LogAnalytics" if p.get("WorkspaceResourceId") else "ApplicationInsights")
    p.setdefault("publicNetworkAccessForIngestion", "Enabled")
    p.setdefault("publicNetworkAccessForQuery", "Enabled")
    p.setdefault("Request_Source", "rest")
    p["provisioningState"] = "Succeeded"


# ======================================================================= ML workspaces
_WS_LINKS = (("storageAccount", "Microsoft.Storage/storageAccounts"),
             ("keyVault", "Microsoft.KeyVault/vaults"),
             ("applicationInsights", "Microsoft.Insights/components"),
             ("containerRegistry", "Microsoft.ContainerRegistry/registries"))


def workspace_put(ctx, rid, resource, existing):
    p = _props(resource)
    old = _prev_props(existing)
    for prop, rtype in _WS_LINKS:
        ref = p.get(prop)
        if not ref:
            # Azure ML requires a storage account, but client tools (azure-ai-ml) create it
            # before the workspace; the emulator's own tests create bare workspaces, so a
            # missing link is accepted and only a link to nothing is refused.
            continue
        if not ctx.store.exists(ref):
            # Azure ML validates the linked resources before creating the workspace; the exact
            # code is not public, ARM's generic BadRequest is used.
            short = rtype.rsplit("/", maxsplit=1)[-1][:-1]
            raise ArmError(400, "BadRequest",
                           f"The {short} '{ref}' linked to the workspace was not found.",
                           target=f"properties.{prop}")
        target = ctx.store.get(ref)
        if str(target.get("type", "")).lower() != rtype.lower():
            raise ArmError(400, "BadRequest", f"'{ref}' is not a {rtype} resource.",
                           target=f"properties.{prop}")
    if existing is not None:
        if bool(old.get("hbiWorkspace", False)) != bool(p.get("hbiWorkspace", old.get("hbiWorkspace", False))):
            raise ArmError(400, "BadRequest",
                           "hbiWorkspace cannot be changed after the workspace is created.",
                           target="properties.hbiWorkspace")
        if old.get("storageAccount") and p.get("storageAccount") and \
                not _same_id(old["storageAccount"], p["storageAccount"]):
            raise ArmError(400, "BadRequest",
                           "The workspace's storage account cannot be changed after creation.",
                           target="properties.storageAccount")
    loc = _location(resource, existing)
    p["workspaceId"] = old.get("workspaceId") or str(uuid.uuid4())
    p["discoveryUrl"] = f"https://{loc}.api.azureml.ms/discovery"
    p["mlFlowTrackingUri"] = f"azureml://{loc}.api.azureml.ms/mlflow/v1.0{rid}"
    p["tenantId"] = ctx.tenant_id
    p["privateLinkCount"] = 0
    p["privateEndpointConnections"] = []
    p.setdefault("hbiWorkspace", bool(old.get("hbiWorkspace", False)))
    p.setdefault("publicNetworkAccess", "Enabled")
    p.setdefault("v1LegacyMode", False)
    p.setdefault("friendlyName", _name(rid))
    sa = ctx.store.get(p["storageAccount"]) if p.get("storageAccount") else None
    p["storageHnsEnabled"] = bool(((sa or {}).get("properties") or {}).get("isHnsEnabled", False))


def compute_put(ctx, rid, resource, existing):
    p = _props(resource)                       # Compute (discriminated by computeType)
    old = _prev_props(existing)
    now = _now(ctx)
    p["createdOn"] = old.get("createdOn") or now
    p["modifiedOn"] = now
    p.setdefault("computeLocation", old.get("computeLocation") or _location(resource, existing)
                 or _workspace_location(ctx, rid))
    p["isAttachedCompute"] = False
    if "disableLocalAuth" not in p:
        p["disableLocalAuth"] = bool(old.get("disableLocalAuth", False))
    if existing is not None and old.get("computeType") and \
            str(old["computeType"]).lower() != str(p.get("computeType", "")).lower():
        raise ArmError(409, "Conflict",
                       f"Compute '{_name(rid)}' already exists with computeType "
                       f"'{old['computeType']}'; the compute type cannot be changed.")
    if p.get("computeType") == "AmlCompute":
        inner = p.setdefault("properties", {})
        if not isinstance(inner, dict):
            return
        old_inner = old.get("properties") or {}
        if existing is not None:
            # An AmlCompute cluster's VM size and priority are fixed when it is created (Azure
            # ML updates scale settings, idle time, description and tags in place only). The
            # exact Azure code is not public; 409 Conflict: the existing cluster conflicts
            # with the request, and nothing is changed.
            for field, default in (("vmSize", None), ("vmPriority", "Dedicated")):
                before = old_inner.get(field, default)
                after = inner.get(field, before)
                if before and after and str(before).lower() != str(after).lower():
                    raise ArmError(409, "Conflict",
                                   f"The {field} of AmlCompute '{_name(rid)}' cannot be changed "
                                   f"from '{before}' to '{after}'; delete and recreate the "
                                   "cluster to change it.",
                                   target=f"properties.properties.{field}")
        scale = inner.get("scaleSettings") or {}
        target = int(scale.get("minNodeCount") or 0)
        inner.setdefault("osType", "Linux")
        inner.setdefault("vmPriority", "Dedicated")
        inner.setdefault("remoteLoginPortPublicAccess", "NotSpecified")
        inner.setdefault("isolatedNetwork", False)
        inner.setdefault("enableNodePublicIp", True)
        if isinstance(inner.get("scaleSettings"), dict):
            inner["scaleSettings"].setdefault("minNodeCount", 0)
            inner["scaleSettings"].setdefault("nodeIdleTimeBeforeScaleDown", "PT120S")
        inner["allocationState"] = "Steady"
        # the allocation state moves only when the node count does
        same = existing is not None and old_inner.get("targetNodeCount") == target
        inner["allocationStateTransitionTime"] = \
            old_inner.get("allocationStateTransitionTime", now) if same else now
        inner["currentNodeCount"] = target
        inner["targetNodeCount"] = target
        inner["nodeStateCounts"] = {"idleNodeCount": target, "runningNodeCount": 0,
                                    "preparingNodeCount": 0, "unusableNodeCount": 0,
                                    "leavingNodeCount": 0, "preemptedNodeCount": 0}
        inner["errors"] = None


def _workspace_location(ctx, rid):
    ws = ctx.store.get(rid.split("/computes/")[0]) if "/computes/" in rid else None
    return regions.normalize((ws or {}).get("location"))


# ============================================================ ML asset containers/versions
ASSET_VERSION_RE = re.compile(r"^microsoft\.machinelearningservices/(workspaces|registries)/"
                              r"(models|environments|components|data|codes)/versions$")
ASSET_CONTAINER_RE = re.compile(r"^microsoft\.machinelearningservices/(workspaces|registries)/"
                                r"(models|environments|components|data|codes)$")
# Registered asset versions are immutable in Azure ML except these (x-ms-mutability "update" or
# no mutability restriction in the 2024-04-01 spec, and what the service lets you edit):
VERSION_MUTABLE = {"description", "tags", "isArchived", "stage", "properties", "provisioningState"}
_ASSET_KIND = {"models": "Model", "environments": "Environment", "components": "Component",
               "data": "Data", "codes": "Code"}
# Server-side defaults Azure ML fills in (so a re-PUT of the same body compares equal)
_VERSION_DEFAULTS = {"isAnonymous": False, "isArchived": False}
_ENV_DEFAULTS = {"autoRebuild": "Disabled", "osType": "Linux"}


def _norm(value):
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def asset_version_put(ctx, rid, resource, existing, scope_kind, asset):
    p = _props(resource)
    for k, v in _VERSION_DEFAULTS.items():
        p.setdefault(k, v)
    if asset == "environments":
        for k, v in _ENV_DEFAULTS.items():
            p.setdefault(k, v)
        p.setdefault("environmentType", "UserCreated")
    if existing is not None:
        # Azure ML: a registered version cannot be changed, only its description, tags, stage,
        # archive flag and (add-only) properties. The service answers
        # "(UserError) Environment test_env with version 6 is already registered and cannot be
        # changed." (Azure/azure-cli-extensions#5440) and "Value of property X for model Y
        # cannot be replaced ... without increasing the version" (Azure/azureml-assets#3439).
        # Emulated as 409 UserError: the sync's conflict detection relies on it (same name and
        # version with different content must never be overwritten silently).
        old = _prev_props(existing)
        kind = _ASSET_KIND[asset]
        container = _name(_parent(rid))
        version = _name(rid)
        changed = sorted(k for k in set(old) | set(p)
                         if k not in VERSION_MUTABLE and _norm(old.get(k)) != _norm(p.get(k)))
        if changed:
            raise ArmError(409, "UserError",
                           f"{kind} {container} with version {version} is already registered and "
                           f"cannot be changed (immutable fields differ: {', '.join(changed)}).",
                           details=[{"code": "Immutable", "target": f"properties.{k}",
                                     "message": f"'{k}' cannot be changed on a registered version."}
                                    for k in changed])
        old_bag = old.get("properties") or {}
        new_bag = p.get("properties") or {}
        for k, v in old_bag.items():
            if k in new_bag and new_bag[k] != v:
                raise ArmError(409, "UserError",
                               f"Value of property {k} for {kind.lower()} {container} cannot be "
                               f"replaced to {new_bag[k]} without increasing the version.")
        if old_bag:
            p["properties"] = {**old_bag, **new_bag}     # properties are add-only
    container_id = _parent(rid)
    _refresh_container(ctx, container_id, add=(rid, resource))


def _version_sort_key(ctx, r):
    meta = ctx.store.meta.get("/" + str(r.get("id", "")).strip("/").lower(), {})
    return meta.get("created", float("inf"))


def _refresh_container(ctx, container_id, add=None, remove=None):
    """latestVersion / nextVersion of an asset container from its versions."""
    container = ctx.store.get(container_id)
    if container is None:
        return
    vtype = container.get("type", "") + "/versions"
    versions = [v for v in ctx.store.children(container_id, vtype)
                if not (remove and _same_id(v.get("id"), remove))
                and not (add and _same_id(v.get("id"), add[0]))]
    versions.sort(key=lambda r: _version_sort_key(ctx, r))
    names = [v.get("name") for v in versions]
    if add:
        names.append(_name(add[0]))
    _set_versions(_props(container), names)
    ctx.store.put(container_id, container)


def _set_versions(props, names):
    props["latestVersion"] = names[-1] if names else None
    numeric = [int(n) for n in names if str(n).isdigit()]
    props["nextVersion"] = str(max(numeric) + 1) if numeric else "1"
    if props["latestVersion"] is None:
        props.pop("latestVersion")


def asset_container_put(ctx, rid, resource, existing):
    p = _props(resource)
    p.setdefault("isArchived", False)
    vtype = resource.get("type", "") + "/versions"
    versions = sorted(ctx.store.children(rid, vtype), key=lambda r: _version_sort_key(ctx, r))
    _set_versions(p, [v.get("name") for v in versions])
    old = _prev_props(existing)
    if existing is not None and old.get("dataType") and p.get("dataType") and \
            old["dataType"] != p["dataType"]:
        raise ArmError(409, "UserError", f"The dataType of data asset {_name(rid)} cannot be changed.")


def asset_version_delete(ctx, rid, resource):
    _refresh_container(ctx, _parent(rid), remove=rid)


# ============================================================================= datastores
def datastore_put(ctx, rid, resource, existing):
    p = _props(resource)
    creds = p.get("credentials") or {}
    ctype = creds.get("credentialsType")
    secrets = creds.get("secrets")
    if ctype in ("AccountKey", "Sas", "ServicePrincipal", "Certificate") and secrets is None \
            and existing is None:
        raise ArmError(400, "UserError", f"The {ctype} credentials of datastore {_name(rid)} need "
                       "their secrets.", target="properties.credentials.secrets")
    if isinstance(secrets, dict) and "secretsType" in secrets and ctype and \
            secrets["secretsType"] != ctype:
        raise ArmError(400, "UserError", f"secretsType '{secrets['secretsType']}' does not match "
                       f"credentialsType '{ctype}'.", target="properties.credentials.secrets")
    # Azure ML accepts any account name (it does not check the account exists); so does the
    # emulator. isDefault is read-only: only workspaceblobstore is the default one.
    p["isDefault"] = bool(_prev_props(existing).get("isDefault", False))
    if p.get("datastoreType") in ("AzureBlob", "AzureDataLakeGen2", "AzureFile"):
        p.setdefault("endpoint", "core.windows.net")
        p.setdefault("protocol", "https")
        p.setdefault("serviceDataAccessAuthIdentity", "None")
        if not p.get("subscriptionId"):
            p["subscriptionId"] = ctx.subscription_id
        if not p.get("resourceGroup"):
            p["resourceGroup"] = _resource_group(rid)


# ======================================================================= role assignments
ROLE_DEF_RE = re.compile(r"^(?:/subscriptions/([^/]+))?/providers/Microsoft\.Authorization/"
                         r"roleDefinitions/([0-9a-fA-F-]{36})$", re.IGNORECASE)


def _ra_scope(rid):
    i = rid.lower().rfind("/providers/microsoft.authorization/roleassignments/")
    return rid[:i] if i > 0 else "/"


def _role_guid(role_definition_id):
    m = ROLE_DEF_RE.match(role_definition_id or "")
    return m.group(2).lower() if m else None


def role_assignment_put(ctx, rid, resource, existing):
    p = _props(resource)
    scope = _ra_scope(rid)
    rd = str(p.get("roleDefinitionId") or "")
    m = ROLE_DEF_RE.match(rd)
    guid = m.group(2).lower() if m else None
    if m is None or guid not in BUILTIN_ROLE_IDS or \
            (m.group(1) and m.group(1).lower() != ctx.subscription_id.lower()):
        # Azure: 400 RoleDefinitionDoesNotExist
        shown = guid or rd
        raise ArmError(400, "RoleDefinitionDoesNotExist",
                       f"The specified role definition with ID '{shown}' does not exist.")
    p["roleDefinitionId"] = (f"/subscriptions/{ctx.subscription_id}/providers/"
                             f"Microsoft.Authorization/roleDefinitions/{guid}")
    pid = str(p.get("principalId") or "")
    if existing is not None:
        old = _prev_props(existing)
        if str(old.get("principalId", "")).lower() != pid.lower() or \
                _role_guid(old.get("roleDefinitionId")) != guid:
            # Azure: 400 RoleAssignmentUpdateNotPermitted (OfficeDev/...company-communicator#569)
            raise ArmError(400, "RoleAssignmentUpdateNotPermitted",
                           "Tenant ID, application ID, principal ID, and scope are not allowed to "
                           "be updated.")
    principal = ctx.directory.principal(pid) if hasattr(ctx.directory, "principal") else None
    known = principal is not None or ctx.directory.has_principal(pid)
    wanted_type = p.get("principalType")
    if not known and not wanted_type:
        # Azure: 400 PrincipalNotFound (Azure/HubAndSpokeResearchEnclave#50). With principalType
        # set ARM skips the directory lookup (for replication delays), so it is accepted then.
        raise ArmError(400, "PrincipalNotFound",
                       f"Principal {pid.replace('-', '')} does not exist in the directory "
                       f"{ctx.tenant_id}. Check that you have the correct principal ID. If you are "
                       "creating this principal and then immediately assigning a role, this error "
                       "might be related to a replication delay. In this case, set the role "
                       "assignment principalType property to a value, such as ServicePrincipal, "
                       "User, or Group.  See https://aka.ms/docs-principaltype")
    actual_type = (principal or {}).get("kind")
    if wanted_type and actual_type and wanted_type != actual_type:
        # Azure: 400 UnmatchedPrincipalType (Azure/azure-dev#5814; "PrinciaplType" is Azure's typo)
        raise ArmError(400, "UnmatchedPrincipalType",
                       f"The PrincipalId '{pid.replace('-', '')}' has type '{actual_type}' , which is "
                       f"different from specified PrinciaplType '{wanted_type}'.")
    p["principalType"] = wanted_type or actual_type or "User"
    for other in ctx.store.find("Microsoft.Authorization/roleAssignments"):
        op = other.get("properties") or {}
        if _same_id(other.get("id"), rid):
            continue
        if _same_id(op.get("scope") or _ra_scope(other.get("id", "")), scope) and \
                str(op.get("principalId", "")).lower() == pid.lower() and \
                _role_guid(op.get("roleDefinitionId")) == guid:
            # Azure: 409 RoleAssignmentExists (hashicorp/terraform-provider-azurerm#28694)
            raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
    old = _prev_props(existing)
    now = _now(ctx)
    p["scope"] = scope
    p["createdOn"] = old.get("createdOn") or now
    p["updatedOn"] = now
    who = None
    try:
        who = ctx.directory.principal_object_id
    except Exception:
        pass
    p["createdBy"] = old.get("createdBy") or who
    p["updatedBy"] = who
    if p.get("createdBy") is None:
        p.pop("createdBy")
    if p.get("updatedBy") is None:
        p.pop("updatedBy")


# ============================================================================ dispatch
# Name rules checked before the swagger validation (whose pattern errors would otherwise
# answer the generic InvalidRequestContent where the provider gives its own code).
_NAME_CHECKS = {SA_TYPE: check_storage_name,
                "microsoft.keyvault/vaults": check_vault_name,
                "microsoft.containerregistry/registries": check_registry_name}


def pre_validate(ctx, match, method, path_params, body):
    if method != "PUT":
        return
    check = _NAME_CHECKS.get(_t(match.resource_type))
    if check is not None:
        last = re.findall(r"\{([^}]+)\}", match.path_template)
        check(path_params.get(last[-1], "") if last else "")


def _rg_put(ctx, rid, resource, existing):
    _props(resource)["provisioningState"] = "Succeeded"


_PUT = {
    SA_TYPE: _storage_put,
    "microsoft.keyvault/vaults": vault_put,
    "microsoft.containerregistry/registries": registry_put,
    "microsoft.containerregistry/registries/replications": replication_put,
    "microsoft.insights/components": component_put,
    "microsoft.machinelearningservices/workspaces": workspace_put,
    "microsoft.machinelearningservices/workspaces/computes": compute_put,
    "microsoft.machinelearningservices/workspaces/datastores": datastore_put,
    "microsoft.authorization/roleassignments": role_assignment_put,
    "microsoft.resources/resourcegroups": _rg_put,
}
_DELETE = {SA_TYPE: _storage_delete}


def on_put(ctx, resource_type, resource_id, resource, existing):
    t = _t(resource_type)
    fn = _PUT.get(t)
    if fn is not None:
        return fn(ctx, resource_id, resource, existing)
    m = ASSET_VERSION_RE.match(t)
    if m:
        return asset_version_put(ctx, resource_id, resource, existing, m.group(1), m.group(2))
    if ASSET_CONTAINER_RE.match(t):
        return asset_container_put(ctx, resource_id, resource, existing)
    return None


def on_delete(ctx, resource_type, resource_id, resource):
    t = _t(resource_type)
    fn = _DELETE.get(t)
    if fn is not None:
        return fn(ctx, resource_id, resource)
    if ASSET_VERSION_RE.match(t):
        return asset_version_delete(ctx, resource_id, resource)
    return None
