# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layout of a DR pair (which resource goes where, under which name, with which tags) and its
pre-flight check.

Pure functions over the role's variables, used by the provision role through the
``amlops.bcdr.dr_pair_errors`` and ``amlops.bcdr.dr_pair_layout`` filters. The pre-flight returns a
list of messages (empty when the input is good) so that the role can stop with all of them at
once, before any change; for each resource it runs the ``input_errors`` of the module that makes it
(the plan files), so no input check lives here only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amlops.bcdr.plugins.module_utils.acr import registry_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.arm import resource_plan, role_plan, traffic_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import require_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import compute_plan, datastore_plan, workspace_plan

PAIR_NAME_RE = re.compile(r"^[a-z][a-z0-9]{1,11}$")
MODES = ("hot/hot", "hot/warm", "hot/cold")
RESOURCE_CLASSES = ("training", "inference")
# What the role's argument spec gives a pair that names no mode.
DEFAULT_MODES = {"inference": "hot/hot", "training": "hot/cold"}
GEO_REDUNDANT_SKUS = ("Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS")
# Azure refuses '/' (and <>%&\?) in tag names.
TAG_PAIR = "amlops.bcdr.pair"
TAG_ROLE = "amlops.bcdr.role"
ROLES = ("primary", "secondary")


def normalize_region(value):
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def _clusters(clusters):
    return [dict(c) for c in (clusters or [])]


def mode_errors(modes):
    """The pair's ``modes``: a dict of resource class -> one of MODES; one line per problem naming the key."""
    if modes is None:
        return []
    if not isinstance(modes, dict):
        return ["modes: must be a dict like {training: hot/cold, inference: hot/hot}"]
    errors = []
    for resource_class, mode in sorted(modes.items(), key=lambda item: str(item[0])):
        if resource_class not in RESOURCE_CLASSES:
            errors.append("modes: unknown resource class '%s' (use %s)" % (resource_class, ", ".join(RESOURCE_CLASSES)))
        elif not isinstance(mode, str) or mode not in MODES:
            errors.append("modes.%s: '%s' is not one of %s" % (resource_class, mode, ", ".join(MODES)))
    return errors


