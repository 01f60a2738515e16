# -*- coding: utf-8 -*-
import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core.cloud import KNOWN_CLOUDS, get_cloud, parse_metadata
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError


def new_shape(arm):
    return [
        {'name': 'Other', 'resourceManager': 'https://elsewhere.example/',
         'authentication': {'loginEndpoint': 'https://login.elsewhere/', 'audiences': ['https://elsewhere/']},
         'suffixes': {'storage': 'elsewhere.example'}},
        {'name': 'Emulated', 'resourceManager': arm + '/',
         'authentication': {'loginEndpoint': arm + '/', 'audiences': ['https://management.emulated/', 'x'],
                            'tenant': 'common'},
         'suffixes': {'storage': 'blob.emulated'}},
    ]


OLD_SHAPE = {'galleryEndpoint': 'https://gallery/', 'graphEndpoint': 'https://graph/',
             'authentication': {'loginEndpoint': 'https://login.local.azurestack.external/adfs/',
                                'audiences': ['https://management.adfs.azurestack.local/4e12']}}


def test_known_clouds_by_name_case_insensitive():
    cloud = get_cloud('azurechinacloud')
    assert cloud is KNOWN_CLOUDS['AzureChinaCloud']
    assert cloud.resource_manager == 'https://management.chinacloudapi.cn/'
    assert cloud.credential_scope == 'https://management.chinacloudapi.cn/.default'
    assert get_cloud(None).name == 'AzureCloud'
    public = get_cloud('AzureCloud')
    assert (public.authority_host, public.storage_suffix, public.from_metadata) == \
        ('https://login.microsoftonline.com', 'core.windows.net', False)
    assert get_cloud('AzureUSGovernment').authority_host == 'https://login.microsoftonline.us'


def test_unknown_cloud_lists_names_and_mentions_urls():
    with pytest.raises(AzureOperationError) as info:
        get_cloud('AzureMarsCloud')
    assert info.value.message == ("cloud_environment 'AzureMarsCloud' is not a known cloud: use one of AzureChinaCloud, "
                                  "AzureCloud, AzureUSGovernment, or an ARM metadata URL (https://...)")


def test_parse_new_shape_picks_the_matching_resource_manager():
    cloud = parse_metadata(new_shape('https://127.0.0.1:8443'), 'https://127.0.0.1:8443')
    assert cloud.name == 'Emulated'
    assert cloud.resource_manager == 'https://127.0.0.1:8443/'
    assert cloud.authority_host == 'https://127.0.0.1:8443'
    assert cloud.credential_scope == 'https://management.emulated/.default'
    assert cloud.storage_suffix == 'blob.emulated' and cloud.from_metadata


def test_parse_new_shape_falls_back_to_first_entry():
    assert parse_metadata(new_shape('https://a'), 'https://nomatch').name == 'Other'


def test_parse_old_shape():
    url = 'https://management.local.azurestack.external'
    cloud = parse_metadata(OLD_SHAPE, url)
    assert cloud.resource_manager == url + '/'
    assert cloud.authority_host == 'https://login.local.azurestack.external/adfs'
    assert cloud.credential_scope == 'https://management.adfs.azurestack.local/4e12/.default'
    assert cloud.storage_suffix == 'local.azurestack.external'


@pytest.mark.parametrize('doc,why', [([], 'lists no cloud'), ({'authentication': {}}, 'loginEndpoint'),
                                     ({'authentication': {'loginEndpoint': 'x'}}, 'audiences'), ('x', 'neither')])
def test_parse_rejects_incomplete_documents(doc, why):
    with pytest.raises(AzureOperationError) as info:
        parse_metadata(doc, 'https://arm')
    assert why in info.value.message and 'https://arm' in info.value.message


def test_get_cloud_from_metadata_url_new_shape(local_server):
    server = local_server(lambda req: (200, {}, new_shape(server.url)))
    cloud = get_cloud(server.url + '/')
    assert cloud.name == 'Emulated' and cloud.resource_manager == server.url + '/'
    assert [r.path for r in server.requests] == ['/metadata/endpoints?api-version=2022-09-01']


def test_get_cloud_falls_back_to_api_version_1_0(local_server):
    def respond(req):
        if 'api-version=1.0' in req.path:
            return 200, {}, OLD_SHAPE
        return 400, {}, {'error': {'code': 'InvalidApiVersionParameter', 'message': 'no'}}
    server = local_server(respond)
    cloud = get_cloud(server.url + '/metadata/endpoints?api-version=1.0')  # full metadata URL accepted too
    assert cloud.resource_manager == server.url + '/'
    assert len(server.requests) == 2


def test_get_cloud_https_trusts_requests_ca_bundle(local_server):
    server = local_server(lambda req: (200, {}, new_shape(server.url)), tls=True)
    with pytest.raises(AzureOperationError) as info:
        get_cloud(server.url, env={})  # self-signed and not trusted
    assert 'CERTIFICATE_VERIFY_FAILED' in info.value.message
    assert get_cloud(server.url, env={'REQUESTS_CA_BUNDLE': server.ca_file}).name == 'Emulated'
    assert get_cloud(server.url, verify=False, env={}).name == 'Emulated'


def test_get_cloud_errors_name_the_url(local_server):
    server = local_server(lambda req: (200, {'Content-Type': 'text/html'}, '<html>portal</html>'))
    with pytest.raises(AzureOperationError) as info:
        get_cloud(server.url)
    assert info.value.message.startswith('cloud_environment %s: could not read the cloud metadata' % server.url)
    assert 'did not return JSON' in info.value.message and '\n' not in info.value.message
    server.shutdown()
    server.server_close()
    with pytest.raises(AzureOperationError) as info:
        get_cloud(server.url, timeout=2)
    assert server.url in info.value.message and 'failed' in info.value.message
    with pytest.raises(AzureOperationError):
        get_cloud('https://')
