# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ML asset operations (model and environment containers and versions, the default datastore): the
one place that calls the ML SDK for assets, Microsoft.MachineLearningServices api-version 2024-04-01.

Everything returned is a plain dict in the shapes ``asset_plan`` documents; no SDK model leaves.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.datastore_service import datastore_to_dict

try:
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.machinelearningservices import models as ml_models
except ImportError:  # reported by the module through missing_required_lib
    ResourceNotFoundError = None
    ml_models = None

# Azure ML names the default datastore so; the API marks it with isDefault (read-only).
DEFAULT_DATASTORE = "workspaceblobstore"


def _stamp(resource):
    data = getattr(resource, "system_data", None)
    when = getattr(data, "last_modified_at", None) or getattr(data, "created_at", None)
    return when.isoformat() if when is not None and hasattr(when, "isoformat") else when


def container_to_dict(container):
    props = container.properties
    return dict(name=container.name, latest_version=getattr(props, "latest_version", None),
                modified=_stamp(container), is_archived=bool(getattr(props, "is_archived", False)))


def version_to_dict(name, version):
    props = version.properties
    flavors = dict((k, dict(getattr(v, "data", None) or {})) for k, v in (getattr(props, "flavors", None) or {}).items())
    return dict(
        name=name,
        version=version.name,
        model_uri=props.model_uri,
        model_type=props.model_type,
        description=props.description or "",
        tags=dict(props.tags or {}),
        properties=dict(props.properties or {}),
        flavors=flavors,
        stage=props.stage,
        is_archived=bool(props.is_archived),
        job_name=props.job_name,
    )


def list_model_containers(clients, resource_group, workspace):
    """Every model container (archived ones too), from the paged list."""
    return [container_to_dict(c) for c in
            clients.ml().model_containers.list(resource_group, workspace, list_view_type="All")]


def list_model_versions(clients, resource_group, workspace, name):
    """Every version of one model (archived ones too), from the paged list."""
    return [version_to_dict(name, v) for v in
            clients.ml().model_versions.list(resource_group, workspace, name, list_view_type="All")]


def get_model_version(clients, resource_group, workspace, name, version):
    try:
        return version_to_dict(name, clients.ml().model_versions.get(resource_group, workspace, name, version))
    except ResourceNotFoundError:
        return None


def put_model_version(clients, resource_group, workspace, version):
    """Register (or, for the mutable fields only, update) a version from its plain dict."""
    body = ml_models.ModelVersion(properties=ml_models.ModelVersionProperties(
        description=version.get("description") or None,
        tags=version.get("tags") or None,
        properties=version.get("properties") or None,
        flavors=dict((k, ml_models.FlavorData(data=v or None)) for k, v in (version.get("flavors") or {}).items())
        or None,
        model_type=version.get("model_type"),
        model_uri=version["model_uri"],
        stage=version.get("stage"),
        is_archived=bool(version.get("is_archived")),
        job_name=version.get("job_name"),
    ))
    result = clients.ml().model_versions.create_or_update(resource_group, workspace, version["name"],
                                                          str(version["version"]), body)
    return version_to_dict(version["name"], result)


def environment_to_dict(name, version):
    props = version.properties
    build = getattr(props, "build", None)
    inference = getattr(props, "inference_config", None)
    return dict(
        name=name,
        version=version.name,
        image=props.image,
        conda_file=props.conda_file,
        os_type=props.os_type,
        auto_rebuild=props.auto_rebuild,
        inference_config=inference.as_dict() if inference is not None else None,
        context_uri=build.context_uri if build is not None else None,
        dockerfile_path=build.dockerfile_path if build is not None else None,
        description=props.description or "",
        tags=dict(props.tags or {}),
        properties=dict(props.properties or {}),
        stage=props.stage,
        is_archived=bool(props.is_archived),
    )


def list_environment_containers(clients, resource_group, workspace):
    return [container_to_dict(c) for c in
            clients.ml().environment_containers.list(resource_group, workspace, list_view_type="All")]


def list_environment_versions(clients, resource_group, workspace, name):
    return [environment_to_dict(name, v) for v in
            clients.ml().environment_versions.list(resource_group, workspace, name, list_view_type="All")]


def get_environment_version(clients, resource_group, workspace, name, version):
    try:
        return environment_to_dict(name, clients.ml().environment_versions.get(resource_group, workspace, name,
                                                                               version))
    except ResourceNotFoundError:
        return None


def put_environment_version(clients, resource_group, workspace, version):
    """Register (or, for the mutable fields only, update) an environment version from its plain dict."""
    build = None
    if version.get("context_uri"):
        build = ml_models.BuildContext(context_uri=version["context_uri"],
                                       dockerfile_path=version.get("dockerfile_path") or "Dockerfile")
    inference = version.get("inference_config")
    body = ml_models.EnvironmentVersion(properties=ml_models.EnvironmentVersionProperties(
        description=version.get("description") or None,
        tags=version.get("tags") or None,
        properties=version.get("properties") or None,
        image=version.get("image"),
        conda_file=version.get("conda_file"),
        os_type=version.get("os_type"),
        auto_rebuild=version.get("auto_rebuild"),
        inference_config=ml_models.InferenceContainerProperties.from_dict(inference) if inference else None,
        build=build,
        stage=version.get("stage"),
        is_archived=bool(version.get("is_archived")),
    ))
    result = clients.ml().environment_versions.create_or_update(resource_group, workspace, version["name"],
                                                                str(version["version"]), body)
    return environment_to_dict(version["name"], result)


MODEL_OPS = dict(list_containers=list_model_containers, list_versions=list_model_versions,
                 get_version=get_model_version, put_version=put_model_version)
ENVIRONMENT_OPS = dict(list_containers=list_environment_containers, list_versions=list_environment_versions,
                       get_version=get_environment_version, put_version=put_environment_version)


def get_datastore(clients, resource_group, workspace, name):
    try:
        return datastore_to_dict(clients.ml().datastores.get(resource_group, workspace, name))
    except ResourceNotFoundError:
        return None


def default_datastore(clients, resource_group, workspace):
    """The workspace's default datastore: the one marked isDefault, else ``workspaceblobstore``
    (the name Azure ML gives it), else None."""
    stores = [datastore_to_dict(d) for d in clients.ml().datastores.list(resource_group, workspace)]
    marked = [d for d in stores if d.get("is_default")]
    if marked:
        return marked[0]
    named = [d for d in stores if d["name"] == DEFAULT_DATASTORE]
    return named[0] if named else None
