# -*- coding: utf-8 -*-
import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import (
    build_resource_id, parse_resource_id, require_resource_id, same_resource_id,
)

SA = '/subscriptions/sub1/resourceGroups/rg-east/providers/Microsoft.Storage/storageAccounts/stprimary'
MODEL = ('/subscriptions/sub1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1'
         '/models/fraud/versions/3')
ROLE = SA + '/providers/Microsoft.Authorization/roleAssignments/1111-2222'


def test_parse_top_level():
    rid = parse_resource_id(SA)
    assert (rid.subscription, rid.resource_group, rid.namespace) == ('sub1', 'rg-east', 'Microsoft.Storage')
    assert rid.types == ['storageAccounts'] and rid.names == ['stprimary']
    assert rid.type == 'Microsoft.Storage/storageAccounts' and rid.name == 'stprimary'
    assert rid.id == SA


def test_parse_child_resource():
    rid = parse_resource_id(MODEL)
    assert rid.type == 'Microsoft.MachineLearningServices/workspaces/models/versions'
    assert rid.names == ['ws1', 'fraud', '3'] and rid.name == '3'


def test_parse_extension_resource_keeps_its_scope():
    rid = parse_resource_id(ROLE)
    assert rid.type == 'Microsoft.Authorization/roleAssignments'
    assert rid.scope == SA and rid.resource_group == 'rg-east'
    assert rid.id == ROLE


def test_parse_resource_group_and_subscription_level():
    rg = parse_resource_id('/subscriptions/sub1/resourceGroups/rg1')
    assert (rg.type, rg.name, rg.resource_group) == ('Microsoft.Resources/resourceGroups', 'rg1', 'rg1')
    rd = parse_resource_id('/subscriptions/sub1/providers/Microsoft.Authorization/roleDefinitions/abc')
    assert rd.resource_group is None and rd.type == 'Microsoft.Authorization/roleDefinitions'


def test_parse_is_case_insensitive_on_keywords():
    rid = parse_resource_id(SA.replace('resourceGroups', 'RESOURCEGROUPS').replace('providers', 'Providers'))
    assert rid.resource_group == 'rg-east' and rid.name == 'stprimary'


@pytest.mark.parametrize('bad', [
    'stprimary', '', None, '/subscriptions', '/subscriptions/sub1/resourceGroups',
    '/subscriptions/sub1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts',
    '/subscriptions/sub1/resourceGroups/rg/providers/Storage/storageAccounts/x',
    '/subscriptions/sub1//resourceGroups/rg', '/tenants/t1/providers/Microsoft.Storage/storageAccounts/x',
    '/subscriptions/sub1/resourceGroups/rg/foo/bar',
])
def test_parse_rejects_bad_ids(bad):
    with pytest.raises(AzureOperationError) as info:
        parse_resource_id(bad)
    assert info.value.code == 'InvalidResourceId'
    assert isinstance(info.value, ValueError)


def test_require_resource_id_message():
    with pytest.raises(AzureOperationError) as info:
        require_resource_id('/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv',
                            'Microsoft.Storage/storageAccounts', 'storage_account')
    assert info.value.message == (
        "storage_account: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv' is not a "
        "resource ID of type Microsoft.Storage/storageAccounts (expected "
        "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>)")
    with pytest.raises(ValueError):
        require_resource_id('stdefault', 'Microsoft.Storage/storageAccounts', 'storage_account')
    assert require_resource_id(SA.lower(), 'Microsoft.Storage/storageAccounts', 'x').name == 'stprimary'


def test_build_resource_id():
    assert build_resource_id('sub1', 'rg-east', 'Microsoft.Storage/storageAccounts', 'stprimary') == SA
    assert build_resource_id('sub1', 'rg', 'Microsoft.MachineLearningServices/workspaces/models/versions',
                             ['ws1', 'fraud', '3']) == MODEL
    assert build_resource_id('sub1', None, 'Microsoft.Authorization/roleAssignments', ['1111-2222'],
                             scope=SA) == ROLE
    assert build_resource_id('sub1', 'rg1', 'Microsoft.Resources/resourceGroups', 'rg1') == \
        '/subscriptions/sub1/resourceGroups/rg1'
    with pytest.raises(ValueError):
        build_resource_id('s', 'rg', 'Microsoft.Storage/storageAccounts/blobServices', ['sa'])


def test_same_resource_id():
    assert same_resource_id(SA, SA.upper() + '/')
    assert not same_resource_id(SA, SA + 'x')
    assert same_resource_id(None, None) and not same_resource_id(SA, None)
