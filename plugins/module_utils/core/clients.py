# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One factory per Azure SDK client, built lazily, with api-version pinned and our retry policy.

Each SDK is imported only when its client is first asked for, so a module that manages storage
does not need the ML SDK installed; a missing SDK raises ``MissingSDKError`` whose message is
Ansible's ``missing_required_lib`` text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.retries import JitteredRetryPolicy, RetrySettings

COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'amlops.bcdr/%s' % COLLECTION_VERSION

# api-versions of the REST specs in tests/emulator/specs (what the emulator validates against)
API_VERSIONS = {
    'machinelearningservices': '2024-04-01',
    'containerregistry': '2023-07-01',
    'resource': '2021-04-01',
    'storage': '2023-01-01',
    'keyvault': '2023-07-01',
    'applicationinsights': '2020-02-02',
    'authorization': '2022-04-01',
    'trafficmanager': '2022-04-01',
}

# service -> (module, class, pip requirement)
SDKS = {
    'machinelearningservices': ('azure.mgmt.machinelearningservices', 'MachineLearningServicesMgmtClient',
                                'azure-mgmt-machinelearningservices>=2.0.0b2'),
    'containerregistry': ('azure.mgmt.containerregistry', 'ContainerRegistryManagementClient',
                          'azure-mgmt-containerregistry'),
    # azure-mgmt-resource 23 (multi-api) and 24+ both have it here; 24+ dropped azure.mgmt.resource.ResourceManagementClient
    'resource': ('azure.mgmt.resource.resources', 'ResourceManagementClient', 'azure-mgmt-resource'),
    'storage': ('azure.mgmt.storage', 'StorageManagementClient', 'azure-mgmt-storage'),
    'keyvault': ('azure.mgmt.keyvault', 'KeyVaultManagementClient', 'azure-mgmt-keyvault'),
    'applicationinsights': ('azure.mgmt.applicationinsights', 'ApplicationInsightsManagementClient',
                            'azure-mgmt-applicationinsights'),
    'authorization': ('azure.mgmt.authorization', 'AuthorizationManagementClient', 'azure-mgmt-authorization'),
    # 2.x is typespec-generated (default api-version 2026-09-01), 1.1 msrest-based (2022-04-01): both speak 2022-04-01
    'trafficmanager': ('azure.mgmt.trafficmanager', 'TrafficManagerManagementClient', 'azure-mgmt-trafficmanager'),
    'blob': ('azure.storage.blob', 'BlobServiceClient', 'azure-storage-blob'),
}


class MissingSDKError(AzureOperationError):
    """An SDK package is not installed. ``traceback`` holds the ImportError for fail_json(exception=...)."""

    def __init__(self, requirement, exc):
        super(MissingSDKError, self).__init__(missing_required_lib(requirement), code='MissingRequiredLibrary')
        self.traceback = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def load_sdk_class(service):
    """Import the client class for ``service`` or raise MissingSDKError."""
    module_name, class_name, requirement = SDKS[service]
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:
        raise MissingSDKError(requirement, exc)


class AzureClients:
    """Lazily built SDK clients sharing one credential, cloud, retry policy and TLS setting.

    ``clients.ml()``, ``.resources()``, ``.storage()``, ``.keyvault()``, ``.acr()``,
    ``.appinsights()``, ``.authorization()``, ``.trafficmanager()`` return management clients pinned to
    ``API_VERSIONS``; ``.blob_service(account_url, credential)`` a data-plane client.
    Extra ``client_kwargs`` (e.g. ``transport=``) go to every client.
    """

    def __init__(self, auth_ctx, retry_settings=None, user_agent=USER_AGENT, polling_interval=5,
                 api_versions=None, **client_kwargs):
        self.auth = auth_ctx
        self.retry_settings = retry_settings or RetrySettings()
        self.user_agent = user_agent
        self.polling_interval = polling_interval
        self.api_versions = dict(API_VERSIONS, **(api_versions or {}))
        self.client_kwargs = client_kwargs
        self._cache = {}

    def _common_kwargs(self):
        kwargs = dict(
            base_url=self.auth.cloud.resource_manager,
            credential_scopes=[self.auth.cloud.credential_scope],
            retry_policy=JitteredRetryPolicy(self.retry_settings),
            user_agent=self.user_agent,
            polling_interval=self.polling_interval,
        )
        if not self.auth.verify:
            kwargs['connection_verify'] = False
        kwargs.update(self.client_kwargs)
        return kwargs

    def _mgmt(self, service):
        if service not in self._cache:
            cls = load_sdk_class(service)
            self._cache[service] = cls(self.auth.credential, self.auth.subscription_id,
                                       api_version=self.api_versions[service], **self._common_kwargs())
        return self._cache[service]

    def ml(self):
        return self._mgmt('machinelearningservices')

    def resources(self):
        return self._mgmt('resource')

    def storage(self):
        return self._mgmt('storage')

    def keyvault(self):
        return self._mgmt('keyvault')

    def acr(self):
        return self._mgmt('containerregistry')

    def appinsights(self):
        return self._mgmt('applicationinsights')

    def authorization(self):
        return self._mgmt('authorization')

    def trafficmanager(self):
        return self._mgmt('trafficmanager')

    def blob_service(self, account_url, credential=None, api_version=None):
        """A BlobServiceClient; ``credential`` is a key, SAS or TokenCredential (default: ours).

        Storage keeps its own retry policy (it knows about secondary endpoints), with our total.
        ``api_version`` pins the storage service version (Azurite accepts a fixed set).
        """
        cls = load_sdk_class('blob')
        kwargs = dict(retry_total=self.retry_settings.total, user_agent=self.user_agent)
        if api_version:
            kwargs['api_version'] = api_version
        if not self.auth.verify:
            kwargs['connection_verify'] = False
        kwargs.update(self.client_kwargs)
        return cls(account_url, credential=credential if credential is not None else self.auth.credential, **kwargs)


def best_effort_clients(auth_ctx, timeout, retries=1, subscription_id=None):
    """Clients for a region that may be down (the failover's calls): each request bounded by ``timeout``
    seconds to connect and to read, ``retries`` retries with a short backoff, operations polled every
    second. ``subscription_id`` overrides the auth context's (a pair may span two subscriptions)."""
    if subscription_id:
        auth_ctx = auth_ctx._replace(subscription_id=subscription_id)
    return AzureClients(auth_ctx, polling_interval=1,
                        retry_settings=RetrySettings(total=retries, backoff=0.5, max_backoff=2),
                        connection_timeout=timeout, read_timeout=timeout)
