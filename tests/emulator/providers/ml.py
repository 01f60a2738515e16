"""Azure ML: workspaces (links, fixed-after-creation fields), computes, asset containers and
versions (immutable once registered), datastores."""
import datetime
import re
import time
import uuid

from .. import regions
from ..errors import ArmError
from .common import name_of, old_props, props, region, resource_group, same_id

_ML = "microsoft.machinelearningservices/"

# ======================================================================= workspaces
_WS_LINKS = (("storageAccount", "Microsoft.Storage/storageAccounts"),
             ("keyVault", "Microsoft.KeyVault/vaults"),
             ("applicationInsights", "Microsoft.Insights/components"),
             ("containerRegistry", "Microsoft.ContainerRegistry/registries"))
# A workspace cannot exist without these; client tools (azure-ai-ml, az ml) create them first.
_WS_REQUIRED = ("storageAccount", "keyVault")
# Fixed once the workspace exists (with hbiWorkspace): not in WorkspacePropertiesUpdateParameters,
# and Azure ML refuses a PUT that changes them (azurerm: "Changing this forces a new resource").
_WS_FIXED = ("storageAccount", "keyVault")


def workspace_put(ctx, rid, resource, existing):
    p = props(resource)
    old = old_props(existing)
    missing = [prop for prop in _WS_REQUIRED if not p.get(prop)]
    if missing:
        # Azure ML's message for a workspace body without its dependent resources, as az ml
        # showed it (MicrosoftDocs/azure-docs-cli#4467); the code is unconfirmed.
        raise ArmError(400, "ValidationError",
                       "Missing dependent resources in workspace json: "
                       + ", ".join(f"properties.{prop}" for prop in missing) + " must be set.",
                       target=f"properties.{missing[0]}")
    if existing is not None:
        for prop in _WS_FIXED:
            if old.get(prop) and not same_id(old[prop], p[prop]):
                # code unconfirmed: ARM's generic BadRequest, nothing is changed
                raise ArmError(400, "BadRequest",
                               f"properties.{prop} cannot be changed after the workspace is "
                               f"created (it is '{old[prop]}').", target=f"properties.{prop}")
        if bool(old.get("hbiWorkspace", False)) != bool(p.get("hbiWorkspace", old.get("hbiWorkspace", False))):
            raise ArmError(400, "BadRequest",
                           "hbiWorkspace cannot be changed after the workspace is created.",
                           target="properties.hbiWorkspace")
    for prop, rtype in _WS_LINKS:
        ref = p.get(prop)
        if not ref:
            continue                   # optional links (application insights, registry)
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
    loc = region(resource, existing)
    p["workspaceId"] = old.get("workspaceId") or str(uuid.uuid4())
    p["discoveryUrl"] = f"https://{loc}.api.azureml.ms/discovery"
    p["mlFlowTrackingUri"] = f"azureml://{loc}.api.azureml.ms/mlflow/v1.0{rid}"
    p["tenantId"] = ctx.tenant_id
    p["privateLinkCount"] = 0
    p["privateEndpointConnections"] = []
    p.setdefault("hbiWorkspace", bool(old.get("hbiWorkspace", False)))
    p.setdefault("publicNetworkAccess", "Enabled")
    p.setdefault("v1LegacyMode", False)
    p.setdefault("friendlyName", name_of(rid))
    sa = ctx.store.get(p["storageAccount"]) if p.get("storageAccount") else None
    p["storageHnsEnabled"] = bool(((sa or {}).get("properties") or {}).get("isHnsEnabled", False))
    if existing is None and sa is not None:
        _default_datastores(ctx, rid, resource, p["workspaceId"], name_of(p["storageAccount"]))


