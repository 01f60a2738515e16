# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ML workspace operations: the one place that calls the ML SDK for workspaces.

Everything returned is a plain dict (see ``workspace_to_dict``) so that the planning layer and
the modules never see SDK models.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError, from_sdk_error
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import parse_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_for_lro

try:
    from azure.core.exceptions import AzureError, ResourceNotFoundError
    from azure.mgmt.machinelearningservices import models as ml_models
except ImportError:  # reported by the module through missing_required_lib
    AzureError = ResourceNotFoundError = None
    ml_models = None


def workspace_to_dict(ws):
    """The module-facing shape of a workspace (snake_case, no secrets)."""
    identity = None
    if ws.identity is not None:
        identity = dict(type=ws.identity.type, principal_id=ws.identity.principal_id,
                        tenant_id=ws.identity.tenant_id)
    return dict(
        id=ws.id,
        name=ws.name,
        resource_group=parse_resource_id(ws.id).resource_group if ws.id else None,
        location=(ws.location or "").replace(" ", "").lower(),
        sku=ws.sku.name if ws.sku is not None else None,
        tags=dict(ws.tags or {}),
        description=ws.description or "",
        friendly_name=ws.friendly_name or "",
        storage_account=ws.storage_account,
        key_vault=ws.key_vault,
        application_insights=ws.application_insights,
        container_registry=ws.container_registry,
        hbi_workspace=bool(ws.hbi_workspace),
        public_network_access=ws.public_network_access,
        image_build_compute=ws.image_build_compute,
        workspace_id=ws.workspace_id,
        discovery_url=ws.discovery_url,
        mlflow_tracking_uri=ws.ml_flow_tracking_uri,
        provisioning_state=ws.provisioning_state,
        identity=identity,
    )


def get_workspace(clients, resource_group, name):
    try:
        return workspace_to_dict(clients.ml().workspaces.get(resource_group, name))
    except ResourceNotFoundError:
        return None


def get_workspace_best_effort(clients, resource_group, name):
    """``(workspace, None)``, or ``(None, reason)`` when the workspace's region did not answer (timeout,
    connection error, 5xx or 429 after the clients' retries) or the workspace is missing: one line, for a
    caller that carries on without that side (the failover). Authentication and authorization errors
    raise: they are not outages, and the other region would answer the same."""
    try:
        found = get_workspace(clients, resource_group, name)
    except Exception as exc:
        if not isinstance(exc, (AzureError, AzureOperationError)):
            raise  # a bug is never reported as a region that did not answer
        error = from_sdk_error(exc, "reading workspace %s" % name)
        if error.status in (401, 403) or error.code in ("AuthenticationFailed", "AuthorizationFailed"):
            raise error
        return None, error.message
    if found is None:
        return None, "workspace %s was not found in resource group %s" % (name, resource_group)
    return found, None


def list_workspaces(clients, resource_group=None):
    ops = clients.ml().workspaces
    pages = ops.list_by_resource_group(resource_group) if resource_group else ops.list_by_subscription()
    return [workspace_to_dict(ws) for ws in pages]


def _finish(clients, poller, resource_group, name, wait, wait_timeout, what):
    """Wait (bounded) for the operation, or with ``wait: false`` return the state as it is now."""
    if wait:
        return workspace_to_dict(wait_for_lro(poller, wait_timeout, what))
    return get_workspace(clients, resource_group, name)


def create_workspace(clients, resource_group, name, after, wait=True, wait_timeout=900):
    body = ml_models.Workspace(
        location=after["location"],
        tags=after.get("tags") or None,
        sku=ml_models.Sku(name=after.get("sku", "Basic"), tier=after.get("sku", "Basic")),
        identity=ml_models.ManagedServiceIdentity(type="SystemAssigned"),
        description=after.get("description"),
        friendly_name=after.get("friendly_name"),
        storage_account=after["storage_account"],
        key_vault=after["key_vault"],
        application_insights=after["application_insights"],
        container_registry=after.get("container_registry"),
        hbi_workspace=after.get("hbi_workspace", False),
        public_network_access=after.get("public_network_access"),
        image_build_compute=after.get("image_build_compute"),
    )
    poller = clients.ml().workspaces.begin_create_or_update(resource_group, name, body)
    return _finish(clients, poller, resource_group, name, wait, wait_timeout, "workspace %s to be created" % name)


def update_workspace(clients, resource_group, name, patch, wait=True, wait_timeout=900):
    fields = dict(patch)
    if "sku" in fields:
        fields["sku"] = ml_models.Sku(name=fields["sku"], tier=fields["sku"])
    body = ml_models.WorkspaceUpdateParameters(**fields)
    poller = clients.ml().workspaces.begin_update(resource_group, name, body)
    return _finish(clients, poller, resource_group, name, wait, wait_timeout, "workspace %s to be updated" % name)


def delete_workspace(clients, resource_group, name, wait=True, wait_timeout=900):
    poller = clients.ml().workspaces.begin_delete(resource_group, name)
    if wait:
        wait_for_lro(poller, wait_timeout, "workspace %s to be deleted" % name)
