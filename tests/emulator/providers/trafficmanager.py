"""Traffic Manager (Microsoft.Network/trafficManagerProfiles, 2022-04-01): global profiles,
their DNS name (<relativeName>.trafficmanager.net, unique everywhere), azure/external/nested
endpoints kept in step with the profile's ``endpoints`` list, endpointStatus, priorities and
weights, and the monitor status a probe would report. Unconfirmed codes are marked."""
import re

from ..errors import ArmError
from ..store import key_of
from .common import name_of, same_id

PROFILE = "microsoft.network/trafficmanagerprofiles"
PROFILE_TYPE = "Microsoft.Network/trafficManagerProfiles"
# URL segment (any case) -> the type Azure answers with
ENDPOINT_KINDS = {"azureendpoints": "azureEndpoints", "externalendpoints": "externalEndpoints",
                  "nestedendpoints": "nestedEndpoints"}
ENDPOINT_TYPES = {f"{PROFILE}/{k}": f"{PROFILE_TYPE}/{v}" for k, v in ENDPOINT_KINDS.items()}
DNS_SUFFIX = "trafficmanager.net"
# Azure endpoints may only point at these (Traffic Manager's documented Azure endpoint types);
# an ML online endpoint is fronted as an external endpoint (its scoring host).
AZURE_TARGET_TYPES = {"microsoft.network/publicipaddresses", "microsoft.web/sites",
                      "microsoft.web/sites/slots", "microsoft.classiccompute/domainnames"}
_RELATIVE_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
                            re.IGNORECASE)
_INFERENCE_HOST = re.compile(r"^([^.]+)\.([^.]+)\.inference\.ml\.azure\.com\.?$", re.IGNORECASE)
_MONITOR_DEFAULTS = {"protocol": "HTTP", "port": 80, "path": "/", "intervalInSeconds": 30,
                     "timeoutInSeconds": 10, "toleratedNumberOfFailures": 3}


def _bad(message, target=None):
    # Traffic Manager answers validation failures as 400 BadRequest (code unconfirmed per case)
    return ArmError(400, "BadRequest", message, target=target)


def is_endpoint_id(rid):
    segs = rid.strip("/").split("/")
    return len(segs) >= 2 and segs[-2].lower() in ENDPOINT_KINDS and \
        segs[-4].lower() == "trafficmanagerprofiles"


def _endpoint_id(profile_id, kind, name):
    return f"{profile_id}/{ENDPOINT_KINDS[kind.lower()]}/{name}"


def _kind_of_type(type_value):
    tail = str(type_value or "").rsplit("/", 1)[-1].lower()
    return tail if tail in ENDPOINT_KINDS else None


# ====================================================================== endpoints
def _probe_status(ctx, profile_props, ep_props):
    """endpointMonitorStatus as Traffic Manager's probes would report it: an ML scoring host
    that no emulated online endpoint serves does not resolve (Degraded)."""
    if ep_props.get("endpointStatus") == "Disabled":
        return "Disabled"
    if profile_props.get("profileStatus") == "Disabled":
        return "Inactive"
    m = _INFERENCE_HOST.match(str(ep_props.get("target") or ""))
    if m:
        served = any(str(e.get("name", "")).lower() == m.group(1).lower() and
                     str(e.get("location", "")).lower() == m.group(2).lower()
                     for e in ctx.store.find("Microsoft.MachineLearningServices/workspaces/onlineEndpoints"))
        if not served:
            return "Degraded"
    return "Online"


