# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SDK calls for four plain tracked ARM resources: resource groups (Microsoft.Resources
2021-04-01), storage accounts (Microsoft.Storage 2023-01-01), key vaults (Microsoft.KeyVault
2023-07-01) and Application Insights components (Microsoft.Insights 2020-02-02).

Each service is a small class with the same five calls (``get``, ``create``, ``update``,
``delete``, ``resource_id``), so that ``core.runner.ServiceResource`` can drive any of them. They take
``module.clients`` and return plain snake_case dicts, never SDK models. Storage account keys are
never read (no listKeys call here), so they cannot reach any output.

The storage, key vault and resource SDKs are typespec-generated: bodies are REST JSON dicts with
camelCase keys. Application Insights is an older multi-api SDK: it gets its 2020-02-02 models.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re
from enum import Enum

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import build_resource_id, parse_resource_id
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_for_lro

try:
    from azure.core.exceptions import ResourceNotFoundError
except ImportError:  # reported by the module through missing_required_lib
    ResourceNotFoundError = None

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _location(value):
    return (value or "").replace(" ", "").lower()


def _group_of(resource_id):
    return parse_resource_id(resource_id).resource_group if resource_id else None


def _attr(obj, *path):
    """obj.a.b... or None when any step is missing; SDK enums as their plain string value."""
    for name in path:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj.value if isinstance(obj, Enum) else obj


def _absent_is_none(read):
    try:
        return read()
    except ResourceNotFoundError:
        return None


def _finish(poller, wait, wait_timeout, what, reread, to_dict):
    """Wait (bounded) for a long-running operation, or with ``wait: false`` read the resource as it is now."""
    if wait:
        result = wait_for_lro(poller, wait_timeout, what)
        if result is not None:
            return to_dict(result)
    return reread()


def _rest_properties(names, fields):
    """{restName: value} for the module fields in ``names`` ({field: restName}) that are set."""
    return dict((names[k], v) for k, v in fields.items() if k in names and v is not None)


def _body(properties, **top):
    """A REST request body: the top-level fields that are not None, and ``properties`` when there are any."""
    body = dict((k, v) for k, v in top.items() if v is not None)
    if properties:
        body["properties"] = properties
    return body


def _tracked(resource, **fields):
    """The fields every tracked resource returns, plus the type's own."""
    out = dict(id=resource.id, name=resource.name, resource_group=_group_of(resource.id),
               location=_location(resource.location), tags=dict(resource.tags or {}))
    out.update(fields)
    return out


class Service:
    """Base of the four services: the resource type, and the ID a resource will have."""

    resource_type = None
    label = None

    def resource_id(self, subscription, resource_group, name):
        return build_resource_id(subscription, resource_group, self.resource_type, [name])


class ResourceGroups(Service):
    resource_type = "Microsoft.Resources/resourceGroups"
    label = "resource group"

    @staticmethod
    def to_dict(group):
        return dict(id=group.id, name=group.name, location=_location(group.location), tags=dict(group.tags or {}),
                    provisioning_state=_attr(group, "properties", "provisioning_state"),
                    managed_by=getattr(group, "managed_by", None))

    def get(self, clients, resource_group, name):
        return _absent_is_none(lambda: self.to_dict(clients.resources().resource_groups.get(name)))

    @staticmethod
    def contents(clients, name):
        """IDs of the resources in the group (top-level ones, as ARM lists them)."""
        return [r.id for r in clients.resources().resources.list_by_resource_group(name)]

    def create(self, clients, resource_group, name, after, wait=True, wait_timeout=900):
        body = {"location": after["location"], "tags": after.get("tags") or {}}
        return self.to_dict(clients.resources().resource_groups.create_or_update(name, body))

    def update(self, clients, resource_group, name, patch, current, wait=True, wait_timeout=900):
        return self.to_dict(clients.resources().resource_groups.update(name, {"tags": patch["tags"]}))

    def delete(self, clients, resource_group, name, wait=True, wait_timeout=900):
        poller = clients.resources().resource_groups.begin_delete(name)
        if wait:
            wait_for_lro(poller, wait_timeout, "resource group %s and its resources to be deleted" % name)


