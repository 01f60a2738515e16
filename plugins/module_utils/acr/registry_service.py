# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container registry operations: the one place that calls the ContainerRegistry SDK.

Microsoft.ContainerRegistry api-version 2023-07-01 (pinned in clients.API_VERSIONS). The SDK is
typespec-generated: request bodies are sent as REST JSON dicts (camelCase keys), which it
accepts as well as its models. Everything returned is a plain snake_case dict; admin
credentials are never read (no listCredentials call), so they cannot leak.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import parse_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_for_lro

try:
    from azure.core.exceptions import ResourceNotFoundError
except ImportError:  # reported by the module through missing_required_lib
    ResourceNotFoundError = None


def _location(value):
    return (value or "").replace(" ", "").lower()


def _text(value):
    """SDK enums are str subclasses whose str() is 'SkuName.PREMIUM' on Python 3.11+: keep the value."""
    return getattr(value, "value", value)


def _status(status):
    """Status model -> its display status ('Ready'), or None."""
    if status is None:
        return None
    return _text(getattr(status, "display_status", None))


def registry_to_dict(reg):
    """The module-facing shape of a registry (snake_case, no credentials)."""
    props = reg.properties
    created = getattr(props, "creation_date", None) if props is not None else None
    return dict(
        id=reg.id,
        name=reg.name,
        resource_group=parse_resource_id(reg.id).resource_group if reg.id else None,
        location=_location(reg.location),
        sku=_text(reg.sku.name) if reg.sku is not None else None,
        tags=dict(reg.tags or {}),
        login_server=props.login_server if props is not None else None,
        admin_user_enabled=bool(props.admin_user_enabled) if props is not None else False,
        public_network_access=_text(props.public_network_access if props is not None else None) or "Enabled",
        zone_redundancy=_text(props.zone_redundancy if props is not None else None) or "Disabled",
        provisioning_state=_text(props.provisioning_state) if props is not None else None,
        creation_date=created.isoformat() if hasattr(created, "isoformat") else created,
    )


def replication_to_dict(rep):
    props = rep.properties
    endpoint = props.region_endpoint_enabled if props is not None else None
    return dict(
        id=rep.id,
        name=rep.name,
        location=_location(rep.location),
        zone_redundancy=_text(props.zone_redundancy if props is not None else None) or "Disabled",
        region_endpoint_enabled=True if endpoint is None else bool(endpoint),
        tags=dict(rep.tags or {}),
        provisioning_state=_text(props.provisioning_state) if props is not None else None,
        status=_status(props.status) if props is not None else None,
    )


# --- registries ------------------------------------------------------------------------------

def get_registry(clients, resource_group, name):
    try:
        return registry_to_dict(clients.acr().registries.get(resource_group, name))
    except ResourceNotFoundError:
        return None


def _finish_registry(clients, poller, resource_group, name, wait, wait_timeout, what):
    """Wait (bounded) for the operation, or with ``wait: false`` return the state as it is now."""
    if wait:
        result = wait_for_lro(poller, wait_timeout, what)
        if result is not None:
            return registry_to_dict(result)
    return get_registry(clients, resource_group, name)


def create_registry(clients, resource_group, name, after, wait=True, wait_timeout=900):
    body = {
        "location": after["location"],
        "sku": {"name": after["sku"]},
        "properties": {
            "adminUserEnabled": bool(after.get("admin_user_enabled")),
            "publicNetworkAccess": after.get("public_network_access") or "Enabled",
            "zoneRedundancy": after.get("zone_redundancy") or "Disabled",
        },
    }
    if after.get("tags"):
        body["tags"] = after["tags"]
    poller = clients.acr().registries.begin_create(resource_group, name, body)
    return _finish_registry(clients, poller, resource_group, name, wait, wait_timeout,
                            "container registry %s to be created" % name)


def update_registry(clients, resource_group, name, patch, wait=True, wait_timeout=900):
    """PATCH the registry with ``patch`` (snake_case keys: sku, admin_user_enabled, public_network_access, tags)."""
    body, props = {}, {}
    if "sku" in patch:
        body["sku"] = {"name": patch["sku"]}
    if "tags" in patch:
        body["tags"] = patch["tags"]
    if "admin_user_enabled" in patch:
        props["adminUserEnabled"] = patch["admin_user_enabled"]
    if "public_network_access" in patch:
        props["publicNetworkAccess"] = patch["public_network_access"]
    if props:
        body["properties"] = props
    poller = clients.acr().registries.begin_update(resource_group, name, body)
    return _finish_registry(clients, poller, resource_group, name, wait, wait_timeout,
                            "container registry %s to be updated" % name)


def delete_registry(clients, resource_group, name, wait=True, wait_timeout=900):
    poller = clients.acr().registries.begin_delete(resource_group, name)
    if wait:
        wait_for_lro(poller, wait_timeout, "container registry %s to be deleted" % name)


# --- replications ----------------------------------------------------------------------------

def list_replications(clients, resource_group, registry):
    return [replication_to_dict(r) for r in clients.acr().replications.list(resource_group, registry)]


def get_replication(clients, resource_group, registry, name):
    try:
        return replication_to_dict(clients.acr().replications.get(resource_group, registry, name))
    except ResourceNotFoundError:
        return None


def _finish_replication(clients, poller, resource_group, registry, name, wait, wait_timeout, what):
    if wait:
        result = wait_for_lro(poller, wait_timeout, what)
        if result is not None:
            return replication_to_dict(result)
    return get_replication(clients, resource_group, registry, name)


def create_replication(clients, resource_group, registry, replica, wait=True, wait_timeout=900):
    """Create ``replica`` (dict from acr_plan: name, location, zone_redundancy, region_endpoint_enabled, tags)."""
    body = {
        "location": replica["location"],
        "properties": {
            "regionEndpointEnabled": bool(replica["region_endpoint_enabled"]),
            "zoneRedundancy": replica.get("zone_redundancy") or "Disabled",
        },
    }
    if replica.get("tags"):
        body["tags"] = replica["tags"]
    poller = clients.acr().replications.begin_create(resource_group, registry, replica["name"], body)
    return _finish_replication(clients, poller, resource_group, registry, replica["name"], wait, wait_timeout,
                               "replica %s of registry %s to be created" % (replica["location"], registry))


def update_replication(clients, resource_group, registry, name, patch, wait=True, wait_timeout=900):
    """PATCH a replication: only ``region_endpoint_enabled`` and ``tags`` are updatable."""
    body = {}
    if "tags" in patch:
        body["tags"] = patch["tags"]
    if "region_endpoint_enabled" in patch:
        body["properties"] = {"regionEndpointEnabled": bool(patch["region_endpoint_enabled"])}
    poller = clients.acr().replications.begin_update(resource_group, registry, name, body)
    return _finish_replication(clients, poller, resource_group, registry, name, wait, wait_timeout,
                               "replica %s of registry %s to be updated" % (name, registry))


def delete_replication(clients, resource_group, registry, name, wait=True, wait_timeout=900):
    poller = clients.acr().replications.begin_delete(resource_group, registry, name)
    if wait:
        wait_for_lro(poller, wait_timeout, "replica %s of registry %s to be deleted" % (name, registry))
