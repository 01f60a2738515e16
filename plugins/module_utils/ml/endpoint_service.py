# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Managed online endpoints and deployments: the one place that calls the ML SDK for them (and the
existence checks of the assets a deployment references).

Everything returned is a plain dict (never an SDK model, never the endpoint keys). Updates that
rewrite a resource start from the resource as Azure returns it, so the fields the modules do not
manage (probes, request settings, mirror traffic, identity) are sent back as they are.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_for_lro, wait_until
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_kinds_service
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.endpoint_plan import (
    AUTH_MODES,
    TRANSITIONAL,
    auth_mode_option,
)

try:
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.machinelearningservices import models as ml_models
except ImportError:  # reported by the module through the client factory
    ResourceNotFoundError = None
    ml_models = None


def _location(value):
    return (value or "").replace(" ", "").lower()


def endpoint_to_dict(res):
    props = res.properties
    return dict(
        id=res.id,
        name=res.name,
        location=_location(res.location),
        auth_mode=auth_mode_option(getattr(props, "auth_mode", None)),
        traffic=dict(getattr(props, "traffic", None) or {}),
        mirror_traffic=dict(getattr(props, "mirror_traffic", None) or {}),
        scoring_uri=getattr(props, "scoring_uri", None),
        swagger_uri=getattr(props, "swagger_uri", None),
        public_network_access=getattr(props, "public_network_access", None),
        provisioning_state=getattr(props, "provisioning_state", None),
        tags=dict(res.tags or {}),
        description=getattr(props, "description", None) or "",
    )


def deployment_to_dict(res, endpoint):
    props = res.properties
    code = getattr(props, "code_configuration", None)
    sku = res.sku
    return dict(
        id=res.id,
        name=res.name,
        endpoint=endpoint,
        location=_location(res.location),
        model=getattr(props, "model", None),
        environment=getattr(props, "environment_id", None),
        code_id=getattr(code, "code_id", None) if code is not None else None,
        scoring_script=getattr(code, "scoring_script", None) if code is not None else None,
        instance_type=getattr(props, "instance_type", None),
        instance_count=sku.capacity if sku is not None and sku.capacity is not None else 1,
        environment_variables=dict(getattr(props, "environment_variables", None) or {}),
        provisioning_state=getattr(props, "provisioning_state", None),
        tags=dict(res.tags or {}),
        description=getattr(props, "description", None) or "",
    )


# ------------------------------------------------------------------------------------- endpoints

def _get_endpoint_model(clients, group, workspace, name):
    try:
        return clients.ml().online_endpoints.get(group, workspace, name)
    except ResourceNotFoundError:
        return None


def get_endpoint(clients, group, workspace, name):
    found = _get_endpoint_model(clients, group, workspace, name)
    return endpoint_to_dict(found) if found is not None else None


def list_endpoints(clients, group, workspace):
    return [endpoint_to_dict(e) for e in clients.ml().online_endpoints.list(group, workspace)]


def put_endpoint(clients, group, workspace, name, after, wait=True, wait_timeout=600):
    """Create or rewrite the endpoint (auth mode, description, tags, traffic): Azure sets traffic
    with a PUT only (the endpoint PATCH carries tags and identity)."""
    body = _get_endpoint_model(clients, group, workspace, name)
    if body is None:
        body = ml_models.OnlineEndpoint(location=after["location"],
                                        properties=ml_models.OnlineEndpointProperties(auth_mode="Key"))
    body.tags = dict(after.get("tags") or {})
    props = body.properties
    props.auth_mode = AUTH_MODES.get(after.get("auth_mode") or "key", after.get("auth_mode"))
    props.description = after.get("description") or None
    props.traffic = dict(after.get("traffic") or {})
    props.keys = None  # create-only; never read back nor sent
    poller = clients.ml().online_endpoints.begin_create_or_update(group, workspace, name, body)
    if wait:
        wait_for_lro(poller, wait_timeout, "online endpoint %s to be %s" % (
            name, "updated" if body.id else "created"))
    return get_endpoint(clients, group, workspace, name)


def delete_endpoint(clients, group, workspace, name, wait=True, wait_timeout=600):
    poller = clients.ml().online_endpoints.begin_delete(group, workspace, name)
    if wait:
        wait_for_lro(poller, wait_timeout, "online endpoint %s to be deleted" % name)


# ----------------------------------------------------------------------------------- deployments

def _get_deployment_model(clients, group, workspace, endpoint, name):
    try:
        return clients.ml().online_deployments.get(group, workspace, endpoint, name)
    except ResourceNotFoundError:
        return None


