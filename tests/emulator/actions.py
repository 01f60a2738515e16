"""Action handlers: ``OPERATION_HANDLERS[operationId](ctx, match, request) -> (status, body, headers)``.

POST actions and the few GETs the generic engine cannot serve from stored resources (keys,
secrets, name availability, usages/quotas, VM sizes, importImage ...). Bodies follow the specs
(the engine validates responses strictly). Errors are ``ArmError``s.
"""
from .errors import ArmError, not_found
from .store import key_of
from . import hooks
from .providers import ml as ml_provider
from .providers import endpoints as endpoints_provider
from .providers import trafficmanager as tm_provider


def _resource_or_404(ctx, request, rtype, label=None):
    r = ctx.store.get(request.resource_id)
    if r is None:
        rg = request.path_params.get("resourceGroupName")
        raise not_found(label or rtype, request.resource_id.rstrip("/").rsplit("/", 1)[-1], rg)
    return r


# ============================================================================ storage
def _storage_keys_body(rec):
    return {"keys": [{"keyName": k, "value": rec[k], "permissions": "FULL",
                      "creationTime": rec.get(k + "Time")} for k in ("key1", "key2")]}


def _storage_rec(ctx, request):
    r = _resource_or_404(ctx, request, "Microsoft.Storage/storageAccounts")
    rec = hooks.storage_keys(ctx).get(r["name"])
    if not isinstance(rec, dict):
        raise ArmError(409, "StorageAccountIsNotProvisioned",
                       "The storage account provisioning state must be 'Succeeded' before "
                       "executing the operation.")
    return r, rec


def storage_list_keys(ctx, match, request):
    _unused, rec = _storage_rec(ctx, request)
    return 200, _storage_keys_body(rec), {}


def storage_regenerate_key(ctx, match, request):
    r, rec = _storage_rec(ctx, request)
    key_name = ((request.body or {}).get("keyName") or "").lower()
    if key_name not in ("key1", "key2"):
        raise ArmError(400, "InvalidValuesForRequestParameters",
                       "Values for request parameters are invalid: keyName.")
    with ctx.store.lock:
        rec[key_name] = hooks._new_key()
        rec[key_name + "Time"] = ctx.iso()
        stored = ctx.store.resources.get(key_of(r["id"]))
        if stored is not None:
            kct = stored.setdefault("properties", {}).setdefault("keyCreationTime", {})
            kct[key_name] = rec[key_name + "Time"]
        ctx.store.save()
    hooks.sync_azurite(ctx)
    return 200, _storage_keys_body(rec), {}


def storage_check_name(ctx, match, request):
    name = (request.body or {}).get("name") or ""
    try:
        hooks.check_storage_name(name)
    except ArmError as e:
        return 200, {"nameAvailable": False, "reason": "AccountNameInvalid",
                     "message": e.message}, {}
    if any(r.get("name", "").lower() == name.lower() for r in ctx.store.find(hooks.SA_TYPE)):
        return 200, {"nameAvailable": False, "reason": "AlreadyExists",
                     "message": f"The storage account named {name} is already taken."}, {}
    return 200, {"nameAvailable": True}, {}


# ======================================================================= name checks
def registry_check_name(ctx, match, request):
    name = (request.body or {}).get("name") or ""
    try:
        hooks.check_registry_name(name)
    except ArmError as e:
        return 200, {"nameAvailable": False, "reason": "Invalid", "message": e.message}, {}
    if any(r.get("name", "").lower() == name.lower()
           for r in ctx.store.find("Microsoft.ContainerRegistry/registries")):
        return 200, {"nameAvailable": False, "reason": "AlreadyExists",
                     "message": f"The registry {name} is already in use."}, {}
    return 200, {"nameAvailable": True}, {}


def vault_check_name(ctx, match, request):
    name = (request.body or {}).get("name") or ""
    try:
        hooks.check_vault_name(name)
    except ArmError as e:
        return 200, {"nameAvailable": False, "reason": "AccountNameInvalid", "message": e.message}, {}
    if any(r.get("name", "").lower() == name.lower() for r in ctx.store.find("Microsoft.KeyVault/vaults")):
        return 200, {"nameAvailable": False, "reason": "AlreadyExists",
                     "message": f"Vault name '{name}' is already in use."}, {}
    return 200, {"nameAvailable": True}, {}