# The datastores Azure ML gives every workspace at creation, on its storage account with the
# account key (what `az ml datastore list` shows on a new workspace): (name, type, container or
# file share (with the workspace guid), default?)
DEFAULT_DATASTORES = (
    ("workspaceblobstore", "AzureBlob", "azureml-blobstore-{guid}", True),
    ("workspaceartifactstore", "AzureBlob", "azureml", False),
    ("workspacefilestore", "AzureFile", "azureml-filestore-{guid}", False),
    ("workspaceworkingdirectory", "AzureFile", "code-{guid}", False),
)


def _default_datastores(ctx, ws_id, workspace, guid, account):
    from .storage import storage_keys
    key = (storage_keys(ctx).get(account) or {}).get("key1")
    containers = []
    for name, dtype, target, default in DEFAULT_DATASTORES:
        target = target.format(guid=guid)
        dp = {"datastoreType": dtype, "accountName": account, "isDefault": default,
              "credentials": {"credentialsType": "AccountKey",
                              "secrets": {"secretsType": "AccountKey"}},
              "endpoint": "core.windows.net", "protocol": "https",
              "serviceDataAccessAuthIdentity": "None", "description": None,
              "subscriptionId": ctx.subscription_id, "resourceGroup": resource_group(ws_id),
              "tags": {}, "properties": {}}
        if dtype == "AzureBlob":
            dp["containerName"] = target
            containers.append(target)
        else:
            dp["fileShareName"] = target
        dp = {k: v for k, v in dp.items() if v is not None}
        did = f"{ws_id}/datastores/{name}"
        ds = {"id": did, "name": name, "type": "Microsoft.MachineLearningServices/workspaces/datastores",
              "properties": dp}
        if workspace.get("systemData"):
            ds["systemData"] = dict(workspace["systemData"])
        now = time.time()
        # the key is write-only (never in a response): kept aside for listSecrets, as the
        # engine does with the credentials.secrets of a PUT
        ctx.store.put(did, ds, {"created": now, "updated": now, "hidden": {
            "/properties/credentials/secrets": {"secretsType": "AccountKey", "key": key}}} if key else
            {"created": now, "updated": now})
    _create_containers(ctx, account, key, containers)


def _create_containers(ctx, account, key, containers):
    """The default datastores' blob containers exist in the account, as Azure makes them."""
    if ctx.azurite is None or not key:
        return
    try:
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import BlobServiceClient
    except ImportError:                   # the emulator's own dependencies do not need it
        return
    svc = BlobServiceClient(ctx.azurite.blob_endpoint(account), retry_total=2,
                            credential={"account_name": account, "account_key": key})
    for c in containers:
        try:
            svc.create_container(c, timeout=10)
        except ResourceExistsError:
            pass


