# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for Traffic Manager profiles (Microsoft.Network/trafficManagerProfiles 2022-04-01) and the
pair's use of them: input checks, the plan of one profile with its external endpoints, the one rule for the
endpoints' statuses per mode and active side, the profiles a pair gets, and the pair key's pre-flight.

No SDK and no I/O: arm/traffic_service.py reads profiles as the plain dicts planned here and applies the plans.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import PlanError, validate_resource_group_name
from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import merge_tags
from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import tag_errors

DNS_SUFFIX = "trafficmanager.net"
ROUTING_METHODS = ("Priority", "Weighted")
PROTOCOLS = ("HTTP", "HTTPS", "TCP")
STATUSES = ("Enabled", "Disabled")
MODES = ("hot/hot", "hot/warm", "hot/cold")
ROLES = ("primary", "secondary")
MONITOR_DEFAULTS = dict(protocol="HTTPS", port=443, path="/")
MAX_TTL = 2147483647
MAX_PRIORITY = 1000

# Profile names: 1 to 63 letters, digits, '-' and '.', starting and ending with a letter or digit.
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$")
# The relative DNS name: DNS labels joined by dots (<relative_name>.trafficmanager.net).
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_RELATIVE_NAME = re.compile(r"^%s(\.%s)*$" % (_LABEL, _LABEL))
_HOST = re.compile(r"^%s(\.%s)*\.?$" % (_LABEL, _LABEL))
_ENDPOINT_NAME = re.compile(r"^[^/\\?#%<>&:*]{1,260}$")
# Azure ML online endpoint names: 3 to 32 letters, digits and '-', starting with a letter.
_ONLINE_ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")
# Microsoft's scoring host of an online endpoint: <endpoint>.<region>.inference.ml.azure.com
INFERENCE_HOST = "%s.%s.inference.ml.azure.com"

PAIR_KEYS = ("endpoints", "resource_group")


def _int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def normalize_host(value):
    """Host names compare without case and without a trailing dot."""
    return value.rstrip(".").lower() if isinstance(value, str) else value


# --- input checks --------------------------------------------------------------------------------

def _endpoint_errors(index, endpoint, routing_method, seen_names, seen_priorities):
    label = "endpoints[%d]" % index
    if not isinstance(endpoint, dict):
        return ["%s: must be a dict with name, target, priority and status" % label]
    errors = []
    name, target = endpoint.get("name"), endpoint.get("target")
    if not isinstance(name, str) or not _ENDPOINT_NAME.match(name):
        errors.append("%s.name: %r is not a valid endpoint name (1 to 260 characters, none of / \\ ? # %% < > & : *)"
                      % (label, name))
    elif name.lower() in seen_names:
        errors.append("%s.name: '%s' is listed twice (endpoints[%d]); endpoint names are unique in a profile"
                      % (label, name, seen_names[name.lower()]))
    else:
        seen_names[name.lower()] = index
    if not isinstance(target, str) or not target:
        errors.append("%s.target: required: the host name (or IP address) the endpoint sends clients to" % label)
    elif "://" in target or "/" in target or not _HOST.match(target):
        errors.append("%s.target: '%s' is not a host name; give the host alone (for an online endpoint its scoring "
                      "host, e.g. my-endpoint.eastus.inference.ml.azure.com)" % (label, target))
    priority = endpoint.get("priority")
    if priority is not None:
        if not _int(priority) or not 1 <= priority <= MAX_PRIORITY:
            errors.append("%s.priority: must be a whole number from 1 to %d, got %r" % (label, MAX_PRIORITY, priority))
        elif routing_method == "Priority" and priority in seen_priorities:
            errors.append("%s.priority: %d is already the priority of endpoints[%d]; priorities must be unique in a "
                          "profile with Priority routing" % (label, priority, seen_priorities[priority]))
        else:
            seen_priorities[priority] = index
    status = endpoint.get("status")
    if status is not None and status not in STATUSES:
        errors.append("%s.status: %r is not one of %s" % (label, status, ", ".join(STATUSES)))
    return errors


