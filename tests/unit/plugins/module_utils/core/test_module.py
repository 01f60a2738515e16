# -*- coding: utf-8 -*-
import contextlib
import json

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import (
    COMMON_OPTIONS, AzureModule, azure_errors, resource_argument_spec, secrets_of, wait_argument_spec,
)

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    from unittest import mock
    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, '_ANSIBLE_ARGS', to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))):
            yield

azure_exceptions = pytest.importorskip('azure.core.exceptions')

SECRET = 'Sup3r~Secret.Value_123'
AZURE_VARS = ('AZURE_SUBSCRIPTION_ID', 'AZURE_CLIENT_ID', 'AZURE_SECRET', 'AZURE_TENANT', 'AZURE_CLOUD_ENVIRONMENT',
              'AZURE_PROFILE', 'AZURE_AD_USER', 'AZURE_PASSWORD', 'ANSIBLE_AZURE_AUTH_SOURCE', 'AZURE_AUTH_SOURCE')


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in AZURE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('HOME', str(tmp_path))


def run_module(capsys, args, body):
    """Build an AzureModule with ``args`` and run ``body(module)``; return the JSON it exited with."""
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module = AzureModule(argument_spec=dict(name=dict(type='str'), **wait_argument_spec()))
            body(module)
    return json.loads(capsys.readouterr().out)


def test_auth_options_merged_with_env_fallback(capsys, monkeypatch):
    monkeypatch.setenv('AZURE_SUBSCRIPTION_ID', 'sub-from-env')
    monkeypatch.setenv('AZURE_SECRET', SECRET)
    out = run_module(capsys, {'name': 'x'}, lambda m: m.exit_json(
        changed=False, sub=m.params['subscription_id'], cloud=m.params['cloud_environment'],
        wait=m.params['wait'], timeout=m.params['wait_timeout'], echoed=m.params['secret']))
    assert (out['sub'], out['cloud'], out['wait'], out['timeout']) == ('sub-from-env', 'AzureCloud', True, 900)
    assert SECRET not in json.dumps(out)  # no_log masks it even when a module echoes it


def test_fail_is_one_scrubbed_line_with_code_and_status(capsys):
    def body(module):
        module.fail(AzureOperationError('listing keys failed:\nAccountKey=abc123def;', code='Conflict', status=409))
    out = run_module(capsys, {'secret': SECRET}, body)
    assert out['failed'] and out['msg'] == 'listing keys failed: AccountKey=***;'
    assert (out['error_code'], out['status']) == ('Conflict', 409)


def test_fail_scrubs_the_module_secret_even_in_odd_places(capsys):
    out = run_module(capsys, {'secret': SECRET}, lambda m: m.fail(ValueError('bad value %s here' % SECRET)))
    assert SECRET not in json.dumps(out) and out['error_code'] == 'ValueError'


def test_azure_errors_method_turns_sdk_errors_into_fail_json(capsys):
    def body(module):
        with module.azure_errors('reading workspace ws1'):
            raise azure_exceptions.ServiceRequestError('Connection refused')
    out = run_module(capsys, {}, body)
    assert out['msg'] == 'reading workspace ws1 failed: could not reach Azure: Connection refused'
    assert out['error_code'] == 'ServiceRequestError'


def test_secrets_of_covers_auth_and_every_no_log_option():
    sas = '?sv=2022-11-02&sig=AbCdEf0123456789'
    with patch_module_args({'secret': SECRET, 'name': 'x', 'token': sas}):
        module = AzureModule(argument_spec=dict(name=dict(type='str'), token=dict(type='str', no_log=True)))
    secrets = secrets_of(module)
    assert SECRET in secrets and sas in secrets
    assert sas.lstrip('?') in secrets  # as the services send it
    assert 'x' not in secrets
    assert secrets.index(sas) < secrets.index(sas.lstrip('?'))  # longest first, so no half-replaced value


def test_resource_argument_spec_picks_common_options_and_adds_wait():
    spec = resource_argument_spec(sku=dict(type='str'))
    assert sorted(spec) == ['location', 'name', 'purge_tags', 'resource_group', 'sku', 'state', 'tags',
                            'wait', 'wait_timeout']
    assert spec['state'] == dict(type='str', choices=['present', 'absent'], default='present')
    spec = resource_argument_spec(common=('state',), wait=False, name=dict(type='str'))
    assert spec == dict(state=COMMON_OPTIONS['state'], name=dict(type='str'))
    spec['state']['default'] = 'absent'  # each call gets its own copies
    assert COMMON_OPTIONS['state']['default'] == 'present'


def test_auth_failure_fails_the_module_cleanly(capsys):
    out = run_module(capsys, {'cloud_environment': 'AzureMarsCloud', 'subscription_id': 's', 'client_id': 'c',
                              'secret': SECRET, 'tenant': 't'}, lambda m: m.clients)
    assert out['failed'] and "'AzureMarsCloud' is not a known cloud" in out['msg']
    assert out['error_code'] == 'InvalidCloudEnvironment'


def test_azure_errors_context_manager_converts_only_sdk_errors():
    with pytest.raises(AzureOperationError) as info:
        with azure_errors('deleting vault kv'):
            raise azure_exceptions.ResourceExistsError('exists')
    assert info.value.message.startswith('deleting vault kv failed')
    with pytest.raises(KeyError):
        with azure_errors('x'):
            raise KeyError('not azure')