def _whole(value):
    """An int from an int or a string of digits (extra vars arrive as strings); None otherwise."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def standby_errors(pair):
    """``standby_instance_count`` (hot/warm standby deployments; at least 1, what Azure allows) and
    ``compute_clusters[].standby_max_nodes`` (hot/warm standby clusters at rest; 1 to ``max_nodes``)."""
    errors = []
    count = pair.get("standby_instance_count")
    if count is not None and (_whole(count) is None or _whole(count) < 1):
        errors.append("standby_instance_count: must be a whole number of at least 1 (instances of each hot/warm "
                      "standby deployment), got %r" % (count,))
    clusters = pair.get("compute_clusters")
    for index, cluster in enumerate(clusters if isinstance(clusters, list) else []):
        if not isinstance(cluster, dict) or cluster.get("standby_max_nodes") is None:
            continue
        value, most = _whole(cluster["standby_max_nodes"]), _whole(cluster.get("max_nodes"))
        if value is None or value < 1:
            errors.append("compute_clusters[%d].standby_max_nodes: must be a whole number of at least 1, got %r"
                          % (index, cluster["standby_max_nodes"]))
        elif most is not None and value > most:
            errors.append("compute_clusters[%d].standby_max_nodes: %d is more than max_nodes (%d); the standby "
                          "runs at most what the active runs" % (index, value, most))
    return errors


def pair_errors(pair_name, primary_region, secondary_region, known_regions, modes=None,
                clusters=None, training_storage_sku=None):
    """What is wrong with the pair as a whole, one clear line each naming the pair's key (empty list:
    good). The checks of each resource the pair makes are in ``dr_pair_errors``."""
    errors = []
    if not isinstance(pair_name, str) or not PAIR_NAME_RE.match(pair_name):
        errors.append("name: '%s' must be 2 to 12 lowercase letters and digits, starting with a letter "
                      "(it becomes part of storage account and registry names)" % (pair_name,))
    primary, secondary = normalize_region(primary_region), normalize_region(secondary_region)
    known = set(normalize_region(r) for r in known_regions)
    for option, region in (("primary_region", primary), ("secondary_region", secondary)):
        if region not in known:
            errors.append("%s: '%s' is not an Azure region that hosts Azure Machine Learning (for example: eastus, "
                          "westus, westeurope, northeurope)" % (option, region))
    if primary and primary == secondary:
        errors.append("secondary_region: '%s' is the same region as primary_region; a DR pair needs two "
                      "regions (normally an Azure paired region)" % secondary)
    errors += mode_errors(modes)
    if training_storage_sku is not None and training_storage_sku not in GEO_REDUNDANT_SKUS:
        errors.append("training_storage_sku: '%s' is not geo-redundant; use one of %s"
                      % (training_storage_sku, ", ".join(GEO_REDUNDANT_SKUS)))
    if clusters is not None and not isinstance(clusters, list):
        return errors + ["compute_clusters: must be a list of dicts"]
    seen = set()
    for index, cluster in enumerate(clusters or []):
        label = "compute_clusters[%d]" % index
        if not isinstance(cluster, dict):
            errors.append("%s: must be a dict with name, vm_size and max_nodes" % label)
            continue
        name = cluster.get("name")
        if name in seen:
            errors.append("%s.name: cluster name '%s' is listed twice" % (label, name))
        seen.add(name)
        if cluster.get("resource_class", "training") not in RESOURCE_CLASSES:
            errors.append("%s.resource_class: must be one of %s" % (label, ", ".join(RESOURCE_CLASSES)))
    return errors


def clusters_for(role, clusters, modes, active="primary"):
    """The clusters a region gets: all of them, as asked, in the active region; in the standby, per the
    class's mode (hot/hot as asked, hot/warm at zero minimum nodes and ``standby_max_nodes`` (default 1)
    maximum, hot/cold none until a failover creates them). After a failover the active one is the
    secondary: a provision re-run keeps it at ``max_nodes`` instead of scaling it back down."""
    out = []
    for cluster in _clusters(clusters):
        cluster.setdefault("min_nodes", 0)
        cluster.setdefault("idle_seconds", 1800)
        cluster.setdefault("vm_priority", "Dedicated")
        standby_max = cluster.pop("standby_max_nodes", None)
        resource_class = cluster.setdefault("resource_class", "training")
        mode = (modes or {}).get(resource_class, DEFAULT_MODES.get(resource_class, "hot/hot"))
        if role == active or mode == "hot/hot":
            out.append(cluster)
        elif mode == "hot/warm":
            cluster["min_nodes"] = 0
            most = _whole(cluster.get("max_nodes"))
            wanted = _whole(standby_max) if standby_max is not None else 1
            cluster["max_nodes"] = min(wanted, most) if most is not None and wanted is not None else cluster["max_nodes"]
            out.append(cluster)
    return out


def _storage_name(*parts):
    return "".join(re.sub(r"[^a-z0-9]", "", p.lower()) for p in parts)[:24]


SETTINGS_DEFAULTS = {
    "default_storage_sku": "Standard_LRS",
    "training_storage_sku": "Standard_RAGRS",
    "training_datastore_name": "training_data",
    "training_container": "training-data",
    "key_vault_sku": "standard",
    "acr_allow_sku_upgrade": False,
    "acr_zone_redundancy": "Disabled",
}


def pair_settings(pair):
    """The pair's settings with the documented defaults filled in."""
    return {key: pair.get(key, default) if pair.get(key) is not None else default
            for key, default in SETTINGS_DEFAULTS.items()}