def _check_endpoint(ctx, profile_props, ep_id, kind, p):
    """Validate one endpoint's properties and fill its server fields (in place)."""
    name = name_of(ep_id)
    p.setdefault("endpointStatus", "Enabled")
    if kind == "externalendpoints":
        if p.get("targetResourceId"):
            raise _bad(f"Endpoint '{name}': targetResourceId is not applicable to external "
                       "endpoints; use target.", target="properties.targetResourceId")
        if not p.get("target"):
            raise _bad(f"Endpoint '{name}': an external endpoint needs a target (FQDN or IP).",
                       target="properties.target")
    else:
        ref = p.get("targetResourceId")
        if not ref:
            raise _bad(f"Endpoint '{name}': targetResourceId is required for {kind}.",
                       target="properties.targetResourceId")
        target = ctx.store.get(ref)
        if target is None:
            raise _bad(f"Endpoint '{name}': the target resource '{ref}' was not found.",
                       target="properties.targetResourceId")
        ttype = str(target.get("type", "")).lower()
        if kind == "azureendpoints" and ttype not in AZURE_TARGET_TYPES:
            raise _bad(f"Endpoint '{name}': resource type '{target.get('type')}' is not a supported "
                       "Azure endpoint target (public IP addresses, App Service sites and slots, "
                       "cloud services); front other services as external endpoints.",
                       target="properties.targetResourceId")
        if kind == "nestedendpoints":
            if ttype != PROFILE:
                raise _bad(f"Endpoint '{name}': a nested endpoint must target a Traffic Manager "
                           "profile.", target="properties.targetResourceId")
            p["target"] = ((target.get("properties") or {}).get("dnsConfig") or {}).get("fqdn")
            p.setdefault("minChildEndpoints", 1)
    method = profile_props.get("trafficRoutingMethod")
    if method == "Weighted":
        p.setdefault("weight", 1)
    for field in ("weight", "priority"):
        if p.get(field) is not None and not 1 <= int(p[field]) <= 1000:
            raise _bad(f"Endpoint '{name}': {field} must be between 1 and 1000, not {p[field]}.",
                       target=f"properties.{field}")
    if method == "Performance" and kind != "azureendpoints" and not p.get("endpointLocation"):
        raise _bad(f"Endpoint '{name}': endpointLocation is required with the Performance "
                   "routing method.", target="properties.endpointLocation")
    p["endpointMonitorStatus"] = _probe_status(ctx, profile_props, p)


def _assign_priorities(profile_props, endpoints):
    """Priority routing: priorities unique; missing ones get the next free value, as Azure
    assigns them."""
    if profile_props.get("trafficRoutingMethod") != "Priority":
        return
    seen = {}
    for ep in endpoints:
        pr = (ep.get("properties") or {}).get("priority")
        if pr is None:
            continue
        if int(pr) in seen:
            raise _bad(f"Endpoints '{seen[int(pr)]}' and '{ep.get('name')}' have the same priority "
                       f"{pr}; priorities must be unique in a profile.",
                       target="properties.priority")
        seen[int(pr)] = ep.get("name")
    for ep in endpoints:
        p = ep.setdefault("properties", {})
        if p.get("priority") is None:
            p["priority"] = max(seen, default=0) + 1
            seen[p["priority"]] = ep.get("name")


def _profile_monitor_status(profile_props, endpoints):
    if profile_props.get("profileStatus") == "Disabled":
        return "Disabled"
    states = [(e.get("properties") or {}).get("endpointMonitorStatus") for e in endpoints]
    live = [s for s in states if s not in ("Disabled", "Inactive", "Stopped")]
    if not live:
        return "Inactive"
    return "Online" if "Online" in live else "Degraded"


def _restore_profile(ctx, profile_id, profile, endpoints):
    pp = profile.setdefault("properties", {})
    pp["endpoints"] = sorted(endpoints, key=lambda e: key_of(e.get("id", "")))
    pp.setdefault("monitorConfig", {})["profileMonitorStatus"] = \
        _profile_monitor_status(pp, pp["endpoints"])


def _children(ctx, profile_id):
    return [c for t in ENDPOINT_TYPES.values() for c in ctx.store.children(profile_id, t)]


def endpoint_put(ctx, rid, resource, existing):
    profile_id = rid.rsplit("/", 2)[0]
    kind = rid.rsplit("/", 2)[1].lower()
    profile = ctx.store.get(profile_id)
    pp = profile.get("properties") or {}
    resource["id"] = _endpoint_id(profile_id, kind, name_of(rid))
    resource["type"] = f"{PROFILE_TYPE}/{ENDPOINT_KINDS[kind]}"
    p = resource.setdefault("properties", {})
    _check_endpoint(ctx, pp, rid, kind, p)
    siblings = [c for c in _children(ctx, profile_id) if not same_id(c.get("id"), rid)]
    _assign_priorities(pp, siblings + [resource])
    _restore_profile(ctx, profile_id, profile, siblings + [resource])
    ctx.store.put(profile_id, profile)


def endpoint_delete(ctx, rid, resource):
    profile_id = rid.rsplit("/", 2)[0]
    profile = ctx.store.get(profile_id)
    if profile is None:
        return
    rest = [c for c in _children(ctx, profile_id) if not same_id(c.get("id"), rid)]
    _restore_profile(ctx, profile_id, profile, rest)
    ctx.store.put(profile_id, profile)