# ================================================================= ML workspace keys
def _linked(ctx, ws, prop):
    ref = (ws.get("properties") or {}).get(prop)
    return ctx.store.get(ref) if ref else None


def _storage_key_of(ctx, account):
    rec = hooks.storage_keys(ctx).get((account or {}).get("name", ""))
    return rec.get("key1") if isinstance(rec, dict) else None


def workspace_list_keys(ctx, match, request):
    ws = _resource_or_404(ctx, request, "Microsoft.MachineLearningServices/workspaces")
    body = {}
    sa = _linked(ctx, ws, "storageAccount")
    if sa is not None:
        body["userStorageResourceId"] = sa["id"]
        key = _storage_key_of(ctx, sa)
        if key:
            body["userStorageKey"] = key
    ai = _linked(ctx, ws, "applicationInsights")
    if ai is not None and (ai.get("properties") or {}).get("InstrumentationKey"):
        body["appInsightsInstrumentationKey"] = ai["properties"]["InstrumentationKey"]
    acr = _linked(ctx, ws, "containerRegistry")
    if acr is not None and (acr.get("properties") or {}).get("adminUserEnabled"):
        body["containerRegistryCredentials"] = _acr_credentials(ctx, acr)
    return 200, body, {}


def workspace_list_storage_keys(ctx, match, request):
    ws = _resource_or_404(ctx, request, "Microsoft.MachineLearningServices/workspaces")
    key = _storage_key_of(ctx, _linked(ctx, ws, "storageAccount"))
    return 200, ({"userStorageKey": key} if key else {}), {}


def _acr_credentials(ctx, acr):
    creds = ctx.store.secrets.setdefault("acrAdminPasswords", {})
    rec = creds.get(key_of(acr["id"]))
    if rec is None:
        rec = creds[key_of(acr["id"])] = [hooks._new_key()[:32], hooks._new_key()[:32]]
        ctx.store.save()
    return {"location": acr.get("location"), "username": acr.get("name"),
            "passwords": [{"name": "password", "value": rec[0]}, {"name": "password2", "value": rec[1]}]}


# =========================================================================== datastores
def datastore_list_secrets(ctx, match, request):
    _resource_or_404(ctx, request, "Microsoft.MachineLearningServices/workspaces/datastores")
    full = ctx.full_resource(request.resource_id) or {}
    creds = (full.get("properties") or {}).get("credentials") or {}
    secrets = creds.get("secrets")
    if not isinstance(secrets, dict):
        # a datastore without secrets (credentialsType None, identity-based access)
        raise ArmError(400, "UserError",
                       f"Datastore {request.resource_id.rsplit('/', 1)[-1]} has no secrets "
                       f"(credentialsType {creds.get('credentialsType')}).")
    out = dict(secrets)
    out.setdefault("secretsType", creds.get("credentialsType"))
    return 200, out, {}


# ========================================================================= ACR import
def acr_images(ctx, registry_id):
    """{"repo:tag": {"digest", "source", "importedAt"}} recorded for a registry (tests read it)."""
    return ctx.store.extra.setdefault("acrImages", {}).setdefault(key_of(registry_id), {})


def record_image(ctx, registry_id, image, source=None):
    """Make ``image`` ('repo:tag') exist in an emulated registry (a push, for test set-ups)."""
    import hashlib
    repo, _unused, tag = image.partition(":")
    ref = f"{repo}:{tag or 'latest'}"
    acr_images(ctx, registry_id)[ref] = {
        "digest": "sha256:" + hashlib.sha256(f"{source or registry_id}/{ref}".encode()).hexdigest(),
        "source": source, "importedAt": ctx.iso()}
    ctx.store.save()
    return ref