def get_deployment(clients, group, workspace, endpoint, name):
    found = _get_deployment_model(clients, group, workspace, endpoint, name)
    return deployment_to_dict(found, endpoint) if found is not None else None


def list_deployments(clients, group, workspace, endpoint):
    """The endpoint's deployments ([] when the endpoint does not exist)."""
    try:
        return [deployment_to_dict(d, endpoint)
                for d in clients.ml().online_deployments.list(group, workspace, endpoint)]
    except ResourceNotFoundError:
        return []


def wait_deployment(clients, group, workspace, endpoint, name, wait_timeout):
    """Wait (bounded) for a deployment an earlier run left provisioning; fails when it ends Failed."""
    def done():
        found = get_deployment(clients, group, workspace, endpoint, name)
        if found is None or found["provisioning_state"] not in TRANSITIONAL:
            return found or dict(provisioning_state=None)
        return None
    what = "online deployment %s of endpoint %s to finish provisioning" % (name, endpoint)
    found = wait_until(done, wait_timeout, 2, what)
    if found.get("provisioning_state") == "Failed":
        raise AzureOperationError("online deployment %s of endpoint %s: provisioning Failed" % (name, endpoint),
                                  code="ProvisioningFailed")
    return found if found.get("name") else None


def _finish_deployment(clients, poller, group, workspace, endpoint, name, wait, wait_timeout, what):
    if wait:
        wait_for_lro(poller, wait_timeout, "online deployment %s of endpoint %s to be %s" % (name, endpoint, what))
    return get_deployment(clients, group, workspace, endpoint, name)


def put_deployment(clients, group, workspace, endpoint, name, after, wait=True, wait_timeout=900):
    """Create the deployment, or rewrite it (model, environment, code, variables, description, tags, count)."""
    body = _get_deployment_model(clients, group, workspace, endpoint, name)
    created = body is None
    if created:
        body = ml_models.OnlineDeployment(
            location=after["location"],
            properties=ml_models.ManagedOnlineDeployment(instance_type=after["instance_type"]),
            sku=ml_models.Sku(name="Default", capacity=1))
    props = body.properties
    body.tags = dict(after.get("tags") or {})
    if body.sku is None:
        body.sku = ml_models.Sku(name="Default")
    body.sku.capacity = after.get("instance_count") or 1
    props.model = after.get("model") or None
    props.environment_id = after.get("environment") or None
    if after.get("code_id") or after.get("scoring_script"):
        props.code_configuration = ml_models.CodeConfiguration(code_id=after.get("code_id") or None,
                                                               scoring_script=after.get("scoring_script"))
    else:
        props.code_configuration = None
    props.environment_variables = dict(after.get("environment_variables") or {})
    props.description = after.get("description") or None
    poller = clients.ml().online_deployments.begin_create_or_update(group, workspace, endpoint, name, body)
    return _finish_deployment(clients, poller, group, workspace, endpoint, name, wait, wait_timeout,
                              "created" if created else "updated")


def scale_deployment(clients, group, workspace, endpoint, name, instance_count, wait=True, wait_timeout=900):
    """OnlineDeployments_Update (PATCH): the instance count (sku.capacity) alone."""
    body = ml_models.PartialMinimalTrackedResourceWithSku(sku=ml_models.PartialSku(capacity=instance_count))
    poller = clients.ml().online_deployments.begin_update(group, workspace, endpoint, name, body)
    return _finish_deployment(clients, poller, group, workspace, endpoint, name, wait, wait_timeout, "scaled")


def delete_deployment(clients, group, workspace, endpoint, name, wait=True, wait_timeout=900):
    poller = clients.ml().online_deployments.begin_delete(group, workspace, endpoint, name)
    if wait:
        wait_for_lro(poller, wait_timeout, "online deployment %s of endpoint %s to be deleted" % (name, endpoint))


# ------------------------------------------------------------------------------ asset references

def asset_exists(clients, ref):
    """Whether the asset version a parsed reference (endpoint_plan.resolve_reference) names exists.
    Registry assets are Azure's to check when the deployment is written (None: not checked here)."""
    if ref.get("form") != "arm" or str(ref.get("owner_type")).lower() != "workspaces":
        return None
    kind = dict(models="model", environments="environment", codes="code")[ref["kind"]]
    return asset_kinds_service.asset_exists(clients, ref["group"], ref["owner"], kind, ref["name"], ref["version"])