def input_errors(params):
    """One line per bad option of traffic_manager_profile (each naming it); [] when good. Pure."""
    errors = []
    name = params.get("name")
    if not isinstance(name, str) or not _PROFILE_NAME.match(name):
        errors.append("name: %r is not a valid Traffic Manager profile name (1 to 63 letters, digits, '-' and '.', "
                      "starting and ending with a letter or digit)" % (name,))
    try:
        validate_resource_group_name(params.get("resource_group"), "resource_group")
    except PlanError as exc:
        errors.append(str(exc))
    if params.get("state", "present") == "absent":
        return errors
    relative = params.get("relative_name")
    if relative is not None and (not isinstance(relative, str) or not _RELATIVE_NAME.match(relative)
                                 or len(relative) > 253 - len(DNS_SUFFIX) - 1):
        errors.append("relative_name: %r is not a valid DNS name (labels of letters, digits and '-', joined by '.'; "
                      "it becomes <relative_name>.%s)" % (relative, DNS_SUFFIX))
    elif relative is None and isinstance(name, str) and _PROFILE_NAME.match(name) and not _RELATIVE_NAME.match(name):
        errors.append("relative_name: the default, the profile's name '%s', is not a valid DNS name; set "
                      "relative_name" % name)
    routing = params.get("routing_method") or "Priority"
    if routing not in ROUTING_METHODS:
        errors.append("routing_method: %r is not one of %s" % (routing, ", ".join(ROUTING_METHODS)))
    ttl = params.get("ttl")
    if ttl is not None and (not _int(ttl) or not 0 <= ttl <= MAX_TTL):
        errors.append("ttl: must be a whole number of seconds from 0 to %d, got %r" % (MAX_TTL, ttl))
    monitor = params.get("monitor")
    if monitor is not None:
        if not isinstance(monitor, dict):
            errors.append("monitor: must be a dict with protocol, port and path")
        else:
            protocol, port, path = monitor.get("protocol"), monitor.get("port"), monitor.get("path")
            if protocol is not None and protocol not in PROTOCOLS:
                errors.append("monitor.protocol: %r is not one of %s" % (protocol, ", ".join(PROTOCOLS)))
            if port is not None and (not _int(port) or not 1 <= port <= 65535):
                errors.append("monitor.port: must be a port number from 1 to 65535, got %r" % (port,))
            if protocol != "TCP" and path is not None and (not isinstance(path, str) or not path.startswith("/")):
                errors.append("monitor.path: %r must start with '/'" % (path,))
    endpoints = params.get("endpoints")
    if endpoints is not None:
        if not isinstance(endpoints, list):
            errors.append("endpoints: must be a list of dicts with name, target, priority and status")
        else:
            names, priorities = {}, {}
            for index, endpoint in enumerate(endpoints):
                errors += _endpoint_errors(index, endpoint, routing, names, priorities)
    errors += tag_errors(params.get("tags"))
    return errors


# --- the plan of one profile ---------------------------------------------------------------------

def desired_profile(params):
    """The module's options as the plan takes them (defaults applied)."""
    monitor = dict(MONITOR_DEFAULTS, **dict((k, v) for k, v in (params.get("monitor") or {}).items() if v is not None))
    if monitor["protocol"] == "TCP":
        monitor["path"] = None  # Traffic Manager probes TCP without a path
    endpoints = params.get("endpoints")
    return dict(
        relative_name=params.get("relative_name") or params.get("name"),
        routing_method=params.get("routing_method") or "Priority",
        ttl=params["ttl"] if params.get("ttl") is not None else 30,
        monitor=monitor,
        endpoints=None if endpoints is None else [dict(name=e["name"], target=e["target"], priority=e.get("priority"),
                                                       status=e.get("status")) for e in endpoints],
        purge_endpoints=params.get("purge_endpoints", True),
        retarget=bool(params.get("retarget")),
        tags=params.get("tags"),
        purge_tags=params.get("purge_tags", True),
    )


def _sorted_endpoints(endpoints):
    return sorted(endpoints, key=lambda e: (e.get("priority") is None, e.get("priority") or 0, e["name"].lower()))


def _assign_priorities(endpoints):
    """New endpoints without a priority get the next free one, in order, as Traffic Manager assigns them."""
    taken = [e["priority"] for e in endpoints if e.get("priority") is not None]
    for endpoint in endpoints:
        if endpoint.get("priority") is None:
            endpoint["priority"] = max(taken or [0]) + 1
            taken.append(endpoint["priority"])


def _foreign(endpoint):
    return "'%s' -> %s" % (endpoint["name"], endpoint.get("target") or endpoint.get("type"))