class StorageAccounts(Service):
    resource_type = "Microsoft.Storage/storageAccounts"
    label = "storage account"
    # module field -> REST property under "properties"
    PROPERTIES = dict(access_tier="accessTier", https_only="supportsHttpsTrafficOnly",
                      minimum_tls_version="minimumTlsVersion", allow_blob_public_access="allowBlobPublicAccess",
                      is_hns_enabled="isHnsEnabled")
    ENDPOINTS = ("blob", "dfs", "file", "queue", "table", "web")

    def to_dict(self, account):
        props = account.properties
        endpoints = _attr(props, "primary_endpoints")
        return _tracked(
            account,
            sku=_attr(account, "sku", "name"),
            kind=_attr(account, "kind"),
            access_tier=_attr(props, "access_tier"),
            https_only=_attr(props, "enable_https_traffic_only"),
            minimum_tls_version=_attr(props, "minimum_tls_version"),
            allow_blob_public_access=_attr(props, "allow_blob_public_access"),
            is_hns_enabled=bool(_attr(props, "is_hns_enabled")),
            primary_endpoints=dict((e, getattr(endpoints, e, None)) for e in self.ENDPOINTS) if endpoints else None,
            primary_location=_location(_attr(props, "primary_location")) or None,
            secondary_location=_location(_attr(props, "secondary_location")) or None,
            status_of_primary=_attr(props, "status_of_primary"),
            status_of_secondary=_attr(props, "status_of_secondary"),
            provisioning_state=_attr(props, "provisioning_state"),
        )

    def get(self, clients, resource_group, name):
        return _absent_is_none(lambda: self.to_dict(clients.storage().storage_accounts.get_properties(resource_group, name)))

    def _properties(self, fields):
        return _rest_properties(self.PROPERTIES, fields)

    def create(self, clients, resource_group, name, after, wait=True, wait_timeout=900):
        body = _body(self._properties(after), location=after["location"], kind=after["kind"],
                     sku={"name": after["sku"]}, tags=after.get("tags") or {})
        poller = clients.storage().storage_accounts.begin_create(resource_group, name, body)
        return _finish(poller, wait, wait_timeout, "storage account %s to be created" % name,
                       lambda: self.get(clients, resource_group, name), self.to_dict)

    def update(self, clients, resource_group, name, patch, current, wait=True, wait_timeout=900):
        body = _body(self._properties(patch), tags=patch.get("tags"),
                     sku={"name": patch["sku"]} if "sku" in patch else None)
        return self.to_dict(clients.storage().storage_accounts.update(resource_group, name, body))

    def delete(self, clients, resource_group, name, wait=True, wait_timeout=900):
        clients.storage().storage_accounts.delete(resource_group, name)


class KeyVaults(Service):
    resource_type = "Microsoft.KeyVault/vaults"
    label = "key vault"
    PROPERTIES = dict(tenant_id="tenantId", enable_rbac_authorization="enableRbacAuthorization",
                      soft_delete_retention_days="softDeleteRetentionInDays",
                      enable_purge_protection="enablePurgeProtection", public_network_access="publicNetworkAccess")

    @staticmethod
    def to_dict(vault):
        props = vault.properties
        return _tracked(
            vault,
            vault_uri=_attr(props, "vault_uri"),
            tenant_id=_attr(props, "tenant_id"),
            sku=_attr(props, "sku", "name"),
            enable_rbac_authorization=bool(_attr(props, "enable_rbac_authorization")),
            soft_delete_retention_days=_attr(props, "soft_delete_retention_in_days") or 90,
            enable_purge_protection=bool(_attr(props, "enable_purge_protection")),
            public_network_access=_attr(props, "public_network_access") or "Enabled",
            provisioning_state=_attr(props, "provisioning_state"),
        )

    def get(self, clients, resource_group, name):
        return _absent_is_none(lambda: self.to_dict(clients.keyvault().vaults.get(resource_group, name)))

    def _properties(self, fields):
        props = _rest_properties(self.PROPERTIES, fields)
        if props.get("enablePurgeProtection") is False:
            del props["enablePurgeProtection"]  # Azure accepts only true (or nothing) here
        if "sku" in fields:
            props["sku"] = {"family": "A", "name": fields["sku"]}
        return props

    def create(self, clients, resource_group, name, after, wait=True, wait_timeout=900):
        props = self._properties(after)
        props["enableSoftDelete"] = True
        if not after.get("enable_rbac_authorization"):
            props["accessPolicies"] = []  # access policies are added afterwards, by whoever needs access
        body = _body(props, location=after["location"], tags=after.get("tags") or {})
        poller = clients.keyvault().vaults.begin_create_or_update(resource_group, name, body)
        return _finish(poller, wait, wait_timeout, "key vault %s to be created" % name,
                       lambda: self.get(clients, resource_group, name), self.to_dict)

    def update(self, clients, resource_group, name, patch, current, wait=True, wait_timeout=900):
        body = _body(self._properties(patch), tags=patch.get("tags"))
        return self.to_dict(clients.keyvault().vaults.update(resource_group, name, body))

    def delete(self, clients, resource_group, name, wait=True, wait_timeout=900):
        clients.keyvault().vaults.delete(resource_group, name)