def pair_layout(pair_name, primary_region, secondary_region, names=None, modes=None, clusters=None, tags=None,
                active="primary"):
    """Names, regions, tags and clusters of every resource of the pair (generated names can be overridden
    through ``names``); ``active``: the region role active now (its clusters run as asked)."""
    names = names or {}
    extra_tags = dict(tags or {})
    regions = {"primary": normalize_region(primary_region), "secondary": normalize_region(secondary_region)}

    def tags_for(role):
        merged = dict(extra_tags)
        merged.update({TAG_PAIR: pair_name, TAG_ROLE: role})
        return merged

    layout = {
        "pair": pair_name,
        "shared": {
            "location": regions["primary"],
            "resource_group": names.get("shared_resource_group", "rg-%s-shared" % pair_name),
            "key_vault": names.get("key_vault", ("kv-%s-%s" % (pair_name, "bcdr"))[:24]),
            "container_registry": names.get("container_registry", _storage_name("acr", pair_name, "bcdr")),
            "training_storage": names.get("training_storage", _storage_name("st", pair_name, "train")),
            "tags": tags_for("shared"),
        },
        "regions": {},
    }
    for role in ROLES:
        region = regions[role]
        own = names.get(role) or {}
        layout["regions"][role] = {
            "role": role,
            "location": region,
            "resource_group": own.get("resource_group", "rg-%s-%s" % (pair_name, region)),
            "storage_account": own.get("storage_account", _storage_name("st", pair_name, region)),
            "app_insights": own.get("app_insights", "appi-%s-%s" % (pair_name, region)),
            "workspace": own.get("workspace", "mlw-%s-%s" % (pair_name, region)),
            "clusters": clusters_for(role, clusters, modes, active=active),
            "tags": tags_for(role),
        }
        # What aml_quota_info needs to know of each cluster this region gets.
        layout["regions"][role]["quota_requests"] = [
            {k: c[k] for k in ("name", "vm_size", "max_nodes", "vm_priority")}
            for c in layout["regions"][role]["clusters"]
        ]
    return layout


# --- the whole pair: layout and pre-flight ----------------------------------------------------

NAME_KEYS = ("shared_resource_group", "key_vault", "container_registry", "training_storage", "primary", "secondary")
REGION_NAME_KEYS = ("resource_group", "storage_account", "app_insights", "workspace")
EXISTING_KEYS = ("key_vault_id", "container_registry_id", "training_storage_id")
ASSIGNMENT_SCOPES = ("workspace", "container_registry", "key_vault", "training_storage", "resource_group")


def dr_pair_layout(pair, active=None):
    """Names, regions, tags, clusters, settings, adopted resources and role assignments of the pair;
    ``active``: the region role active now (None: the primary, as before any failover)."""
    active = active or "primary"
    if active not in ROLES:
        raise ValueError("active: '%s' is not one of %s" % (active, ", ".join(ROLES)))
    layout = pair_layout(pair.get("name"), pair.get("primary_region"), pair.get("secondary_region"),
                         names=pair.get("names"), modes=pair.get("modes"), clusters=pair.get("compute_clusters"),
                         tags=pair.get("tags"), active=active)
    layout["active"] = active
    layout["settings"] = pair_settings(pair)
    layout["existing"] = dict(pair.get("existing") or {})
    layout["role_assignments"] = list(pair.get("role_assignments") or [])
    return layout


def _relabel(errors, labels):
    """Module option -> the pair's key that set it: 'idle_time_before_scale_down: ...' becomes
    'compute_clusters[0].idle_seconds: ...'. Each error starts with the option it is about."""
    out = []
    for error in errors:
        for option in sorted(labels, key=len, reverse=True):
            rest = error[len(option):]
            if error.startswith(option) and (not rest or rest[0] in ":[.( "):
                error = labels[option] + rest
                break
        out.append(error)
    return out


def _dict_errors(value, option, known):
    if value is None:
        return []
    if not isinstance(value, dict):
        return ["%s: must be a dict" % option]
    return ["%s.%s: unknown key (known: %s)" % (option, key, ", ".join(known))
            for key in sorted(value, key=str) if key not in known]