def registry_import_image(ctx, match, request):
    reg = _resource_or_404(ctx, request, "Microsoft.ContainerRegistry/registries")
    body = request.body or {}
    src = body.get("source") or {}
    image = src.get("sourceImage") or ""
    repo, _unused, tag = image.partition("@")[0].partition(":")
    source_ref = f"{repo}:{tag or 'latest'}"
    digest = None
    if src.get("resourceId"):
        source = ctx.store.get(src["resourceId"])
        if source is None or source.get("type", "").lower() != "microsoft.containerregistry/registries":
            raise ArmError(404, "ResourceNotFound",
                           f"The source registry '{src['resourceId']}' was not found.")
        known = acr_images(ctx, source["id"])
        if source_ref not in known:
            raise ArmError(400, "InvalidParameter",
                           f"The source image {source['name']}.azurecr.io/{source_ref} was not found.")
        digest = known[source_ref]["digest"]
        origin = f"{source['name']}.azurecr.io/{source_ref}"
    elif src.get("registryUri"):
        origin = f"{src['registryUri'].rstrip('/')}/{source_ref}"
    else:
        raise ArmError(400, "InvalidParameter",
                       "Either source.resourceId or source.registryUri must be given.")
    targets = list(body.get("targetTags") or []) or [source_ref]
    targets = [t if ":" in t else f"{t}:{tag or 'latest'}" for t in targets]
    mine = acr_images(ctx, reg["id"])
    if (body.get("mode") or "NoForce") == "NoForce":
        clash = [t for t in targets if t in mine and mine[t].get("source") != origin]
        if clash:
            raise ArmError(409, "Conflict", f"Tag {clash[0]} already exists in the target registry "
                           "and the import mode is NoForce.")
    for t in targets:
        record_image(ctx, reg["id"], t, source=origin)
        if digest:
            mine[t]["digest"] = digest
    ctx.store.save()
    return ctx.start_operation(match, request, 200, None)


# ================================================================= ML usages & quotas
# VM sizes AmlCompute offers (real vCPU/memory/GPU counts, Azure's family spelling).
VM_SIZES = [
    # name, family, vCPUs, gpus, memoryGB, maxResourceVolumeMB
    ("Standard_DS1_v2", "standardDSv2Family", 1, 0, 3.5, 7168),
    ("Standard_DS2_v2", "standardDSv2Family", 2, 0, 7.0, 14336),
    ("Standard_DS3_v2", "standardDSv2Family", 4, 0, 14.0, 28672),
    ("Standard_DS4_v2", "standardDSv2Family", 8, 0, 28.0, 57344),
    ("Standard_DS5_v2", "standardDSv2Family", 16, 0, 56.0, 114688),
    ("Standard_D2s_v3", "standardDSv3Family", 2, 0, 8.0, 16384),
    ("Standard_D4s_v3", "standardDSv3Family", 4, 0, 16.0, 32768),
    ("Standard_D8s_v3", "standardDSv3Family", 8, 0, 32.0, 65536),
    ("Standard_D16s_v3", "standardDSv3Family", 16, 0, 64.0, 131072),
    ("Standard_E4s_v3", "standardESv3Family", 4, 0, 32.0, 65536),
    ("Standard_E8s_v3", "standardESv3Family", 8, 0, 64.0, 131072),
    ("Standard_F4s_v2", "standardFSv2Family", 4, 0, 8.0, 32768),
    ("Standard_F8s_v2", "standardFSv2Family", 8, 0, 16.0, 65536),
    ("Standard_NC6s_v3", "standardNCSv3Family", 6, 1, 112.0, 344064),
    ("Standard_NC12s_v3", "standardNCSv3Family", 12, 2, 224.0, 688128),
    ("Standard_NC24s_v3", "standardNCSv3Family", 24, 4, 448.0, 1376256),
    ("Standard_NC4as_T4_v3", "standardNCASv3_T4Family", 4, 1, 28.0, 180224),
    ("Standard_NC24ads_A100_v4", "standardNCADSA100v4Family", 24, 1, 220.0, 65536),
]
DEFAULT_QUOTAS = {
    "standardDSv2Family": 100, "standardDSv3Family": 100, "standardESv3Family": 100,
    "standardFSv2Family": 100, "standardNCFamily": 24, "standardNCSv3Family": 24,
    "standardNCASv3_T4Family": 24, "standardNCADSA100v4Family": 0,
}
TOTAL_DEDICATED = "Total Cluster Dedicated Regional vCPUs"
TOTAL_LOW_PRIORITY = "Total Cluster LowPriority Regional vCPUs"
DEFAULT_TOTALS = {"totalDedicated": 300, "totalLowPriority": 100, "clusters": 200}
_SIZES = {n.lower(): (n, f, c, g, m, r) for n, f, c, g, m, r in VM_SIZES}