def compute_put(ctx, rid, resource, existing):
    p = props(resource)                       # Compute (discriminated by computeType)
    old = old_props(existing)
    now = ctx.iso()
    p["createdOn"] = old.get("createdOn") or now
    p["modifiedOn"] = now
    p.setdefault("computeLocation", old.get("computeLocation") or region(resource, existing)
                 or _workspace_location(ctx, rid))
    p["isAttachedCompute"] = False
    if "disableLocalAuth" not in p:
        p["disableLocalAuth"] = bool(old.get("disableLocalAuth", False))
    if existing is not None and old.get("computeType") and \
            str(old["computeType"]).lower() != str(p.get("computeType", "")).lower():
        raise ArmError(409, "Conflict",
                       f"Compute '{name_of(rid)}' already exists with computeType "
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
                                   f"The {field} of AmlCompute '{name_of(rid)}' cannot be changed "
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


def _parent(resource_id):
    return resource_id.rstrip("/").rsplit("/", 2)[0]


def _norm(value):
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def asset_version_put(ctx, rid, resource, existing, scope_kind, asset):
    p = props(resource)
    for k, v in _VERSION_DEFAULTS.items():
        p.setdefault(k, v)
    # Azure ML answers every version with its tag and property bags (empty when none were
    # sent), and a model with its flavors ({} for a custom model): azure-ai-ml reads
    # ``flavors.items()`` and fails on a model that lacks them.
    for k in ("tags", "properties"):
        if p.get(k) is None:
            p[k] = {}
    if asset == "models" and p.get("flavors") is None:
        p["flavors"] = {}
    if asset == "environments":
        for k, v in _ENV_DEFAULTS.items():
            p.setdefault(k, v)
        p.setdefault("environmentType", "UserCreated")
        if isinstance(p.get("build"), dict):
            # BuildContext.dockerfilePath: the spec's default, which Azure answers with
            p["build"].setdefault("dockerfilePath", "Dockerfile")
    if existing is not None:
        # Azure ML: a registered version cannot be changed, only its description, tags, stage,
        # archive flag and (add-only) properties. The service answers
        # "(UserError) Environment test_env with version 6 is already registered and cannot be
        # changed." (Azure/azure-cli-extensions#5440) and "Value of property X for model Y
        # cannot be replaced ... without increasing the version" (Azure/azureml-assets#3439).
        # Emulated as 409 UserError: the sync's conflict detection relies on it (same name and
        # version with different content must never be overwritten silently).
        old = old_props(existing)
        kind = _ASSET_KIND[asset]
        container = name_of(_parent(rid))
        version = name_of(rid)
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


def coerce_property_bag(resource_type, body):
    """An asset version's ``properties`` bag is a string map, and Azure ML (Newtonsoft.Json)
    reads a number sent there as its text: azure-ai-ml sends ``hash_version: 202208`` with a
    component's code and gets "202208" back. Done before the swagger validation."""
    if not ASSET_VERSION_RE.match(resource_type.lower()) or not isinstance(body, dict):
        return
    bag = (body.get("properties") or {}).get("properties") if isinstance(
        body.get("properties"), dict) else None
    if isinstance(bag, dict):
        for k, v in bag.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                bag[k] = str(v)


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
                if not (remove and same_id(v.get("id"), remove))
                and not (add and same_id(v.get("id"), add[0]))]
    versions.sort(key=lambda r: _version_sort_key(ctx, r))
    names = [v.get("name") for v in versions]
    if add:
        names.append(name_of(add[0]))
    _set_versions(props(container), names)
    ctx.store.put(container_id, container)


def _set_versions(props, names):
    props["latestVersion"] = names[-1] if names else None
    numeric = [int(n) for n in names if str(n).isdigit()]
    props["nextVersion"] = str(max(numeric) + 1) if numeric else "1"
    if props["latestVersion"] is None:
        props.pop("latestVersion")


def asset_container_put(ctx, rid, resource, existing):
    p = props(resource)
    p.setdefault("isArchived", False)
    vtype = resource.get("type", "") + "/versions"
    versions = sorted(ctx.store.children(rid, vtype), key=lambda r: _version_sort_key(ctx, r))
    _set_versions(p, [v.get("name") for v in versions])
    old = old_props(existing)
    if existing is not None and old.get("dataType") and p.get("dataType") and \
            old["dataType"] != p["dataType"]:
        raise ArmError(409, "UserError", f"The dataType of data asset {name_of(rid)} cannot be changed.")


def asset_version_delete(ctx, rid, resource):
    _refresh_container(ctx, _parent(rid), remove=rid)


# ============================================================================= datastores
def datastore_put(ctx, rid, resource, existing):
    p = props(resource)
    creds = p.get("credentials") or {}
    ctype = creds.get("credentialsType")
    secrets = creds.get("secrets")
    if ctype in ("AccountKey", "Sas", "ServicePrincipal", "Certificate") and secrets is None \
            and existing is None:
        raise ArmError(400, "UserError", f"The {ctype} credentials of datastore {name_of(rid)} need "
                       "their secrets.", target="properties.credentials.secrets")
    if isinstance(secrets, dict) and "secretsType" in secrets and ctype and \
            secrets["secretsType"] != ctype:
        raise ArmError(400, "UserError", f"secretsType '{secrets['secretsType']}' does not match "
                       f"credentialsType '{ctype}'.", target="properties.credentials.secrets")
    # Azure ML accepts any account name (it does not check the account exists); so does the
    # emulator. isDefault is read-only: only workspaceblobstore is the default one.
    p["isDefault"] = bool(old_props(existing).get("isDefault", False))
    if p.get("datastoreType") in ("AzureBlob", "AzureDataLakeGen2", "AzureFile"):
        p.setdefault("endpoint", "core.windows.net")
        p.setdefault("protocol", "https")
        p.setdefault("serviceDataAccessAuthIdentity", "None")
        if not p.get("subscriptionId"):
            p["subscriptionId"] = ctx.subscription_id
        if not p.get("resourceGroup"):
            p["resourceGroup"] = resource_group(rid)