def _shape_errors(pair):
    errors = _dict_errors(pair.get("names"), "names", NAME_KEYS)
    for role in ROLES:
        errors += _dict_errors((pair.get("names") or {}).get(role) if isinstance(pair.get("names"), dict) else None,
                               "names.%s" % role, REGION_NAME_KEYS)
    errors += _dict_errors(pair.get("existing"), "existing", EXISTING_KEYS)
    for key in ("compute_clusters", "role_assignments"):
        if pair.get(key) is not None and not (isinstance(pair[key], list)
                                              and all(isinstance(i, dict) for i in pair[key])):
            errors.append("%s: must be a list of dicts" % key)
    if pair.get("tags") is not None and not isinstance(pair.get("tags"), dict):
        errors.append("tags: must be a dict of tag names and values")
    return errors


def _resource_errors(pair, layout, wait_timeout):
    """Run the modules' own input checks on every resource the pair would make, with the pair's keys."""
    names = pair.get("names") or {}
    existing, settings, shared = layout["existing"], layout["settings"], layout["shared"]
    common = {"tags": "tags", "wait_timeout": "provision_wait_timeout"}

    def named(key, role=None):
        """The pair key a resource's name comes from: its override, else the name made from the pair's
        name (which the override can replace)."""
        own = names.get(role) or {} if role else names
        path = "names.%s.%s" % (role, key) if role else "names.%s" % key
        return path if key in own else "%s (generated from name)" % path

    errors = []

    def check(function, params, role=None, **labels):
        params = dict(params, wait_timeout=wait_timeout)
        labels = dict(common, **labels)
        labels.setdefault("resource_group", named("resource_group", role) if role else named("shared_resource_group"))
        errors.extend(_relabel(function(params), labels))

    shared_group = shared["resource_group"]
    check(resource_plan.resource_group_errors, dict(name=shared_group, tags=shared["tags"]),
          name=named("shared_resource_group"))
    if existing.get("key_vault_id") is None:
        check(resource_plan.key_vault_errors,
              dict(name=shared["key_vault"], resource_group=shared_group, sku=settings["key_vault_sku"],
                   tags=shared["tags"]),
              name=named("key_vault"), sku="key_vault_sku")
    registry_id = existing.get("container_registry_id")
    if registry_id is None:
        check(registry_plan.registry_errors,
              dict(name=shared["container_registry"], resource_group=shared_group, sku="Premium",
                   tags=shared["tags"]),
              name=named("container_registry"))
    target = dict(registry_id=registry_id) if registry_id else dict(registry=shared["container_registry"])
    check(registry_plan.georeplica_errors,
          dict(target, replicas=[dict(location=layout["regions"]["secondary"]["location"],
                                      zone_redundancy=settings["acr_zone_redundancy"])]),
          registry_id="existing.container_registry_id", registry=named("container_registry"),
          **{"replicas[0].location": "secondary_region", "replicas[0].zone_redundancy": "acr_zone_redundancy"})
    training_id = existing.get("training_storage_id")
    if training_id is None:
        check(resource_plan.storage_account_errors,
              dict(name=shared["training_storage"], resource_group=shared_group,
                   sku=settings["training_storage_sku"], tags=shared["tags"]),
              name=named("training_storage"), sku="training_storage_sku")
        training_account = shared["training_storage"]
    else:
        try:
            training_account = require_resource_id(training_id, "Microsoft.Storage/storageAccounts",
                                                   "existing.training_storage_id").name
        except ValueError as exc:
            errors.append(str(exc))
            training_account = None

    for role in ROLES:
        region = layout["regions"][role]
        group, tags = region["resource_group"], region["tags"]
        check(resource_plan.resource_group_errors, dict(name=group, tags=tags), name=named("resource_group", role), role=role)
        check(resource_plan.storage_account_errors,
              dict(name=region["storage_account"], resource_group=group, sku=settings["default_storage_sku"],
                   tags=tags),
              name=named("storage_account", role), sku="default_storage_sku", role=role)
        check(resource_plan.app_insights_errors, dict(name=region["app_insights"], resource_group=group, tags=tags),
              name=named("app_insights", role), role=role)
        # The IDs of resources the role makes are built from names checked above: only adopted ones here.
        check(workspace_plan.input_errors,
              dict(name=region["workspace"], resource_group=group, tags=tags,
                   key_vault=existing.get("key_vault_id"), container_registry=existing.get("container_registry_id")),
              name=named("workspace", role), key_vault="existing.key_vault_id",
              container_registry="existing.container_registry_id", role=role)
        check(datastore_plan.input_errors,
              dict(name=settings["training_datastore_name"], account_name=training_account,
                   container_name=settings["training_container"], credentials={}, tags=tags),
              name="training_datastore_name", container_name="training_container",
              account_name="existing.training_storage_id" if existing.get("training_storage_id") else
              named("training_storage"), role=role)

    # Every cluster is made in the primary (the secondary's copies differ only by min_nodes).
    primary = layout["regions"]["primary"]
    for index, cluster in enumerate(pair.get("compute_clusters") or []):
        label = "compute_clusters[%d]." % index
        check(compute_plan.input_errors,
              dict(name=cluster.get("name"), workspace=primary["workspace"], resource_group=primary["resource_group"],
                   vm_size=cluster.get("vm_size"), vm_priority=cluster.get("vm_priority"),
                   min_nodes=cluster.get("min_nodes", 0), max_nodes=cluster.get("max_nodes"),
                   idle_time_before_scale_down=cluster.get("idle_seconds")),
              name=label + "name", workspace=named("workspace", "primary"), vm_priority=label + "vm_priority",
              min_nodes=label + "min_nodes", max_nodes=label + "max_nodes",
              idle_time_before_scale_down=label + "idle_seconds", role="primary")

    for index, assignment in enumerate(layout["role_assignments"]):
        label = "role_assignments[%d]." % index
        # The role's scope is a name (workspace, key_vault...), made into an ID in each region later.
        params = dict((k, v) for k, v in assignment.items() if k != "scope")
        errors.extend(_relabel(role_plan.input_errors(params),
                               dict((k, label + k) for k in ("principal_id", "principal_type", "role"))))
        if assignment.get("scope", "workspace") not in ASSIGNMENT_SCOPES:
            errors.append("%sscope: '%s' is not one of %s" % (label, assignment.get("scope"), ", ".join(ASSIGNMENT_SCOPES)))
    # the traffic_manager key, and the traffic_manager_profile checks of each profile it makes
    errors.extend(traffic_plan.pair_traffic_manager_errors(pair, layout))
    return errors


def dr_pair_errors(pair, known_regions, wait_timeout=None):
    """Everything wrong with a pair's input, one line each naming the pair's key (or
    ``provision_wait_timeout``); [] when good. The pair as a whole first, then, for every resource
    the pair would make, the same ``input_errors`` its module runs, so bad input stops the play
    before the first change and no check lives in one place only."""
    if not isinstance(pair, dict):
        return ["the pair must be a dict (bcdr_pair), got %s" % type(pair).__name__]
    shape = _shape_errors(pair)
    errors = shape + pair_errors(pair.get("name"), pair.get("primary_region"), pair.get("secondary_region"),
                                 known_regions, modes=pair.get("modes"), clusters=pair.get("compute_clusters"),
                                 training_storage_sku=pair.get("training_storage_sku"))
    if not shape:
        errors += standby_errors(pair)
    if not shape and PAIR_NAME_RE.match(str(pair.get("name"))):
        # Resource names derive from the pair's name: without a good one they would only repeat its error.
        errors += _resource_errors(pair, dr_pair_layout(pair), wait_timeout)
    unique = []
    for error in errors:  # the same tag or timeout is checked on every resource: say it once
        if error not in unique:
            unique.append(error)
    return unique
