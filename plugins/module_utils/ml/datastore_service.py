# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ML datastore operations: the one place that calls the ML SDK for datastores.

Microsoft.MachineLearningServices api-version 2024-04-01. Returns plain dicts without secrets
(``datastore_to_dict``); secrets only go in (``create_or_update_datastore``), never out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.machinelearningservices import models as ml_models
except ImportError:  # reported by the module through missing_required_lib
    ResourceNotFoundError = None
    ml_models = None


def datastore_to_dict(ds):
    """The module-facing shape of a datastore: no secrets (Azure does not return them anyway)."""
    props = ds.properties
    creds = getattr(props, "credentials", None)
    return dict(
        id=ds.id,
        name=ds.name,
        datastore_type=getattr(props, "datastore_type", None),
        account_name=getattr(props, "account_name", None),
        container_name=getattr(props, "container_name", None),
        endpoint=getattr(props, "endpoint", None),
        protocol=getattr(props, "protocol", None),
        service_data_access_auth_identity=getattr(props, "service_data_access_auth_identity", None) or "None",
        credentials_type=getattr(creds, "credentials_type", None) or "None",
        description=getattr(props, "description", None) or "",
        tags=dict(getattr(props, "tags", None) or {}),
        is_default=bool(getattr(props, "is_default", False)),
    )


def get_datastore(clients, resource_group, workspace, name):
    try:
        return datastore_to_dict(clients.ml().datastores.get(resource_group, workspace, name))
    except ResourceNotFoundError:
        return None


def list_datastores(clients, resource_group, workspace):
    return [datastore_to_dict(ds) for ds in clients.ml().datastores.list(resource_group, workspace)]


def _credentials(credentials_type, account_key=None, sas_token=None):
    if credentials_type == "AccountKey":
        return ml_models.AccountKeyDatastoreCredentials(secrets=ml_models.AccountKeyDatastoreSecrets(key=account_key))
    if credentials_type == "Sas":
        return ml_models.SasDatastoreCredentials(secrets=ml_models.SasDatastoreSecrets(sas_token=sas_token))
    return ml_models.NoneDatastoreCredentials()


def create_or_update_datastore(clients, resource_group, workspace, name, after, account_key=None, sas_token=None):
    """PUT the whole datastore (``after`` from the plan, plus the secret for its credential type)."""
    body = ml_models.Datastore(properties=ml_models.AzureBlobDatastore(
        account_name=after["account_name"],
        container_name=after["container_name"],
        endpoint=after["endpoint"],
        protocol=after["protocol"],
        service_data_access_auth_identity=after.get("service_data_access_auth_identity") or "None",
        description=after.get("description") or None,
        tags=after.get("tags") or None,
        credentials=_credentials(after["credentials_type"], account_key, sas_token),
    ))
    return datastore_to_dict(clients.ml().datastores.create_or_update(resource_group, workspace, name, body))


def delete_datastore(clients, resource_group, workspace, name):
    try:
        clients.ml().datastores.delete(resource_group, workspace, name)
    except ResourceNotFoundError:
        pass