PUT = {_ML + "workspaces": workspace_put,
       _ML + "workspaces/computes": compute_put,
       _ML + "workspaces/datastores": datastore_put}


def asset_put_hook(resource_type):
    """The PUT hook of an asset version or container type (matched by pattern), or None."""
    m = ASSET_VERSION_RE.match(resource_type)
    if m:
        return lambda ctx, rid, resource, existing: asset_version_put(
            ctx, rid, resource, existing, m.group(1), m.group(2))
    return asset_container_put if ASSET_CONTAINER_RE.match(resource_type) else None


def asset_delete_hook(resource_type):
    return asset_version_delete if ASSET_VERSION_RE.match(resource_type) else None


# ================================================================= pending uploads (codes)
def start_pending_upload(ctx, match, request):
    """POST .../codes/{name}/versions/{version}/startPendingUpload: a fresh container in the
    workspace's storage account and a SAS for it (azure-ai-ml opens the SAS URI as a container
    URL), where azure-ai-ml uploads a component's local code before it registers the code
    version with that blob URI."""
    rid = request.resource_id
    ws_id = re.split(r"/codes/", rid, flags=re.IGNORECASE)[0]
    if ctx.store.get(ws_id) is None:
        raise ArmError(404, "ResourceNotFound", f"The workspace '{name_of(ws_id)}' was not found.")
    body = request.body if isinstance(request.body, dict) else {}
    kind = body.get("pendingUploadType") or "TemporaryBlobReference"
    upload_id = body.get("pendingUploadId") or str(uuid.uuid4())
    if kind == "None":
        return 200, {"pendingUploadId": upload_id, "pendingUploadType": "None"}, {}
    store = ctx.full_resource(ws_id + "/datastores/workspaceblobstore")
    dp = (store or {}).get("properties") or {}
    key = ((dp.get("credentials") or {}).get("secrets") or {}).get("key")
    if not (dp.get("accountName") and key):
        raise ArmError(400, "UserError", f"Workspace {name_of(ws_id)} has no default blob "
                       "datastore with an account key to upload to.")
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas
    account = dp["accountName"]
    container = f"{uuid.uuid4()}-{uuid.uuid4().hex[:10]}"
    _create_containers(ctx, account, key, [container])
    sas = generate_container_sas(account, container, account_key=key,
                                 permission=ContainerSasPermissions(read=True, add=True,
                                                                    create=True, write=True,
                                                                    list=True),
                                 expiry=ctx.now() + datetime.timedelta(days=1))
    blob_uri = f"https://{account}.blob.{dp.get('endpoint') or 'core.windows.net'}/{container}"
    sa_id = (f"/subscriptions/{dp.get('subscriptionId') or ctx.subscription_id}/resourceGroups/"
             f"{dp.get('resourceGroup') or resource_group(ws_id)}/providers/"
             f"Microsoft.Storage/storageAccounts/{account}")
    return 200, {"blobReferenceForConsumption": {
        "blobUri": blob_uri, "storageAccountArmId": sa_id,
        "credential": {"credentialType": "SAS", "sasUri": f"{blob_uri}?{sas}"}},
        "pendingUploadId": upload_id, "pendingUploadType": "TemporaryBlobReference"}, {}
