"""Azure ML managed online endpoints and deployments: scoring URIs, `traffic` that must name
existing deployments and sum to 100 (or 0), keys, model/environment references that must exist,
instance count (sku.capacity), provisioning states, and the deployment time (fault
``deployment_seconds``). Refusal codes not confirmed against Azure are marked where raised."""
import re

from ..errors import ArmError
from ..store import key_of
from .common import name_of, new_key, old_props, props, region, same_id

_ML = "microsoft.machinelearningservices/"
ENDPOINT = _ML + "workspaces/onlineendpoints"
DEPLOYMENT = _ML + "workspaces/onlineendpoints/deployments"
ENDPOINT_TYPE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
DEPLOYMENT_TYPE = ENDPOINT_TYPE + "/deployments"

# Azure ML's client errors come back as code "UserError" (the codes below are not confirmed
# for these particular refusals; the messages follow the service's own wording where known).
USER_ERROR = "UserError"


def _user_error(message, target=None, status=400):
    return ArmError(status, USER_ERROR, message, target=target)


# ================================================================ asset references
_ARM_ASSET_RE = re.compile(
    r"^(?:azureml:)?(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
    r"Microsoft\.MachineLearningServices/(?:workspaces|registries)/[^/]+/"
    r"(?P<kind>models|environments|codes|components|data)/[^/]+(?:/versions/[^/]+)?)/?$",
    re.IGNORECASE)
_REGISTRY_ASSET_RE = re.compile(
    r"^azureml://registries/(?P<reg>[^/]+)/(?P<kind>models|environments|components|data|codes)/"
    r"(?P<name>[^/]+)(?:/versions/(?P<version>[^/]+)|/labels/(?P<label>[^/]+))?/?$", re.IGNORECASE)
_COMPUTE_RE = re.compile(
    r"^(?:azureml:)?(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/[^/]+/computes/[^/]+)/?$", re.IGNORECASE)
# Microsoft's own registry of curated environments and foundation models, which every
# workspace can use and which the emulator does not hold.
SYSTEM_REGISTRIES = {"azureml", "azureml-meta", "azureml-msr", "azure-openai"}


def _other_workspace(target, workspace_id):
    """Why an ARM ID of a workspace's child cannot be used from ``workspace_id``, or None: a
    workspace uses its own assets and computes (or a registry's), never another workspace's."""
    if not workspace_id or "/workspaces/" not in target.lower():
        return None
    owner = re.split(r"/(?:models|environments|codes|components|data|computes)/", target,
                     maxsplit=1, flags=re.IGNORECASE)[0]
    if same_id(owner, workspace_id):
        return None
    return f"'{target}' belongs to workspace '{name_of(owner)}', not to '{name_of(workspace_id)}'"


def missing_reference(ctx, ref, kind, workspace_id=None):
    """None when ``ref`` (an ARM ID, ``azureml:`` + ARM ID, or ``azureml://registries/...``
    asset reference) names something that exists (in ``workspace_id`` when it is a workspace's
    asset); otherwise why not, in one line."""
    if not isinstance(ref, str) or not ref.strip():
        return None
    ref = ref.strip()
    m = _ARM_ASSET_RE.match(ref)
    if m:
        if m.group("kind").lower() != kind:
            return f"'{ref}' is not a reference to {kind}"
        elsewhere = _other_workspace(m.group(1), workspace_id)
        if elsewhere:
            return elsewhere
        return None if ctx.store.exists(m.group(1)) else f"{kind[:-1]} '{m.group(1)}' was not found"
    m = _REGISTRY_ASSET_RE.match(ref)
    if m:
        if m.group("kind").lower() != kind:
            return f"'{ref}' is not a reference to {kind}"
        reg = m.group("reg")
        if reg.lower() in SYSTEM_REGISTRIES:
            return None
        regs = [r for r in ctx.store.find("Microsoft.MachineLearningServices/registries")
                if str(r.get("name", "")).lower() == reg.lower()]
        if not regs:
            return f"registry '{reg}' was not found"
        base = f"{regs[0]['id']}/{kind}/{m.group('name')}"
        target = f"{base}/versions/{m.group('version')}" if m.group("version") else base
        return None if ctx.store.exists(target) else f"{kind[:-1]} '{ref}' was not found"
    if ref.lower().startswith(("azureml:", "/subscriptions/")):
        # a short name ("azureml:name:1") is resolved to an ID by the clients before they send it
        return f"'{ref}' is not a resolvable {kind[:-1]} reference (an ARM ID is expected)"
    return None                                  # e.g. a model URI on a datastore: not checked


def missing_compute(ctx, ref, workspace_id=None):
    """None when the compute ``ref`` (ARM ID, optionally ``azureml:``-prefixed) exists (in
    ``workspace_id`` when given)."""
    if not isinstance(ref, str) or not ref.strip():
        return None
    m = _COMPUTE_RE.match(ref.strip())
    if m is None:
        return None               # "serverless" and other non-ID values are the service's call
    elsewhere = _other_workspace(m.group(1), workspace_id)
    if elsewhere:
        return elsewhere
    return None if ctx.store.exists(m.group(1)) else f"compute '{m.group(1)}' was not found"


