# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ML SDK calls for the data-asset, component, code and datastore copies (api-version 2024-04-01),
and the one storage listKeys a mirrored AccountKey datastore needs. Plain dicts out, no SDK model
leaves; a key read here goes straight into the target's datastore PUT and nowhere else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_service import container_to_dict

try:
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.machinelearningservices import models as ml_models
except ImportError:  # reported by the module through missing_required_lib
    ResourceNotFoundError = None
    ml_models = None


def _base(name, version):
    props = version.properties
    return dict(name=name, version=version.name, description=props.description or "",
                tags=dict(props.tags or {}), properties=dict(props.properties or {}),
                is_archived=bool(props.is_archived))


# ---- data -------------------------------------------------------------------------------------
def data_to_dict(name, version):
    out = _base(name, version)
    props = version.properties
    out.update(data_type=props.data_type, data_uri=props.data_uri,
               referenced_uris=list(getattr(props, "referenced_uris", None) or []) or None)
    return out


def list_data_containers(clients, group, workspace):
    return [container_to_dict(c) for c in clients.ml().data_containers.list(group, workspace, list_view_type="All")]


def list_data_versions(clients, group, workspace, name):
    return [data_to_dict(name, v) for v in clients.ml().data_versions.list(group, workspace, name, list_view_type="All")]


def get_data_version(clients, group, workspace, name, version):
    try:
        return data_to_dict(name, clients.ml().data_versions.get(group, workspace, name, version))
    except ResourceNotFoundError:
        return None


_DATA_CLASSES = {"uri_file": "UriFileDataVersion", "uri_folder": "UriFolderDataVersion", "mltable": "MLTableData"}


def put_data_version(clients, group, workspace, data):
    cls = getattr(ml_models, _DATA_CLASSES[data["data_type"]])
    extra = dict(referenced_uris=data.get("referenced_uris")) if data["data_type"] == "mltable" else {}
    body = ml_models.DataVersionBase(properties=cls(
        data_uri=data["data_uri"], description=data.get("description") or None, tags=data.get("tags") or None,
        properties=data.get("properties") or None, is_archived=bool(data.get("is_archived")), **extra))
    return data_to_dict(data["name"], clients.ml().data_versions.create_or_update(
        group, workspace, data["name"], str(data["version"]), body))


# ---- components and their code ----------------------------------------------------------------
def component_to_dict(name, version):
    out = _base(name, version)
    out["spec"] = dict(version.properties.component_spec or {})
    return out


def list_component_containers(clients, group, workspace):
    return [container_to_dict(c) for c in
            clients.ml().component_containers.list(group, workspace, list_view_type="All")]


def list_component_versions(clients, group, workspace, name):
    return [component_to_dict(name, v) for v in
            clients.ml().component_versions.list(group, workspace, name, list_view_type="All")]


def get_component_version(clients, group, workspace, name, version):
    try:
        return component_to_dict(name, clients.ml().component_versions.get(group, workspace, name, version))
    except ResourceNotFoundError:
        return None


def put_component_version(clients, group, workspace, comp):
    body = ml_models.ComponentVersion(properties=ml_models.ComponentVersionProperties(
        component_spec=comp["spec"], description=comp.get("description") or None, tags=comp.get("tags") or None,
        properties=comp.get("properties") or None, is_archived=bool(comp.get("is_archived"))))
    return component_to_dict(comp["name"], clients.ml().component_versions.create_or_update(
        group, workspace, comp["name"], str(comp["version"]), body))


def code_to_dict(name, version):
    out = _base(name, version)
    out["code_uri"] = version.properties.code_uri
    return out


def get_code_version(clients, group, workspace, name, version):
    try:
        return code_to_dict(name, clients.ml().code_versions.get(group, workspace, name, version))
    except ResourceNotFoundError:
        return None


def put_code_version(clients, group, workspace, code):
    body = ml_models.CodeVersion(properties=ml_models.CodeVersionProperties(
        code_uri=code["code_uri"], description=code.get("description") or None, tags=code.get("tags") or None,
        properties=code.get("properties") or None))
    return code_to_dict(code["name"], clients.ml().code_versions.create_or_update(
        group, workspace, code["name"], str(code["version"]), body))


def _getter(ml, kind):
    """(group, workspace, name, version) -> the resource, per kind (versioned assets or not)."""
    if kind == "compute":
        return lambda g, w, n, v: ml.compute.get(g, w, n)
    if kind == "datastore":
        return lambda g, w, n, v: ml.datastores.get(g, w, n)
    versions, containers = dict(environment=(ml.environment_versions, ml.environment_containers),
                                code=(ml.code_versions, ml.code_containers),
                                component=(ml.component_versions, ml.component_containers),
                                data=(ml.data_versions, ml.data_containers),
                                model=(ml.model_versions, ml.model_containers))[kind]
    return lambda g, w, n, v: versions.get(g, w, n, v) if v else containers.get(g, w, n)


def asset_exists(clients, group, workspace, kind, name, version=None):
    """Whether a workspace's compute, datastore or asset (version, or container without one) exists: one
    GET. Shared by the copies (component environments), job/schedule resubmission and deployments."""
    try:
        _getter(clients.ml(), kind)(group, workspace, name, version)
    except ResourceNotFoundError:
        return False
    return True


# ---- datastores ---------------------------------------------------------------------------------
def account_key(clients, access, account_name):
    """The first key of a storage account of the subscription (listKeys, at apply time). The caller
    hands it to the datastore PUT and to the module's no_log values, nothing else."""
    acct = access.account(account_name)
    result = clients.storage().storage_accounts.list_keys(acct["resource_group"], account_name)
    try:  # azure-mgmt-storage >= 24 models are mappings (``.keys`` is the mapping method)
        return result["keys"][0]["value"]
    except TypeError:
        return result.keys[0].value
