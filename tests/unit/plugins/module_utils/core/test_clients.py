# -*- coding: utf-8 -*-
"""The SDK clients really send the pinned api-versions (a local HTTPS server records the requests)."""

from urllib.parse import parse_qs, urlparse

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core import clients as clients_mod
from ansible_collections.amlops.bcdr.plugins.module_utils.core.auth import AuthContext
from ansible_collections.amlops.bcdr.plugins.module_utils.core.cloud import Cloud
from ansible_collections.amlops.bcdr.plugins.module_utils.core.clients import API_VERSIONS, AzureClients, MissingSDKError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.retries import JitteredRetryPolicy, RetrySettings

azure_core = pytest.importorskip('azure.core')
# the test server's certificate is self-signed and verify=False is what is being tested
pytestmark = pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')
from azure.core.credentials import AccessToken  # noqa: E402

SUB = '00000000-0000-0000-0000-000000000001'


class StaticCredential:
    def __init__(self):
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        return AccessToken('test-token', 2 ** 31)


def api_version_of(recorded):
    return parse_qs(urlparse(recorded.path).query).get('api-version')


@pytest.fixture
def arm(local_server):
    """An HTTPS 'ARM' answering {} to item GETs and one page + nextLink (without api-version) to lists."""
    def respond(request):
        path = urlparse(request.path).path
        if path.endswith('/storageAccounts') and 'page=2' not in request.path:
            return 200, {}, {'value': [], 'nextLink': server.url + path + '?page=2'}
        if path.endswith('/storageAccounts'):
            return 200, {}, {'value': []}
        return 200, {}, {}
    server = local_server(respond, tls=True)
    cloud = Cloud('test', server.url + '/', server.url, 'https://management.test/.default', 'core.test', True)
    credential = StaticCredential()
    # verify=False: the server's certificate is self-signed (also proves connection_verify reaches the transport)
    ctx = AuthContext(credential, SUB, cloud, verify=False, source='test')
    return server, AzureClients(ctx, retry_settings=RetrySettings(total=1, backoff=0.01)), credential


CALLS = [
    ('machinelearningservices', lambda c: c.ml().workspaces.get('rg', 'ws'),
     '/providers/Microsoft.MachineLearningServices/workspaces/ws'),
    ('resource', lambda c: c.resources().resource_groups.get('rg'), '/resourcegroups/rg'),
    ('storage', lambda c: c.storage().storage_accounts.get_properties('rg', 'sa'),
     '/providers/Microsoft.Storage/storageAccounts/sa'),
    ('keyvault', lambda c: c.keyvault().vaults.get('rg', 'kv'), '/providers/Microsoft.KeyVault/vaults/kv'),
    ('containerregistry', lambda c: c.acr().registries.get('rg', 'cr'),
     '/providers/Microsoft.ContainerRegistry/registries/cr'),
    ('applicationinsights', lambda c: c.appinsights().components.get('rg', 'ai'),
     '/providers/Microsoft.Insights/components/ai'),
    ('authorization', lambda c: c.authorization().role_definitions.get('/subscriptions/%s' % SUB, 'rd1'),
     '/providers/Microsoft.Authorization/roleDefinitions/rd1'),
]


@pytest.mark.parametrize('service,call,path_end', CALLS, ids=[c[0] for c in CALLS])
def test_each_client_sends_the_pinned_api_version(arm, service, call, path_end):
    server, azure_clients, credential = arm
    try:
        call(azure_clients)
    except MissingSDKError as exc:
        pytest.skip(str(exc))
    assert len(server.requests) == 1
    sent = server.requests[0]
    assert urlparse(sent.path).path.lower().endswith(path_end.lower())
    assert api_version_of(sent) == [API_VERSIONS[service]]
    assert sent.headers['Authorization'] == 'Bearer test-token'
    assert 'amlops.bcdr/' in sent.headers['User-Agent']
    # the token is asked for the cloud's ARM scope, not management.azure.com
    assert credential.scopes[-1] == ('https://management.test/.default',)


def test_next_link_pages_keep_the_pinned_api_version(arm):
    server, azure_clients, _unused = arm
    assert list(azure_clients.storage().storage_accounts.list_by_resource_group('rg')) == []
    assert len(server.requests) == 2
    assert [api_version_of(r) for r in server.requests] == [['2023-01-01'], ['2023-01-01']]


def test_clients_are_built_once_and_carry_our_retry_policy(arm):
    _unused, azure_clients, _unused = arm
    first = azure_clients.storage()
    assert azure_clients.storage() is first
    assert isinstance(first._config.retry_policy, JitteredRetryPolicy)


def test_missing_sdk_is_reported_with_missing_required_lib(monkeypatch):
    monkeypatch.setitem(clients_mod.SDKS, 'storage', ('amlops_no_such_module', 'X', 'azure-mgmt-storage'))
    ctx = AuthContext(StaticCredential(), SUB, None)
    with pytest.raises(MissingSDKError) as info:
        AzureClients(ctx).storage()
    assert 'azure-mgmt-storage' in info.value.message
    assert info.value.code == 'MissingRequiredLibrary'
    assert 'amlops_no_such_module' in info.value.traceback
