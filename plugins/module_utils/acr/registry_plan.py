# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for container registries and their geo-replications.

No SDK and no I/O: the service layer (acr_service.py) reads registries and replications as plain
dicts (the keys below) and applies the plans this module returns. Two decision tables live here:

- ``plan_registry``: create / update / delete one registry (module ``container_registry``);
- ``plan_georeplica``: the SKU gate and the replica diff (module ``acr_georeplica``).

Idempotency is decided here, field by field, on normalized values: a replica that already
matches what is asked is *kept*, never re-sent to Azure and never reported as changed. (The
official azure.azcollection replication module sends an update for every existing replica and
compares the SDK's answer with its own dict, so it reports a change on every run; this module
compares the desired fields with the current ones before calling anything.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import require_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import tag_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_timeout_errors

# Microsoft.ContainerRegistry 2023-07-01: registryName / replicationName path parameters.
REGISTRY_NAME_RE = re.compile(r"^[a-zA-Z0-9]{5,50}$")
SKUS = ("Basic", "Standard", "Premium")
ZONE_REDUNDANCY = ("Enabled", "Disabled")
PUBLIC_NETWORK_ACCESS = ("Enabled", "Disabled")
REPLICA_KEYS = ("location", "zone_redundancy", "region_endpoint_enabled", "tags")

# Registry fields settable through PATCH (RegistryUpdateParameters in the spec).
REGISTRY_UPDATABLE = ("sku", "admin_user_enabled", "public_network_access")
# Registry fields Azure fixes at creation.
REGISTRY_IMMUTABLE = ("location", "zone_redundancy")


class PlanError(ValueError):
    """Bad input, or a desired state that cannot be reached from the current one."""


def normalize_location(value):
    """'West US' and 'westus' are the same region for ARM."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def _canonical(value, choices, option):
    """Case-insensitive choice -> its canonical spelling, else a clear error."""
    if value is None:
        return None
    for choice in choices:
        if isinstance(value, str) and value.lower() == choice.lower():
            return choice
    raise PlanError("%s: '%s' is not one of %s" % (option, value, ", ".join(choices)))


def validate_registry_name(name, option="name"):
    if not isinstance(name, str) or not REGISTRY_NAME_RE.match(name):
        raise PlanError("%s: '%s' is not a valid container registry name: 5 to 50 letters and digits "
                        "(no '-', '_' or '.')" % (option, name))
    return name


def replication_name(location):
    """The name Azure (portal, CLI) gives a replication: its region's name, e.g. 'westus'."""
    return normalize_location(location)


# ---------------------------------------------------------------------------------------------
# container_registry
# ---------------------------------------------------------------------------------------------

def desired_tags(wanted, current, purge):
    """Tags after the change: ``wanted`` None means 'leave tags alone'."""
    if wanted is None:
        return dict(current or {})
    if purge:
        return dict(wanted)
    merged = dict(current or {})
    merged.update(wanted)
    return merged


def _same(field, want, have):
    if field == "location":
        return normalize_location(want) == normalize_location(have)
    if isinstance(want, str) and isinstance(have, str):
        return want.lower() == have.lower()
    return want == have


def plan_registry(desired, current, state="present"):
    """Decide what to do with one registry.

    ``desired``: the module options (None = not managed): location, sku, admin_user_enabled,
    public_network_access, zone_redundancy, tags, purge_tags.
    ``current``: the registry as read (see acr_service.registry_to_dict) or None.

    Returns ``{action, changes, after, patch}`` with action create/update/delete/none.
    """
    if state == "absent":
        return dict(action="none" if current is None else "delete", changes={}, after=None, patch={})

    sku = _canonical(desired.get("sku"), SKUS, "sku")
    zone = _canonical(desired.get("zone_redundancy"), ZONE_REDUNDANCY, "zone_redundancy")
    pna = _canonical(desired.get("public_network_access"), PUBLIC_NETWORK_ACCESS, "public_network_access")
    want = dict(desired, sku=sku, zone_redundancy=zone, public_network_access=pna)

    if current is None:
        missing = [f for f in ("location", "sku") if not want.get(f)]
        if missing:
            raise PlanError("to create the registry, set: %s" % ", ".join(missing))
        after = dict(
            location=normalize_location(want["location"]),
            sku=sku,
            admin_user_enabled=bool(want.get("admin_user_enabled")),
            public_network_access=pna or "Enabled",
            zone_redundancy=zone or "Disabled",
            tags=desired_tags(want.get("tags"), {}, True),
        )
        return dict(action="create", changes={}, after=after, patch={})

    for field in REGISTRY_IMMUTABLE:
        value = want.get(field)
        have = current.get(field)
        if field == "zone_redundancy" and have is None:
            have = "Disabled"  # the spec's default when Azure leaves it out
        if value is not None and not _same(field, value, have):
            raise PlanError("%s cannot be changed once the registry exists (it is '%s', asked for '%s'); "
                            "create a new registry instead" % (field, have, value))

    changes, patch = {}, {}
    for field in REGISTRY_UPDATABLE:
        value = want.get(field)
        if value is not None and not _same(field, value, current.get(field)):
            changes[field] = [current.get(field), value]
            patch[field] = value
    tags_after = desired_tags(want.get("tags"), current.get("tags"), want.get("purge_tags", True))
    if tags_after != (current.get("tags") or {}):
        changes["tags"] = [current.get("tags") or {}, tags_after]
        patch["tags"] = tags_after

    after = dict(current)
    after.update(patch)
    after["tags"] = tags_after
    return dict(action="update" if patch else "none", changes=changes, after=after, patch=patch)


# ---------------------------------------------------------------------------------------------
# acr_georeplica
# ---------------------------------------------------------------------------------------------

def validate_replicas(replicas, option="replicas"):
    """Check and normalize the desired replicas; one clear line naming the entry on error.

    Returns a list of dicts with every key of REPLICA_KEYS: location (normalized), zone_redundancy
    (canonical or None = 'not managed'), region_endpoint_enabled (bool, default True), tags (dict
    or None = 'not managed').
    """
    if replicas is None:
        return []
    if not isinstance(replicas, list):
        raise PlanError("%s: must be a list of dicts with at least 'location'" % option)
    out, seen = [], {}
    for i, entry in enumerate(replicas):
        where = "%s[%d]" % (option, i)
        if not isinstance(entry, dict):
            raise PlanError("%s: must be a dict with at least 'location', got '%s'" % (where, entry))
        unknown = sorted(set(entry) - set(REPLICA_KEYS))
        if unknown:
            raise PlanError("%s: unknown key(s) %s (allowed: %s)" % (where, ", ".join(unknown), ", ".join(REPLICA_KEYS)))
        location = normalize_location(entry.get("location"))
        if not location:
            raise PlanError("%s.location: a region is required, for example westus" % where)
        if not re.match(r"^[a-z0-9]+$", location):
            raise PlanError("%s.location: '%s' is not an Azure region name (letters and digits, like westus)"
                            % (where, entry.get("location")))
        if not REGISTRY_NAME_RE.match(replication_name(location)):
            raise PlanError("%s.location: '%s' is not a region a replica can be placed in" % (where, entry.get("location")))
        if location in seen:
            raise PlanError("%s.location: '%s' is listed twice (also %s[%d]); one replica per region"
                            % (where, location, option, seen[location]))
        seen[location] = i
        endpoint = entry.get("region_endpoint_enabled")
        if endpoint is None:
            endpoint = True
        if not isinstance(endpoint, bool):
            raise PlanError("%s.region_endpoint_enabled: must be true or false" % where)
        tags = entry.get("tags")
        if tags is not None:
            if not isinstance(tags, dict):
                raise PlanError("%s.tags: must be a dict" % where)
            tags = dict((str(k), str(v)) for k, v in tags.items())
        out.append(dict(
            location=location,
            zone_redundancy=_canonical(entry.get("zone_redundancy"), ZONE_REDUNDANCY, where + ".zone_redundancy"),
            region_endpoint_enabled=endpoint,
            tags=tags,
        ))
    return out


def sku_gate(registry_name, sku, allow_sku_upgrade):
    """[before, 'Premium'] when the registry must be upgraded first, None when it is Premium.

    Geo-replication is a Premium feature: a Basic/Standard registry is refused unless the user
    allows the upgrade (it changes the bill, so never silently).
    """
    if isinstance(sku, str) and sku.lower() == "premium":
        return None
    if not allow_sku_upgrade:
        raise PlanError("registry %s is %s; geo-replication needs Premium: set allow_sku_upgrade: true to upgrade it"
                        % (registry_name, sku))
    return [sku, "Premium"]


def _current_view(replica):
    """A current replica with Azure's defaults filled in (the spec's defaults when a field is absent)."""
    zone = replica.get("zone_redundancy") or "Disabled"
    endpoint = replica.get("region_endpoint_enabled")
    return dict(replica,
                location=normalize_location(replica.get("location")),
                zone_redundancy=_canonical(zone, ZONE_REDUNDANCY, "zone_redundancy") if zone else "Disabled",
                region_endpoint_enabled=True if endpoint is None else bool(endpoint),
                tags=dict(replica.get("tags") or {}))


def diff_replica(want, have):
    """{field: [before, after]} for the fields that must change on an existing replica.

    Compared: region_endpoint_enabled (always; default true), tags (only when given; exact set).
    zone_redundancy is create-only: a difference raises PlanError. provisioning_state, status,
    name and id are read-only and never compared, so a replica that matches reports no change.
    """
    have = _current_view(have)
    if want.get("zone_redundancy") is not None and want["zone_redundancy"] != have["zone_redundancy"]:
        raise PlanError(
            "replica in %s: zone_redundancy cannot be changed on an existing replica (it is '%s', asked for '%s'); "
            "remove the replica (leave it out with purge: true) and add it again"
            % (want["location"], have["zone_redundancy"], want["zone_redundancy"]))
    changes = {}
    if want["region_endpoint_enabled"] != have["region_endpoint_enabled"]:
        changes["region_endpoint_enabled"] = [have["region_endpoint_enabled"], want["region_endpoint_enabled"]]
    if want.get("tags") is not None and want["tags"] != have["tags"]:
        changes["tags"] = [have["tags"], want["tags"]]
    return changes


def plan_georeplica(registry, replicas, desired, purge=False, allow_sku_upgrade=False):
    """The SKU gate and the replica diff.

    ``registry``: dict with name, location, sku. ``replicas``: the registry's current
    replications (dicts: name, location, zone_redundancy, region_endpoint_enabled, tags,
    provisioning_state, status), the home-region one included or not. ``desired``: the output of
    ``validate_replicas``.

    Returns a dict:
      ``sku``: [before, 'Premium'] or None;
      ``add``: replicas to create (name, location, zone_redundancy, region_endpoint_enabled, tags);
      ``update``: [{name, location, patch, changes}] for replicas whose updatable fields differ;
      ``remove``: current replicas to delete (only with purge);
      ``changes``: the module's ``changes`` ({sku, added, removed, updated}, only non-empty keys);
      ``after``: the predicted replicas (home region left out), sorted by location.
    """
    home = normalize_location(registry.get("location"))
    name = registry.get("name")
    for want in desired:
        if want["location"] == home:
            raise PlanError("replicas: '%s' is the home region of registry %s; its home-region replication is "
                            "managed by Azure, list only the other regions" % (want["location"], name))

    # Nothing to replicate (replicas: [] to purge them all) needs no Premium.
    sku = sku_gate(name, registry.get("sku"), allow_sku_upgrade) if desired else None

    # One replication per region in Azure: match by region, whatever the existing one is called.
    current = {}
    for replica in replicas or []:
        view = _current_view(replica)
        if view["location"] != home:
            current.setdefault(view["location"], view)

    add, update, remove, after = [], [], [], {}
    for want in desired:
        have = current.get(want["location"])
        if have is None:
            new = dict(name=replication_name(want["location"]), location=want["location"],
                       zone_redundancy=want["zone_redundancy"] or "Disabled",
                       region_endpoint_enabled=want["region_endpoint_enabled"], tags=dict(want["tags"] or {}))
            add.append(new)
            after[want["location"]] = dict(new, provisioning_state="Succeeded", status=None)
            continue
        changes = diff_replica(want, have)
        predicted = dict(have)
        if changes:
            patch = dict((field, values[1]) for field, values in changes.items())
            update.append(dict(name=have["name"], location=have["location"], patch=patch, changes=changes))
            predicted.update(patch)
        after[want["location"]] = predicted

    wanted = set(w["location"] for w in desired)
    for location in sorted(current):
        if location in wanted:
            continue
        if purge:
            remove.append(current[location])
        else:
            after[location] = current[location]  # not listed, kept: purge is off

    changes = {}
    if sku:
        changes["sku"] = sku
    if add:
        changes["added"] = [r["location"] for r in add]
    if remove:
        changes["removed"] = [r["location"] for r in remove]
    if update:
        changes["updated"] = [dict(location=u["location"], changes=u["changes"]) for u in update]
    return dict(sku=sku, add=add, update=update, remove=remove, changes=changes,
                after=[after[k] for k in sorted(after)])


# ---------------------------------------------------------------------------------------------
# input checks (the modules and the provision role's pre-flight run the same ones)
# ---------------------------------------------------------------------------------------------

REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"


def _errors_of(*checks):
    errors = []
    for check in checks:
        try:
            check[0](*check[1:])
        except ValueError as exc:  # PlanError and InvalidResourceIdError
            errors.append(str(exc))
    return errors


def registry_id_errors(registry_id, option="registry_id"):
    """A well-formed registry ID whose name Azure would accept."""
    try:
        rid = require_resource_id(registry_id, REGISTRY_TYPE, option)
    except ValueError as exc:
        return [str(exc)]
    return _errors_of((validate_registry_name, rid.name, option))


def registry_errors(params):
    """The container_registry module's options."""
    errors = _errors_of((validate_registry_name, params.get("name")),
                        (_canonical, params.get("sku"), SKUS, "sku"),
                        (_canonical, params.get("zone_redundancy"), ZONE_REDUNDANCY, "zone_redundancy"),
                        (_canonical, params.get("public_network_access"), PUBLIC_NETWORK_ACCESS,
                         "public_network_access"))
    return errors + tag_errors(params.get("tags")) + wait_timeout_errors(params.get("wait_timeout"))


def georeplica_errors(params):
    """The acr_georeplica module's options."""
    if params.get("registry_id"):
        errors = registry_id_errors(params["registry_id"])
    else:
        errors = _errors_of((validate_registry_name, params.get("registry"), "registry"))
    errors += _errors_of((validate_replicas, params.get("replicas")))
    for i, replica in enumerate(params.get("replicas") or []):
        if isinstance(replica, dict):
            errors += tag_errors(replica.get("tags"), "replicas[%d].tags" % i)
    return errors + wait_timeout_errors(params.get("wait_timeout"))


def input_errors(params, kind="registry"):
    """Everything wrong with one module's options, one line each naming the option ([] when good).
    ``kind``: ``registry`` (container_registry) or ``georeplica`` (acr_georeplica)."""
    return {"registry": registry_errors, "georeplica": georeplica_errors}[kind](params)
