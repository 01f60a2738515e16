# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AmlCompute clusters, ML usages and VM sizes: the one place that calls the ML SDK for them.

Everything returned is a plain dict (never an SDK model). The ML SDK (2.0.0b2) speaks
api-version 2024-04-01 with the 2023-04-01 models: ``ComputeResource(properties=AmlCompute(
properties=AmlComputeProperties(...)))``, ``ScaleSettings``, ``ClusterUpdateParameters``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.compute_plan import idle_seconds, normalize_location
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import parse_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.quota_plan import usage_family
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_for_lro

try:
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.machinelearningservices import models as ml_models
except ImportError:  # reported by the module through the client factory
    ResourceNotFoundError = None
    ml_models = None


def compute_to_dict(res):
    """The module-facing shape of a compute (snake_case, no secrets: user account credentials are
    never read)."""
    props = res.properties
    aml = getattr(props, "properties", None) if props is not None else None
    scale = getattr(aml, "scale_settings", None) if aml is not None else None
    rid = parse_resource_id(res.id) if res.id else None
    return dict(
        id=res.id,
        name=res.name,
        resource_group=rid.resource_group if rid else None,
        workspace=rid.names[0] if rid and rid.names else None,
        location=normalize_location(res.location or ""),
        tags=dict(res.tags or {}),
        compute_type=getattr(props, "compute_type", None),
        description=(getattr(props, "description", None) or "") if props is not None else "",
        provisioning_state=getattr(props, "provisioning_state", None),
        vm_size=getattr(aml, "vm_size", None),
        vm_priority=getattr(aml, "vm_priority", None),
        os_type=getattr(aml, "os_type", None),
        remote_login_port_public_access=getattr(aml, "remote_login_port_public_access", None),
        min_nodes=scale.min_node_count if scale is not None else None,
        max_nodes=scale.max_node_count if scale is not None else None,
        idle_time_before_scale_down=idle_seconds(scale.node_idle_time_before_scale_down)
        if scale is not None else None,
        current_node_count=getattr(aml, "current_node_count", None),
        target_node_count=getattr(aml, "target_node_count", None),
        allocation_state=getattr(aml, "allocation_state", None),
    )


def get_compute(clients, resource_group, workspace, name):
    try:
        return compute_to_dict(clients.ml().compute.get(resource_group, workspace, name))
    except ResourceNotFoundError:
        return None


def list_computes(clients, resource_group, workspace):
    """Every compute of a workspace ([] when the workspace does not exist)."""
    try:
        return [compute_to_dict(c) for c in clients.ml().compute.list(resource_group, workspace)]
    except ResourceNotFoundError:
        return []


def _finish(clients, poller, resource_group, workspace, name, wait, wait_timeout, what):
    """Wait (bounded) for the operation, or with ``wait: false`` return the state as it is now.

    When Azure answers the PUT/PATCH with the final body itself (200, no polling), the SDK
    deserializes that body twice and the second pass loses the ``computeType`` discriminator (a plain
    ``Compute`` without the cluster's properties): read the cluster back then.
    """
    if wait:
        done = compute_to_dict(wait_for_lro(poller, wait_timeout, what))
        if done.get("compute_type") == "AmlCompute":
            return done
    return get_compute(clients, resource_group, workspace, name)


def _scale_settings(scale):
    idle = scale.get("idle_time_before_scale_down")
    return ml_models.ScaleSettings(
        max_node_count=scale["max_nodes"],
        min_node_count=scale.get("min_nodes") or 0,
        node_idle_time_before_scale_down=datetime.timedelta(seconds=idle) if idle is not None else None)


def create_compute(clients, resource_group, workspace, name, after, wait=True, wait_timeout=900):
    body = ml_models.ComputeResource(
        location=after["location"],
        tags=after.get("tags") or None,
        properties=ml_models.AmlCompute(
            description=after.get("description") or None,
            properties=ml_models.AmlComputeProperties(
                vm_size=after["vm_size"],
                vm_priority=after.get("vm_priority") or "Dedicated",
                scale_settings=_scale_settings(after),
                remote_login_port_public_access=after.get("remote_login_port_public_access") or "NotSpecified",
            ),
        ),
    )
    poller = clients.ml().compute.begin_create_or_update(resource_group, workspace, name, body)
    return _finish(clients, poller, resource_group, workspace, name, wait, wait_timeout,
                   "compute %s to be created" % name)


def update_compute_scale(clients, resource_group, workspace, name, scale, wait=True, wait_timeout=900):
    """Compute_Update (PATCH): the scale settings, the only thing Azure changes on a cluster."""
    body = ml_models.ClusterUpdateParameters(
        properties=ml_models.ScaleSettingsInformation(scale_settings=_scale_settings(scale)))
    poller = clients.ml().compute.begin_update(resource_group, workspace, name, body)
    return _finish(clients, poller, resource_group, workspace, name, wait, wait_timeout,
                   "compute %s to be scaled" % name)


def delete_compute(clients, resource_group, workspace, name, wait=True, wait_timeout=900):
    poller = clients.ml().compute.begin_delete(resource_group, workspace, name, underlying_resource_action="Delete")
    if wait:
        wait_for_lro(poller, wait_timeout, "compute %s to be deleted" % name)


def usage_to_dict(usage):
    name = usage.name.value if usage.name is not None else None
    return dict(
        name=name,
        family=usage_family(name, usage.id),
        current=usage.current_value,
        limit=usage.limit,
        unit=usage.unit,
        type=usage.type,
    )


def _regional(usage):
    """Usages_List also reports per-workspace and per-cluster rows; the quota is the region's."""
    text = ("%s %s" % (usage.id or "", usage.type or "")).lower()
    return "/workspaces/" not in text and "workspace/" not in text and "workspaces/" not in text


def list_usages(clients, location):
    """The region's ML usages (subscription level): [{name, family, current, limit, unit, type}]."""
    return [usage_to_dict(u) for u in clients.ml().usages.list(location) if _regional(u)]


def list_vm_sizes(clients, location):
    """VM sizes AmlCompute offers in ``location``: [{name, family, vcpus, gpus, low_priority_capable}]."""
    result = clients.ml().virtual_machine_sizes.list(location)
    sizes = []
    for size in result.value or []:
        types = size.supported_compute_types
        if types and "AmlCompute" not in types:
            continue
        sizes.append(dict(name=size.name, family=size.family, vcpus=size.v_cp_us or 0, gpus=size.gpus or 0,
                          low_priority_capable=size.low_priority_capable))
    return sizes