# ======================================================================= endpoints
def _deployments(ctx, endpoint_id):
    return {str(d.get("name", "")).lower(): d
            for d in ctx.store.children(endpoint_id, DEPLOYMENT_TYPE)}


def _check_traffic(ctx, rid, p):
    deployments = _deployments(ctx, rid)
    for field, limit, what in (("traffic", 100, "sum to 100 (or 0)"),
                               ("mirrorTraffic", 50, "sum to at most 50")):
        traffic = p.get(field)
        if traffic is None:
            continue
        unknown = sorted(k for k in traffic if k.lower() not in deployments)
        if unknown:
            # code unconfirmed: Azure refuses traffic to a deployment the endpoint lacks
            raise _user_error(f"Deployment(s) {', '.join(repr(k) for k in unknown)} in {field} do "
                              f"not exist in endpoint '{name_of(rid)}'.",
                              target=f"properties.{field}")
        bad = sorted(k for k, v in traffic.items() if not 0 <= int(v) <= 100)
        if bad:
            raise _user_error(f"{field} values must be between 0 and 100 ({bad[0]}: "
                              f"{traffic[bad[0]]}).", target=f"properties.{field}")
        total = sum(int(v) for v in traffic.values())
        ok = total in (0, 100) if field == "traffic" else total <= limit
        if not ok:
            raise _user_error(f"{field} values need to {what}; they sum to {total}.",
                              target=f"properties.{field}")
    live = {k.lower() for k, v in (p.get("traffic") or {}).items() if int(v) > 0}
    both = sorted(k for k, v in (p.get("mirrorTraffic") or {}).items()
                  if int(v) > 0 and k.lower() in live)
    if both:
        raise _user_error(f"Deployment '{both[0]}' cannot get mirror traffic while it gets live "
                          "traffic.", target="properties.mirrorTraffic")


def endpoint_put(ctx, rid, resource, existing):
    p = props(resource)
    old = old_props(existing)
    name = name_of(rid)
    loc = region(resource, existing)
    # The scoring host is <name>.<region>.inference.ml.azure.com: the name is unique per region
    # across workspaces ("Endpoint name needs to be unique within a region"); code unconfirmed.
    for other in ctx.store.find(ENDPOINT_TYPE):
        if str(other.get("name", "")).lower() == name.lower() and \
                not same_id(other.get("id"), rid) and region(other) == loc:
            raise ArmError(409, "Conflict",
                           f"There is already an endpoint with the name '{name}' in {loc}: "
                           "endpoint names need to be unique within a region.")
    ws = ctx.store.get(re.split(r"/onlineendpoints/", rid, maxsplit=1, flags=re.IGNORECASE)[0])
    if ws is not None and region(ws) and loc != region(ws):
        # code unconfirmed: an endpoint lives in its workspace's region (azure-ai-ml sets the
        # workspace's location on every endpoint it sends)
        raise _user_error(f"Endpoint '{name}' must be in its workspace's region '{region(ws)}', "
                          f"not '{loc}'.", target="location")
    _check_traffic(ctx, rid, p)
    host = f"https://{name.lower()}.{loc}.inference.ml.azure.com"
    p["scoringUri"] = f"{host}/score"
    p["swaggerUri"] = f"{host}/swagger.json"
    p.setdefault("publicNetworkAccess", old.get("publicNetworkAccess", "Enabled"))
    if "traffic" not in p:              # a PUT without traffic keeps the endpoint's split
        p["traffic"] = dict(old.get("traffic") or {})
    elif p["traffic"] is None:
        p["traffic"] = {}
    bag = dict(old.get("properties") or {})
    bag.update(p.get("properties") or {})
    bag["azureml.onlineendpointid"] = rid
    p["properties"] = bag
    keys = p.pop("keys", None)          # create-only secret, never answered: seeds listKeys
    store = ctx.store.secrets.setdefault("endpointKeys", {})
    if key_of(rid) not in store or (existing is None and isinstance(keys, dict)):
        keys = keys if isinstance(keys, dict) else {}
        store[key_of(rid)] = {"primaryKey": keys.get("primaryKey") or new_key()[:32],
                              "secondaryKey": keys.get("secondaryKey") or new_key()[:32]}


def endpoint_delete(ctx, rid, resource):
    ctx.store.secrets.setdefault("endpointKeys", {}).pop(key_of(rid), None)


def endpoint_keys(ctx, endpoint):
    """The endpoint's keys ({primaryKey, secondaryKey}), made on first use."""
    store = ctx.store.secrets.setdefault("endpointKeys", {})
    rec = store.get(key_of(endpoint["id"]))
    if rec is None:
        rec = store[key_of(endpoint["id"])] = {"primaryKey": new_key()[:32],
                                               "secondaryKey": new_key()[:32]}
    return rec


# ===================================================================== deployments
_FIXED_DEPLOYMENT = ("endpointComputeType", "instanceType")