def _norm_region(region):
    return (region or "").replace(" ", "").lower()


def quota_table(ctx, region):
    """{family or total key: limit} for a region: defaults overlaid with set_quota's values."""
    table = dict(DEFAULT_QUOTAS)
    table.update(DEFAULT_TOTALS)
    table.update((ctx.store.secrets.get("quotas") or {}).get(_norm_region(region), {}))
    return table


def set_quota(ctx, region, family, limit):
    """Set a region's limit for a VM family ('standardDSv2Family') or a total ('totalDedicated',
    'totalLowPriority', 'clusters'). Exposed by the server as PUT /_emulator/quotas."""
    with ctx.store.lock:
        q = ctx.store.secrets.setdefault("quotas", {}).setdefault(_norm_region(region), {})
        q[family] = int(limit)
        ctx.store.save()
    return quota_table(ctx, region)


def _family_label(family):
    """'standardDSv2Family' -> 'Standard DSv2 Family'."""
    core = family[len("standard"):] if family.lower().startswith("standard") else family
    core = core[:-len("Family")] if core.endswith("Family") else core
    return f"Standard {core} Family"


def region_usage(ctx, region):
    """{family: cores, 'dedicated': cores, 'lowPriority': cores, 'clusters': n} used in a region:
    Azure counts the vCPUs of allocated nodes (currentNodeCount x the size's vCPUs)."""
    region = _norm_region(region)
    used = {"dedicated": 0, "lowPriority": 0, "clusters": 0}
    for c in ctx.store.find("Microsoft.MachineLearningServices/workspaces/computes"):
        p = c.get("properties") or {}
        if p.get("computeType") != "AmlCompute":
            continue
        loc = _norm_region(p.get("computeLocation") or c.get("location"))
        if loc != region:
            continue
        used["clusters"] += 1
        inner = p.get("properties") or {}
        size = _SIZES.get(str(inner.get("vmSize") or "").lower())
        if size is None:
            continue
        cores = int(inner.get("currentNodeCount") or 0) * size[2]
        if str(inner.get("vmPriority") or "Dedicated").lower() == "lowpriority":
            used["lowPriority"] += cores
        else:
            used["dedicated"] += cores
            used[size[1]] = used.get(size[1], 0) + cores
    return used


def usages_list(ctx, match, request):
    region = _norm_region(request.path_params.get("location"))
    table = quota_table(ctx, region)
    used = region_usage(ctx, region)
    base = f"/subscriptions/{ctx.subscription_id}/providers/Microsoft.MachineLearningServices/locations/{region}/usages"
    ns = "Microsoft.MachineLearningServices"

    def row(rid, rtype, name, current, limit):
        return {"id": rid, "amlWorkspaceLocation": region, "type": rtype, "unit": "Count",
                "currentValue": int(current), "limit": int(limit),
                "name": {"value": name, "localizedValue": name}}

    value = [row(base, f"{ns}/totalCores/usages", "Clusters", used["clusters"], table["clusters"]),
             row(base, f"{ns}/dedicatedCores/usages", TOTAL_DEDICATED, used["dedicated"],
                 table["totalDedicated"]),
             row(base, f"{ns}/lowPriorityCores/usages", TOTAL_LOW_PRIORITY, used["lowPriority"],
                 table["totalLowPriority"])]
    families = sorted(k for k in table if k.endswith("Family"))
    for fam in families:
        label = f"{_family_label(fam)} Cluster Dedicated vCPUs"
        value.append(row(f"{base}/{label.replace(' ', '_')}", f"{ns}/vmFamily/usages", label,
                         used.get(fam, 0), table[fam]))
    return 200, {"value": value}, {}