def plan_endpoints(desired, current_endpoints, name):
    """(endpoints after, changes) for the profile ``name``; PlanError when the change would take the profile over
    from other targets without ``retarget`` (the profile fronts something else)."""
    current = dict((e["name"].lower(), e) for e in current_endpoints)
    wanted = desired["endpoints"]
    if wanted is None:
        return [dict(e) for e in current_endpoints], {}
    targets = set(normalize_host(e["target"]) for e in wanted)
    taken_over = []
    after, changes = [], {}
    for endpoint in wanted:
        have = current.get(endpoint["name"].lower())
        if have is None:
            new = dict(name=endpoint["name"], type="external", target=endpoint["target"],
                       priority=endpoint.get("priority"), status=endpoint.get("status") or "Enabled")
            new["monitor_status"] = "Disabled" if new["status"] == "Disabled" else None
            after.append(new)
            added = dict(target=new["target"], priority=new["priority"], status=new["status"])
            changes["endpoints.%s" % endpoint["name"]] = [None, added]
            continue
        if have.get("type") != "external":
            raise PlanError("endpoints: profile %s's endpoint '%s' is of type %s, not external (a host name); "
                            "this profile does not front these endpoints: choose another profile name"
                            % (name, have["name"], have.get("type")))
        item = dict(have)
        for field in ("target", "priority", "status"):
            want = endpoint.get(field)
            if want is None:
                continue
            same = normalize_host(want) == normalize_host(have.get(field)) if field == "target" else want == have.get(field)
            if not same:
                if field == "target":
                    taken_over.append(have)
                changes["endpoints.%s.%s" % (have["name"], field)] = [have.get(field), want]
                item[field] = want
                if field == "status":
                    item["monitor_status"] = "Disabled" if want == "Disabled" else None
        after.append(item)
    listed = set(e["name"].lower() for e in wanted)
    for key, have in sorted(current.items()):
        if key in listed:
            continue
        if desired["purge_endpoints"]:
            if normalize_host(have.get("target")) not in targets:
                taken_over.append(have)
            changes["endpoints.%s" % have["name"]] = [dict(target=have.get("target"), priority=have.get("priority"),
                                                           status=have.get("status")), None]
        else:
            after.append(dict(have))
    if taken_over and not desired["retarget"]:
        raise PlanError("name: Traffic Manager profile %s already exists and fronts other targets (%s), not the "
                        "endpoints asked for; choose another profile name, or set retarget=true to take it over"
                        % (name, ", ".join(_foreign(e) for e in taken_over)))
    _assign_priorities(after)
    for endpoint in after:
        key = "endpoints.%s" % endpoint["name"]
        if key in changes and changes[key][0] is None:
            changes[key][1]["priority"] = endpoint["priority"]
    return _sorted_endpoints(after), changes


def _priority_clashes(after, routing_method, name):
    if routing_method != "Priority":
        return
    seen = {}
    for endpoint in after:
        other = seen.get(endpoint["priority"])
        if other is not None:
            raise PlanError("endpoints: priority %d would be shared by endpoints '%s' and '%s' of profile %s (an "
                            "endpoint kept because purge_endpoints is false, or one whose priority is not set); "
                            "priorities must be unique" % (endpoint["priority"], other, endpoint["name"], name))
        seen[endpoint["priority"]] = endpoint["name"]


def plan_profile(desired, current, state="present", name=None):
    """Decide what to do with one profile: ``{action, changes, after, patch}``.

    ``desired``: ``desired_profile(params)``; ``current``: the profile as traffic_service reads it, or None.
    ``patch``: the profile fields to change (``endpoints``: the whole list after the change).
    """
    if state == "absent":
        return dict(action="none" if current is None else "delete", changes={}, after=None, patch={})
    name = name or (current or {}).get("name") or desired["relative_name"]
    if current is None:
        endpoints = plan_endpoints(dict(desired, endpoints=desired["endpoints"] or []), [], name)[0]
        _priority_clashes(endpoints, desired["routing_method"], name)
        after = dict(relative_name=desired["relative_name"],
                     fqdn="%s.%s" % (desired["relative_name"].lower(), DNS_SUFFIX),
                     routing_method=desired["routing_method"], ttl=desired["ttl"], monitor=dict(desired["monitor"]),
                     profile_status="Enabled", profile_monitor_status=None, endpoints=endpoints,
                     tags=merge_tags(desired.get("tags"), {}, True))
        return dict(action="create", changes={}, after=after, patch={})

    if desired["relative_name"].lower() != (current.get("relative_name") or "").lower():
        raise PlanError("relative_name cannot be changed once the profile exists (it is '%s', asked for '%s'); "
                        "create a new profile instead" % (current.get("relative_name"), desired["relative_name"]))
    changes, patch = {}, {}
    for field in ("routing_method", "ttl", "monitor"):
        if desired[field] != current.get(field):
            changes[field] = [current.get(field), desired[field]]
            patch[field] = desired[field]
    endpoints, endpoint_changes = plan_endpoints(desired, current.get("endpoints") or [], name)
    _priority_clashes(endpoints, desired["routing_method"], name)
    if endpoint_changes:
        changes.update(endpoint_changes)
        patch["endpoints"] = endpoints
    tags_before = dict(current.get("tags") or {})
    tags_after = merge_tags(desired.get("tags"), tags_before, desired.get("purge_tags", True))
    if tags_after != tags_before:
        changes["tags"] = [tags_before, tags_after]
        patch["tags"] = tags_after
    after = dict(current, endpoints=endpoints, tags=tags_after)
    after.update((k, v) for k, v in patch.items() if k != "endpoints")
    if endpoint_changes:
        after["profile_monitor_status"] = None  # the probes' verdict after the change is not known yet
    return dict(action="update" if patch else "none", changes=changes, after=after, patch=patch)