def deployment_put(ctx, rid, resource, existing):
    p = props(resource)
    old = old_props(existing)
    endpoint_id = rid.rsplit("/", 2)[0]
    endpoint = ctx.store.get(endpoint_id)
    if endpoint is not None and region(resource, existing) != region(endpoint):
        # code unconfirmed: a deployment lives where its endpoint does
        raise _user_error(f"The deployment must be in the endpoint's region "
                          f"'{region(endpoint)}', not '{region(resource, existing)}'.",
                          target="location")
    if existing is not None:
        for field in _FIXED_DEPLOYMENT:
            before, after = old.get(field), p.get(field, old.get(field))
            if before and after and str(before).lower() != str(after).lower():
                # code unconfirmed (x-ms-mutability create/read: fixed once created)
                raise _user_error(f"{field} of deployment '{name_of(rid)}' cannot be changed "
                                  f"from '{before}' to '{after}'.", target=f"properties.{field}")
    if p.get("endpointComputeType") == "Managed" and not p.get("instanceType"):
        raise _user_error("instanceType is required for a managed online deployment.",
                          target="properties.instanceType")
    ws_id = re.split(r"/onlineendpoints/", rid, maxsplit=1, flags=re.IGNORECASE)[0]
    for field, kind in (("model", "models"), ("environmentId", "environments")):
        why = missing_reference(ctx, p.get(field), kind, ws_id)
        if why:
            # the workspace must hold what the deployment runs; code unconfirmed
            raise _user_error(f"Deployment '{name_of(rid)}': {why}.", target=f"properties.{field}")
    code_id = (p.get("codeConfiguration") or {}).get("codeId")
    why = missing_reference(ctx, code_id, "codes", ws_id)
    if why:
        raise _user_error(f"Deployment '{name_of(rid)}': {why}.",
                          target="properties.codeConfiguration.codeId")
    sku = resource.get("sku")
    if not isinstance(sku, dict):
        sku = resource["sku"] = dict((existing or {}).get("sku") or {"name": "Default"})
    sku.setdefault("name", "Default")
    sku.setdefault("capacity", ((existing or {}).get("sku") or {}).get("capacity", 1))
    if p.get("endpointComputeType") == "Managed" and int(sku["capacity"]) < 1:
        # code unconfirmed: a managed deployment runs at least one instance
        raise _user_error(f"sku.capacity (instance count) of deployment '{name_of(rid)}' must "
                          f"be at least 1, not {sku['capacity']}.", target="sku.capacity")
    p.setdefault("scaleSettings", {"scaleType": "Default"})
    p.setdefault("appInsightsEnabled", False)
    p.setdefault("egressPublicNetworkAccess", "Enabled")
    bag = dict(old.get("properties") or {})
    bag.update(p.get("properties") or {})
    p["properties"] = bag
    # a change of instance count alone is a scale operation (DeploymentProvisioningState)
    old_cap = ((existing or {}).get("sku") or {}).get("capacity")
    if existing is not None and old_cap is not None and old_cap != sku["capacity"] and \
            p.get("provisioningState") == "Updating":
        p["provisioningState"] = "Scaling"


def deployment_delete(ctx, rid, resource):
    """A deleted deployment leaves its endpoint's (zero) traffic entries."""
    endpoint_id = rid.rsplit("/", 2)[0]
    endpoint = ctx.store.get(endpoint_id)
    if endpoint is None:
        return
    p = props(endpoint)
    name = name_of(rid).lower()
    changed = False
    for field in ("traffic", "mirrorTraffic"):
        t = p.get(field)
        if isinstance(t, dict):
            for k in [k for k in t if k.lower() == name]:
                t.pop(k)
                changed = True
    if changed:
        ctx.store.put(endpoint_id, endpoint)


def deployment_delete_check(ctx, rid):
    """Azure refuses to delete a deployment that still gets traffic (set it to 0 first)."""
    endpoint = ctx.store.get(rid.rsplit("/", 2)[0])
    if endpoint is None or not ctx.store.exists(rid):
        return
    name = name_of(rid).lower()
    for field in ("traffic", "mirrorTraffic"):
        share = {k.lower(): v for k, v in ((endpoint.get("properties") or {}).get(field)
                                           or {}).items()}.get(name)
        if share:
            # code unconfirmed; the rule is the service's (az ml: set traffic to 0 first)
            raise _user_error(f"Deployment '{name_of(rid)}' cannot be deleted while it gets "
                              f"{share}% of endpoint '{endpoint.get('name')}'s {field}; set it "
                              "to 0 first.")


def deployment_lro_delay(ctx, default):
    """Seconds an online deployment takes to provision: fault ``deployment_seconds`` when
    set (the time the failover benchmark waits for), otherwise the usual LRO delay."""
    v = (ctx.faults.config or {}).get("deployment_seconds")
    return float(v) if v is not None else default


PUT = {ENDPOINT: endpoint_put, DEPLOYMENT: deployment_put}
DELETE = {ENDPOINT: endpoint_delete, DEPLOYMENT: deployment_delete}
DELETE_CHECKS = {DEPLOYMENT: deployment_delete_check}
LRO_DELAYS = {DEPLOYMENT: deployment_lro_delay}