# ======================================================================= profiles
def check_relative_name(ctx, name, profile_id=None):
    """Why ``name`` cannot be a profile's relative DNS name, or None."""
    if not _RELATIVE_NAME.match(name or "") or len(name) > 63 * 4:
        return "Invalid", f"The relative DNS name '{name}' is not valid."
    for other in ctx.store.find(PROFILE_TYPE):
        rel = ((other.get("properties") or {}).get("dnsConfig") or {}).get("relativeName")
        if str(rel or "").lower() == name.lower() and not same_id(other.get("id"), profile_id):
            return "AlreadyExists", (f"Domain name {name.lower()}.{DNS_SUFFIX} is not available. "
                                     "Please choose a different DNS prefix.")
    return None


def profile_put(ctx, rid, resource, existing):
    if is_endpoint_id(rid):
        return endpoint_put(ctx, rid, resource, existing)
    if str(resource.get("location", "")).lower() != "global":
        raise ArmError(400, "LocationNotAvailableForResourceType",
                       f"The provided location '{resource.get('location')}' is not available for "
                       f"resource type '{PROFILE_TYPE}'. List of available regions for the "
                       "resource type is 'global'.")
    resource["type"] = PROFILE_TYPE
    p = resource.setdefault("properties", {})
    old = (existing or {}).get("properties") or {}
    if not p.get("trafficRoutingMethod"):
        raise _bad("trafficRoutingMethod is required.", target="properties.trafficRoutingMethod")
    dns = p.get("dnsConfig") if isinstance(p.get("dnsConfig"), dict) else {}
    rel = dns.get("relativeName")
    if not rel:
        raise _bad("dnsConfig.relativeName is required.", target="properties.dnsConfig.relativeName")
    old_rel = (old.get("dnsConfig") or {}).get("relativeName")
    if old_rel and old_rel.lower() != rel.lower():
        # code unconfirmed: the profile's DNS name is fixed once created
        raise _bad(f"dnsConfig.relativeName cannot be changed (it is '{old_rel}').",
                   target="properties.dnsConfig.relativeName")
    why = check_relative_name(ctx, rel, rid)
    if why:
        # 409 as Azure answers a taken DNS prefix (terraform #7190); the code is unconfirmed
        raise ArmError(409 if why[0] == "AlreadyExists" else 400,
                       "Conflict" if why[0] == "AlreadyExists" else "BadRequest", why[1],
                       target="properties.dnsConfig.relativeName")
    dns["fqdn"] = f"{rel.lower()}.{DNS_SUFFIX}"
    dns.setdefault("ttl", 60)
    p["dnsConfig"] = dns
    p.setdefault("profileStatus", "Enabled")
    p.setdefault("trafficViewEnrollmentStatus", "Disabled")
    mc = p.setdefault("monitorConfig", {})
    for k, v in _MONITOR_DEFAULTS.items():
        mc.setdefault(k, 443 if k == "port" and mc.get("protocol") == "HTTPS" else v)
    current = {key_of(c["id"]): c for c in _children(ctx, rid)} if existing is not None else {}
    if p.get("endpoints") is None:
        wanted = list(current.values())             # a PUT without endpoints keeps them
    else:
        wanted = []
        for ep in p["endpoints"]:
            kind = _kind_of_type(ep.get("type"))
            if not isinstance(ep, dict) or not ep.get("name") or kind is None:
                raise _bad("Each endpoint needs a name and a type (Microsoft.Network/"
                           "trafficManagerProfiles/azureEndpoints, externalEndpoints or "
                           "nestedEndpoints).", target="properties.endpoints")
            ep_id = _endpoint_id(rid, kind, ep["name"])
            wanted.append({"id": ep_id, "name": ep["name"],
                           "type": f"{PROFILE_TYPE}/{ENDPOINT_KINDS[kind]}",
                           "properties": dict(ep.get("properties") or {})})
        names = [e["name"].lower() for e in wanted]
        if len(set(names)) != len(names):
            raise _bad("Endpoint names must be unique in a profile.", target="properties.endpoints")
    for ep in wanted:
        _check_endpoint(ctx, p, ep["id"], _kind_of_type(ep["type"]), ep["properties"])
    _assign_priorities(p, wanted)
    _restore_profile(ctx, rid, resource, wanted)
    # the endpoints are child resources too (Endpoints_Get/Update/Delete address them)
    keep = set()
    for ep in wanted:
        keep.add(key_of(ep["id"]))
        ctx.store.put(ep["id"], ep)
    for k, child in current.items():
        if k not in keep:
            ctx.store.delete(child["id"])
    return None


PUT = {PROFILE: profile_put}
DELETE = {t: endpoint_delete for t in ENDPOINT_TYPES}