def vm_sizes_list(ctx, match, request):
    out = []
    for name, family, cpus, gpus, mem, res in VM_SIZES:
        out.append({"name": name, "family": family, "vCPUs": cpus, "gpus": gpus,
                    "osVhdSizeMB": 1047552, "maxResourceVolumeMB": res, "memoryGB": mem,
                    "lowPriorityCapable": True, "premiumIO": True,
                    "supportedComputeTypes": ["Compute Instance", "AmlCompute"]})
    return 200, {"value": out}, {}


def quotas_list(ctx, match, request):
    region = _norm_region(request.path_params.get("location"))
    table = quota_table(ctx, region)
    value = []
    for ws in ctx.store.find("Microsoft.MachineLearningServices/workspaces"):
        if _norm_region(ws.get("location")) != region:
            continue
        for fam in sorted(k for k in table if k.endswith("Family")):
            value.append({"id": f"{ws['id']}/quotas/{fam}", "amlWorkspaceLocation": region,
                          "type": "Microsoft.MachineLearningServices/workspaces/quotas",
                          "name": {"value": fam, "localizedValue": f"{_family_label(fam)} Cluster Dedicated vCPUs"},
                          "limit": table[fam], "unit": "Count"})
    return 200, {"value": value}, {}


# ===================================================================== role assignments
_RA_TYPE = "Microsoft.Authorization/roleAssignments"


def _ra_list_scope(request):
    rid = request.resource_id or request.path
    i = rid.lower().rfind("/providers/microsoft.authorization/roleassignments")
    return rid[:i] if i > 0 else rid


def _is_at_or_above(assignment_scope, scope):
    a, s = key_of(assignment_scope), key_of(scope)
    return s == a or s.startswith(a.rstrip("/") + "/")


def role_assignments_list(ctx, match, request):
    """ARM's list semantics: assignments at, above (inherited) and below the scope; $filter
    atScope() keeps at and above; principalId eq '...' / assignedTo('...') one principal."""
    import re
    scope = _ra_list_scope(request)
    sk = key_of(scope)
    if sk.count("/") > 2 and not ctx.store.exists(scope):
        rg = request.path_params.get("resourceGroupName")
        if sk.count("/") == 4 and "/resourcegroups/" in sk:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        raise not_found(scope.rstrip("/").rsplit("/", 2)[-2], scope.rstrip("/").rsplit("/", 1)[-1], rg)
    flt = request.query.get("$filter") or ""
    at_scope = "atscope()" in flt.replace(" ", "").lower()
    m = re.search(r"(?:principalId\s+eq\s+|assignedTo\()\s*'([^']+)'", flt, re.IGNORECASE)
    principal = m.group(1).lower() if m else None
    out = []
    for ra in ctx.store.find(_RA_TYPE):
        p = ra.get("properties") or {}
        rscope = p.get("scope") or ""
        above = _is_at_or_above(rscope, scope)
        below = key_of(rscope).startswith(sk.rstrip("/") + "/")
        if not (above or (below and not at_scope)):
            continue
        if principal and str(p.get("principalId", "")).lower() != principal:
            continue
        out.append(ra)
    return 200, {"value": out}, {}


# ================================================================== jobs and endpoints
def jobs_cancel(ctx, match, request):
    job = _resource_or_404(ctx, request, "Microsoft.MachineLearningServices/workspaces/jobs")
    stored = ctx.store.resources.get(key_of(job["id"]))
    props = stored.setdefault("properties", {})
    if props.get("status") not in ("Completed", "Failed", "Canceled"):
        props["status"] = "Canceled"
        ctx.store.save()
    return ctx.start_operation(match, request, 200, None)


def _key_endpoint(ctx, request, mode="Key"):
    ep = _resource_or_404(ctx, request, "Microsoft.MachineLearningServices/workspaces/onlineEndpoints")
    auth = (ep.get("properties") or {}).get("authMode")
    if (auth == "Key") != (mode == "Key"):
        # code unconfirmed: keys belong to key-auth endpoints, tokens to AMLToken/AADToken ones
        what = "keys" if mode == "Key" else "an AML token"
        raise ArmError(400, "UserError", f"Endpoint '{ep.get('name')}' uses authMode {auth}: "
                       f"it has no {what}.")
    return ep


