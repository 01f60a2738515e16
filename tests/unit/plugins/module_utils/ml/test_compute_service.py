# -*- coding: utf-8 -*-
"""compute_service against a local HTTPS 'ARM' that answers with the 2024-04-01 spec's own examples: what the
ML SDK sends (create body, scale-only PATCH) and how the answers become plain dicts (usages per region only,
families in the VM size table's spelling, idle time in seconds)."""

import json
import os
from urllib.parse import urlparse

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.ml import compute_service as service
from ansible_collections.amlops.bcdr.plugins.module_utils.core.auth import AuthContext
from ansible_collections.amlops.bcdr.plugins.module_utils.core.cloud import Cloud
from ansible_collections.amlops.bcdr.plugins.module_utils.core.clients import AzureClients
from ansible_collections.amlops.bcdr.plugins.module_utils.core.retries import RetrySettings

pytest.importorskip('azure.mgmt.machinelearningservices')
pytestmark = pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')
from azure.core.credentials import AccessToken  # noqa: E402

SUB = '00000000-0000-0000-0000-000000000001'
EXAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'emulator', 'specs', 'specification',
                        'machinelearningservices', 'resource-manager', 'Microsoft.MachineLearningServices', 'stable',
                        '2024-04-01', 'examples')
WS = '/subscriptions/%s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws' % SUB


def example(path):
    with open(os.path.join(EXAMPLES, path)) as handle:
        return json.load(handle)['responses']['200']['body']


def compute_body(max_nodes=4, idle='PT5M'):
    return {
        'id': WS + '/computes/cpu', 'name': 'cpu', 'type': 'Microsoft.MachineLearningServices/workspaces/computes',
        'location': 'East US', 'tags': {'pair': 'fraud'},
        'properties': {
            'computeType': 'AmlCompute', 'provisioningState': 'Succeeded', 'description': 'training',
            'properties': {
                'vmSize': 'Standard_DS3_v2', 'vmPriority': 'Dedicated', 'remoteLoginPortPublicAccess': 'Disabled',
                'scaleSettings': {'maxNodeCount': max_nodes, 'minNodeCount': 0, 'nodeIdleTimeBeforeScaleDown': idle},
                'currentNodeCount': 2, 'allocationState': 'Steady',
            },
        },
    }


class StaticCredential:
    def get_token(self, *scopes, **kwargs):
        return AccessToken('test-token', 2 ** 31)


@pytest.fixture
def arm(local_server):
    state = {}

    def respond(request):
        path = urlparse(request.path).path
        if path.endswith('/usages'):
            return 200, {}, example('Usage/list.json')
        if path.endswith('/vmSizes'):
            return 200, {}, example('VirtualMachineSize/list.json')
        if path.endswith('/computes/cpu') and request.method in ('PUT', 'PATCH'):
            body = json.loads(request.body)
            answer = compute_body()
            if request.method == 'PATCH':
                # A synchronous 200 with the final body (no polling headers).
                state['scale'] = body['properties']['properties']['scaleSettings']
                answer['properties']['properties']['scaleSettings'] = state['scale']
            return 200, {}, answer
        if path.endswith('/computes/cpu'):
            answer = compute_body()
            if 'scale' in state:
                answer['properties']['properties']['scaleSettings'] = state['scale']
            return 200, {}, answer
        return 404, {}, {'error': {'code': 'ResourceNotFound', 'message': 'not found'}}
    server = local_server(respond, tls=True)
    cloud = Cloud('test', server.url + '/', server.url, 'https://management.test/.default', 'core.test', True)
    ctx = AuthContext(StaticCredential(), SUB, cloud, verify=False, source='test')
    return server, AzureClients(ctx, retry_settings=RetrySettings(total=0, backoff=0.01), polling_interval=0)


def test_usages_are_the_regions_with_families(arm):
    server, clients = arm
    usages = service.list_usages(clients, 'eastus')
    assert all('/workspaces/' not in (u['type'] or '').lower() for u in usages)
    by_name = dict((u['name'], u) for u in usages)
    assert set(by_name) >= {'Clusters', 'Total Cluster Dedicated Regional vCPUs',
                            'Standard DSv2 Family Cluster Dedicated vCPUs'}
    assert len(by_name) == len(usages), 'one row per usage: the per-workspace and per-cluster rows are left out'
    dsv2 = by_name['Standard DSv2 Family Cluster Dedicated vCPUs']
    assert (dsv2['family'], dsv2['current'], dsv2['limit'], dsv2['unit']) == ('standardDSv2Family', 2, 24, 'Count')
    assert by_name['Total Cluster Dedicated Regional vCPUs']['family'] is None
    assert urlparse(server.requests[-1].path).path == \
        '/subscriptions/%s/providers/Microsoft.MachineLearningServices/locations/eastus/usages' % SUB


def test_vm_sizes(arm):
    _server, clients = arm
    sizes = dict((s['name'], s) for s in service.list_vm_sizes(clients, 'eastus'))
    assert sizes['Standard_DS2_v2']['family'] == 'standardDSv2Family'
    assert sizes['Standard_DS2_v2']['vcpus'] == 2


def test_compute_as_plain_dict(arm):
    _server, clients = arm
    c = service.get_compute(clients, 'rg', 'ws', 'cpu')
    assert c == dict(
        id=WS + '/computes/cpu', name='cpu', resource_group='rg', workspace='ws', location='eastus',
        tags={'pair': 'fraud'}, compute_type='AmlCompute', description='training', provisioning_state='Succeeded',
        vm_size='Standard_DS3_v2', vm_priority='Dedicated', os_type=None, remote_login_port_public_access='Disabled',
        min_nodes=0, max_nodes=4, idle_time_before_scale_down=300, current_node_count=2, target_node_count=None,
        allocation_state='Steady')
    assert service.get_compute(clients, 'rg', 'ws', 'other') is None


def test_create_body(arm):
    server, clients = arm
    after = dict(location='eastus', vm_size='Standard_DS3_v2', vm_priority='Dedicated', min_nodes=0, max_nodes=4,
                 idle_time_before_scale_down=120, remote_login_port_public_access='NotSpecified', description='',
                 tags={'pair': 'fraud'})
    service.create_compute(clients, 'rg', 'ws', 'cpu', after, wait=True, wait_timeout=30)
    put = [r for r in server.requests if r.method == 'PUT'][-1]
    body = json.loads(put.body)
    assert body['location'] == 'eastus' and body['tags'] == {'pair': 'fraud'}
    assert body['properties']['computeType'] == 'AmlCompute'
    aml = body['properties']['properties']
    assert (aml['vmSize'], aml['vmPriority']) == ('Standard_DS3_v2', 'Dedicated')
    assert aml['scaleSettings'] == {'maxNodeCount': 4, 'minNodeCount': 0, 'nodeIdleTimeBeforeScaleDown': 'PT2M'}


def test_scale_update_sends_scale_settings_only(arm):
    server, clients = arm
    after = service.update_compute_scale(clients, 'rg', 'ws', 'cpu',
                                         dict(min_nodes=0, max_nodes=10, idle_time_before_scale_down=120),
                                         wait=True, wait_timeout=30)
    patch = [r for r in server.requests if r.method == 'PATCH'][-1]
    assert json.loads(patch.body) == {'properties': {'properties': {'scaleSettings': {
        'maxNodeCount': 10, 'minNodeCount': 0, 'nodeIdleTimeBeforeScaleDown': 'PT2M'}}}}
    assert (after['max_nodes'], after['idle_time_before_scale_down']) == (10, 120)