def tenant_from_token(token):
    """The ``tid`` claim of a JWT access token, or None (not a JWT, no claim)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8"))
    except (AttributeError, IndexError, ValueError, TypeError):
        return None
    tenant = claims.get("tid") if isinstance(claims, dict) else None
    return tenant if isinstance(tenant, str) and GUID_RE.match(tenant) else None


def credentials_tenant(auth, configured=None):
    """The tenant of the credentials: the ``tid`` of an ARM token, else ``configured`` when it is a GUID.

    Raises AzureOperationError when neither tells it (e.g. a non-JWT token and no tenant set).
    """
    token = auth.credential.get_token(auth.cloud.credential_scope)
    tenant = tenant_from_token(getattr(token, "token", None))
    if tenant:
        return tenant
    if configured and GUID_RE.match(configured):
        return configured
    raise AzureOperationError("vault_tenant: the tenant of the credentials could not be found; set vault_tenant "
                              "to the directory (tenant) ID the vault should trust", code="TenantUnknown")


class AppInsightsComponents(Service):
    resource_type = "Microsoft.Insights/components"
    label = "Application Insights component"
    # module field -> SDK model attribute
    FIELDS = dict(kind="kind", application_type="application_type", retention_in_days="retention_in_days",
                  ingestion_mode="ingestion_mode", workspace_resource_id="workspace_resource_id", tags="tags")

    @staticmethod
    def to_dict(component):
        return _tracked(
            component,
            kind=_attr(component, "kind"),
            application_type=_attr(component, "application_type"),
            app_id=_attr(component, "app_id"),
            instrumentation_key=_attr(component, "instrumentation_key"),
            connection_string=_attr(component, "connection_string"),
            retention_in_days=_attr(component, "retention_in_days"),
            ingestion_mode=_attr(component, "ingestion_mode"),
            workspace_resource_id=_attr(component, "workspace_resource_id"),
            provisioning_state=_attr(component, "provisioning_state"),
        )

    def get(self, clients, resource_group, name):
        return _absent_is_none(lambda: self.to_dict(clients.appinsights().components.get(resource_group, name)))

    def create(self, clients, resource_group, name, after, wait=True, wait_timeout=900):
        from azure.mgmt.applicationinsights.v2020_02_02.models import ApplicationInsightsComponent
        fields = dict((attr, after.get(k)) for k, attr in self.FIELDS.items() if after.get(k) is not None)
        body = ApplicationInsightsComponent(location=after["location"], **fields)
        return self.to_dict(clients.appinsights().components.create_or_update(resource_group, name, body))

    def update(self, clients, resource_group, name, patch, current, wait=True, wait_timeout=900):
        # Only tags have a PATCH here: read the component and PUT it back with the changes, so
        # that the properties this module does not manage are kept as they are.
        ops = clients.appinsights().components
        component = ops.get(resource_group, name)
        for key, value in patch.items():
            setattr(component, self.FIELDS[key], value)
        return self.to_dict(ops.create_or_update(resource_group, name, component))

    def delete(self, clients, resource_group, name, wait=True, wait_timeout=900):
        clients.appinsights().components.delete(resource_group, name)