def online_endpoint_list_keys(ctx, match, request):
    ep = _key_endpoint(ctx, request)
    rec = endpoints_provider.endpoint_keys(ctx, ep)
    ctx.store.save()
    return 200, dict(rec), {}


def online_endpoint_regenerate_keys(ctx, match, request):
    ep = _key_endpoint(ctx, request)
    body = request.body or {}
    which = {"primary": "primaryKey", "secondary": "secondaryKey"}[str(body.get("keyType")).lower()]
    with ctx.store.lock:
        endpoints_provider.endpoint_keys(ctx, ep)[which] = body.get("keyValue") or hooks._new_key()[:32]
        ctx.store.save()
    return ctx.start_operation(match, request, 200, None)


def online_endpoint_get_token(ctx, match, request):
    _key_endpoint(ctx, request, mode="AMLToken")
    now = int(ctx.now().timestamp())
    return 200, {"accessToken": hooks._new_key()[:64], "tokenType": "Bearer",
                 "expiryTimeUtc": now + 3600, "refreshAfterTimeUtc": now + 1800}, {}


def online_deployment_get_logs(ctx, match, request):
    dep = _resource_or_404(ctx, request,
                           "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments")
    state = (dep.get("properties") or {}).get("provisioningState")
    return 200, {"content": f"{ctx.iso()} deployment {dep.get('name')}: provisioningState {state}\n"}, {}


# ===================================================================== Traffic Manager
def tm_check_name(ctx, match, request):
    body = request.body or {}
    name = body.get("name") or ""
    why = tm_provider.check_relative_name(ctx, name)
    out = {"name": name, "type": body.get("type") or "Microsoft.Network/trafficManagerProfiles",
           "nameAvailable": why is None}
    if why:
        out["reason"], out["message"] = why
    return 200, out, {}


def tm_delete(ctx, match, request):
    """Traffic Manager answers a deletion with 200 and {"boolean": true} (DeleteOperationResult),
    204 when there was nothing to delete."""
    status, headers, body = ctx._engine._delete(match, request)  # pylint: disable=protected-access
    return status, ({"boolean": True} if status == 200 else body), headers


OPERATION_HANDLERS = {
    "StorageAccounts_ListKeys": storage_list_keys,
    "StorageAccounts_RegenerateKey": storage_regenerate_key,
    "StorageAccounts_CheckNameAvailability": storage_check_name,
    "Registries_CheckNameAvailability": registry_check_name,
    "Vaults_CheckNameAvailability": vault_check_name,
    "Workspaces_ListKeys": workspace_list_keys,
    "Workspaces_ListStorageAccountKeys": workspace_list_storage_keys,
    "Datastores_ListSecrets": datastore_list_secrets,
    "Registries_ImportImage": registry_import_image,
    "Usages_List": usages_list,
    "VirtualMachineSizes_List": vm_sizes_list,
    "Quotas_List": quotas_list,
    "RoleAssignments_ListForScope": role_assignments_list,
    "RoleAssignments_ListForSubscription": role_assignments_list,
    "RoleAssignments_ListForResourceGroup": role_assignments_list,
    "RoleAssignments_ListForResource": role_assignments_list,
    "Jobs_Cancel": jobs_cancel,
    "OnlineEndpoints_ListKeys": online_endpoint_list_keys,
    "OnlineEndpoints_RegenerateKeys": online_endpoint_regenerate_keys,
    "OnlineEndpoints_GetToken": online_endpoint_get_token,
    "OnlineDeployments_GetLogs": online_deployment_get_logs,
    "Profiles_CheckTrafficManagerRelativeDnsNameAvailability": tm_check_name,
    "Profiles_checkTrafficManagerNameAvailabilityV2": tm_check_name,
    "Profiles_Delete": tm_delete,
    "Endpoints_Delete": tm_delete,
    "CodeVersions_CreateOrGetStartPendingUpload": ml_provider.start_pending_upload,
}
