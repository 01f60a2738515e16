# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layout of a DR pair: which resource goes where, under which name, with which tags.

Pure functions over the role's variables, used by the provision role through the
``amlops.bcdr.dr_pair_errors`` and ``amlops.bcdr.dr_pair_layout`` filters. Validation returns a
list of messages (empty when the input is good) so that the role can stop with all of them at
once, before any change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

PAIR_NAME_RE = re.compile(r"^[a-z][a-z0-9]{1,11}$")
MODES = ("hot/hot", "hot/warm", "hot/cold")
RESOURCE_CLASSES = ("training", "inference")
GEO_REDUNDANT_SKUS = ("Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS")
TAG_PAIR = "amlops.bcdr/pair"
TAG_ROLE = "amlops.bcdr/role"
ROLES = ("primary", "secondary")


def normalize_region(value):
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def _clusters(clusters):
    return [dict(c) for c in (clusters or [])]


def pair_errors(pair_name, primary_region, secondary_region, known_regions, modes=None,
                clusters=None, training_storage_sku=None):
    """Everything wrong with the pair's input, one clear line each (empty list: good)."""
    errors = []
    if not isinstance(pair_name, str) or not PAIR_NAME_RE.match(pair_name):
        errors.append("bcdr_pair_name: '%s' must be 2 to 12 lowercase letters and digits, starting with a letter "
                      "(it becomes part of storage account and registry names)" % (pair_name,))
    primary, secondary = normalize_region(primary_region), normalize_region(secondary_region)
    known = set(normalize_region(r) for r in known_regions)
    for option, region in (("bcdr_primary_region", primary), ("bcdr_secondary_region", secondary)):
        if region not in known:
            errors.append("%s: '%s' is not an Azure region that hosts Azure Machine Learning (for example: eastus, "
                          "westus, westeurope, northeurope)" % (option, region))
    if primary and primary == secondary:
        errors.append("bcdr_secondary_region: '%s' is the same region as bcdr_primary_region; a DR pair needs two "
                      "regions (normally an Azure paired region)" % secondary)
    for resource_class, mode in sorted((modes or {}).items()):
        if resource_class not in RESOURCE_CLASSES:
            errors.append("bcdr_modes: unknown resource class '%s' (use %s)" % (resource_class, ", ".join(RESOURCE_CLASSES)))
        elif mode not in MODES:
            errors.append("bcdr_modes.%s: '%s' is not one of %s" % (resource_class, mode, ", ".join(MODES)))
    if training_storage_sku is not None and training_storage_sku not in GEO_REDUNDANT_SKUS:
        errors.append("bcdr_training_storage_sku: '%s' is not geo-redundant; use one of %s"
                      % (training_storage_sku, ", ".join(GEO_REDUNDANT_SKUS)))
    seen = set()
    for index, cluster in enumerate(_clusters(clusters)):
        label = "bcdr_compute_clusters[%d]" % index
        name = cluster.get("name")
        if name in seen:
            errors.append("%s: cluster name '%s' is listed twice" % (label, name))
        seen.add(name)
        low, high = cluster.get("min_nodes", 0), cluster.get("max_nodes")
        if not isinstance(high, int) or high < 1:
            errors.append("%s: max_nodes must be a positive integer" % label)
        elif not isinstance(low, int) or low < 0 or low > high:
            errors.append("%s: min_nodes (%s) must be between 0 and max_nodes (%s)" % (label, low, high))
        if cluster.get("resource_class", "training") not in RESOURCE_CLASSES:
            errors.append("%s: resource_class must be one of %s" % (label, ", ".join(RESOURCE_CLASSES)))
    return errors


NAME_RULES = {
    # Azure's naming rules, checked before any change so that a bad name cannot leave half a pair.
    "storage_account": (re.compile(r"^[a-z0-9]{3,24}$"), "3 to 24 lowercase letters and digits"),
    "training_storage": (re.compile(r"^[a-z0-9]{3,24}$"), "3 to 24 lowercase letters and digits"),
    "container_registry": (re.compile(r"^[a-zA-Z0-9]{5,50}$"), "5 to 50 letters and digits"),
    "key_vault": (re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$"),
                  "3 to 24 letters, digits and single hyphens, starting with a letter"),
    "workspace": (re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$"),
                  "3 to 33 letters, digits, '-' and '_', starting with a letter or digit"),
}


def layout_errors(layout):
    """Resource names of a layout that Azure would refuse."""
    errors = []
    for key, value in sorted(layout["shared"].items()):
        if key in NAME_RULES and not NAME_RULES[key][0].match(value):
            errors.append("%s name '%s' is invalid: %s" % (key, value, NAME_RULES[key][1]))
    for role in ROLES:
        for key, value in sorted(layout["regions"][role].items()):
            if key in NAME_RULES and isinstance(value, str) and not NAME_RULES[key][0].match(value):
                errors.append("%s %s name '%s' is invalid: %s" % (role, key, value, NAME_RULES[key][1]))
    return errors


def clusters_for(role, clusters, modes):
    """The clusters a region gets: all of them in the primary; in the secondary, per the class's mode
    (hot/hot as asked, hot/warm scaled to zero at rest, hot/cold none until failover)."""
    out = []
    for cluster in _clusters(clusters):
        cluster.setdefault("min_nodes", 0)
        cluster.setdefault("idle_seconds", 1800)
        cluster.setdefault("vm_priority", "Dedicated")
        resource_class = cluster.setdefault("resource_class", "training")
        mode = (modes or {}).get(resource_class, "hot/cold" if resource_class == "training" else "hot/hot")
        if role == "primary" or mode == "hot/hot":
            out.append(cluster)
        elif mode == "hot/warm":
            cluster["min_nodes"] = 0
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


def pair_layout(pair_name, primary_region, secondary_region, names=None, modes=None, clusters=None, tags=None):
    """Names, regions, tags and clusters of every resource of the pair (generated names can be overridden
    through ``names``)."""
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
            "clusters": clusters_for(role, clusters, modes),
            "tags": tags_for(role),
        }
        # What aml_quota_info needs to know of each cluster this region gets.
        layout["regions"][role]["quota_requests"] = [
            {k: c[k] for k in ("name", "vm_size", "max_nodes", "vm_priority")}
            for c in layout["regions"][role]["clusters"]
        ]
    return layout