# --- the pair: statuses, profiles, pre-flight ----------------------------------------------------

def endpoint_statuses(mode, active):
    """{primary: Enabled|Disabled, secondary: ...}: THE rule for a pair's Traffic Manager endpoints.

    While the primary is active, it is Enabled and the secondary is Enabled in hot/hot (it serves too; Traffic
    Manager's probes may move traffic to it on their own) and Disabled in hot/warm and hot/cold (it does not
    serve at rest). Once the secondary is active (after a failover), it is Enabled and the primary is Disabled
    in every mode: a region that recovers must not take traffic back before the failback, which is the same
    rule with active=primary.
    """
    if mode not in MODES:
        raise PlanError("modes.inference: '%s' is not one of %s" % (mode, ", ".join(MODES)))
    if active not in ROLES:
        raise PlanError("active: '%s' is not one of %s" % (active, ", ".join(ROLES)))
    if active == "secondary":
        return dict(primary="Disabled", secondary="Enabled")
    return dict(primary="Enabled", secondary="Enabled" if mode == "hot/hot" else "Disabled")


def profile_name(pair_name, endpoint):
    return "tm-%s-%s" % (pair_name, endpoint)


def traffic_manager_profiles(pair_name, locations, shared_group, traffic_manager, mode, active, tags=None):
    """The traffic_manager_profile arguments of a pair, one per fronted online endpoint.

    ``locations``: {primary: region, secondary: region}; ``shared_group``: the pair's shared resource group
    (the default of ``traffic_manager.resource_group``); ``mode``: the pair's ``modes.inference``.
    """
    if not traffic_manager:
        return []
    statuses = endpoint_statuses(mode or "hot/hot", active)
    group = traffic_manager.get("resource_group") or shared_group
    out = []
    for endpoint in traffic_manager.get("endpoints") or []:
        name = profile_name(pair_name, endpoint)
        profile = dict(name=name, resource_group=group, relative_name=name, routing_method="Priority",
                       endpoints=[dict(name=role, target=INFERENCE_HOST % (endpoint.lower(), locations[role]),
                                       priority=index + 1, status=statuses[role])
                                  for index, role in enumerate(ROLES)])
        if tags is not None:
            profile["tags"] = dict(tags)
        out.append(profile)
    return out


def pair_traffic_manager_errors(pair, layout=None):
    """What is wrong with the pair's ``traffic_manager`` key, one line each naming it; [] when good or unset.

    With ``layout`` (the pair's dr_pair_layout), each profile the pair would get is checked with the module's own
    ``input_errors`` too. Whether a profile of that name already fronts something else only Azure knows: the
    module refuses it before any change.
    """
    tm = pair.get("traffic_manager") if isinstance(pair, dict) else None
    if tm is None:
        return []
    if not isinstance(tm, dict):
        return ["traffic_manager: must be a dict with endpoints (the online endpoint names to front) and optionally "
                "resource_group"]
    errors = ["traffic_manager.%s: unknown key (known: %s)" % (key, ", ".join(PAIR_KEYS))
              for key in sorted(tm, key=str) if key not in PAIR_KEYS]
    endpoints = tm.get("endpoints")
    if not isinstance(endpoints, list) or not endpoints:
        errors.append("traffic_manager.endpoints: must be a non-empty list of online endpoint names")
        endpoints = []
    seen = {}
    for index, endpoint in enumerate(endpoints):
        label = "traffic_manager.endpoints[%d]" % index
        if not isinstance(endpoint, str) or not _ONLINE_ENDPOINT.match(endpoint):
            errors.append("%s: %r is not an online endpoint name (3 to 32 letters, digits and '-', starting with a "
                          "letter, ending with a letter or digit)" % (label, endpoint))
        elif endpoint.lower() in seen:
            errors.append("%s: '%s' is listed twice (traffic_manager.endpoints[%d])" % (label, endpoint, seen[endpoint.lower()]))
        else:
            seen[endpoint.lower()] = index
    if tm.get("resource_group") is not None:
        try:
            validate_resource_group_name(tm["resource_group"], "traffic_manager.resource_group")
        except PlanError as exc:
            errors.append(str(exc))
    if errors or layout is None:
        return errors
    locations = dict((role, layout["regions"][role]["location"]) for role in ROLES)
    profiles = traffic_manager_profiles(layout["pair"], locations, layout["shared"]["resource_group"], tm, "hot/hot",
                                        "primary")
    for index, profile in enumerate(profiles):
        for error in input_errors(profile):
            option, rest = error.split(":", 1) if ":" in error else (error, "")
            errors.append("traffic_manager.endpoints[%d] (profile %s, %s):%s" % (index, profile["name"], option, rest))
    return errors
