# -*- coding: utf-8 -*-
import json
import os

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core import auth as auth_mod
from ansible_collections.amlops.bcdr.plugins.module_utils.core.auth import (
    AUTH_ARGUMENT_SPEC, AZURE_CLI_CLIENT_ID, AzureAuthError, resolve_auth,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError

identity = pytest.importorskip('azure.identity')

TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
SECRET = 'Sup3r~Secret.Value_123'
SP = dict(client_id='11111111-1111-1111-1111-111111111111', secret=SECRET, tenant=TENANT, subscription_id='sub-1')


def no_az(_name):
    return None


def has_az(_name):
    return '/usr/bin/az'


@pytest.fixture
def home(tmp_path):
    """An empty HOME, so the machine's ~/.azure never leaks into a test."""
    return {'HOME': str(tmp_path)}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write(text)


def test_argument_spec_matches_azcollection_names_and_env_vars():
    spec = AUTH_ARGUMENT_SPEC
    assert spec['auth_source']['choices'] == ['auto', 'cli', 'credential_file', 'env', 'msi']
    assert spec['auth_source']['default'] == 'auto'
    assert spec['auth_source']['fallback'][1] == ['ANSIBLE_AZURE_AUTH_SOURCE', 'AZURE_AUTH_SOURCE']
    assert spec['secret']['no_log'] and spec['password']['no_log']
    assert spec['cloud_environment']['default'] == 'AzureCloud'
    for option, var in [('subscription_id', 'AZURE_SUBSCRIPTION_ID'), ('client_id', 'AZURE_CLIENT_ID'),
                        ('secret', 'AZURE_SECRET'), ('tenant', 'AZURE_TENANT'), ('ad_user', 'AZURE_AD_USER'),
                        ('password', 'AZURE_PASSWORD'), ('profile', 'AZURE_PROFILE'),
                        ('cloud_environment', 'AZURE_CLOUD_ENVIRONMENT'),
                        ('cert_validation_mode', 'AZURE_CERT_VALIDATION_MODE'),
                        ('adfs_authority_url', 'AZURE_ADFS_AUTHORITY_URL'),
                        ('x509_certificate_path', 'AZURE_X509_CERTIFICATE_PATH'),
                        ('disable_instance_discovery', 'AZURE_DISABLE_INSTANCE_DISCOVERY')]:
        assert spec[option]['fallback'][1][0] == var


def test_service_principal_from_params(home):
    ctx = resolve_auth(dict(SP), env=home, which=no_az)
    assert isinstance(ctx.credential, identity.ClientSecretCredential)
    assert (ctx.subscription_id, ctx.cloud.name, ctx.verify, ctx.source) == \
        ('sub-1', 'AzureCloud', True, 'service_principal')
    assert ctx.credential._authority == 'https://login.microsoftonline.com'
    assert ctx.credential._instance_discovery is None  # public cloud: MSAL's default (discovery on)


def test_service_principal_from_awx_style_environment(home):
    env = dict(home, AZURE_SUBSCRIPTION_ID='sub-env', AZURE_CLIENT_ID='cid', AZURE_SECRET=SECRET, AZURE_TENANT=TENANT,
               AZURE_CLOUD_ENVIRONMENT='AzureUSGovernment')
    ctx = resolve_auth({'cloud_environment': None}, env=env, which=no_az)
    assert ctx.subscription_id == 'sub-env' and ctx.cloud.name == 'AzureUSGovernment'
    assert ctx.credential._authority == 'https://login.microsoftonline.us'
    assert resolve_auth({'auth_source': 'env'}, env=env, which=no_az).source == 'service_principal'


def test_missing_subscription_is_one_clear_line(home):
    params = dict(SP, subscription_id=None)
    with pytest.raises(AzureAuthError) as info:
        resolve_auth(params, env=home, which=no_az)
    assert info.value.message == 'subscription_id is required: set it, or AZURE_SUBSCRIPTION_ID'
    assert isinstance(info.value, AzureOperationError)


def test_missing_tenant_does_not_echo_the_secret(home):
    with pytest.raises(AzureAuthError) as info:
        resolve_auth(dict(SP, tenant=None), env=home, which=no_az)
    assert info.value.message == 'tenant is required with client_id and secret: set it, or AZURE_TENANT'
    with pytest.raises(AzureAuthError) as info:
        resolve_auth(dict(SP, client_id=None), env=home, which=no_az)
    assert info.value.message == 'client_id is required with secret: set it, or AZURE_CLIENT_ID'
    assert SECRET not in info.value.message


def test_unknown_cloud(home):
    with pytest.raises(AzureOperationError) as info:
        resolve_auth(dict(SP, cloud_environment='AzureMarsCloud'), env=home, which=no_az)
    assert "cloud_environment 'AzureMarsCloud' is not a known cloud" in info.value.message


def test_user_password_uses_the_azure_cli_public_client(home):
    ctx = resolve_auth(dict(ad_user='u@contoso.com', password='pw-1234', subscription_id='s'), env=home, which=no_az)
    assert isinstance(ctx.credential, identity.UsernamePasswordCredential)
    assert ctx.credential._client_id == AZURE_CLI_CLIENT_ID and ctx.source == 'user'
    with pytest.raises(AzureAuthError) as info:
        resolve_auth(dict(ad_user='u@contoso.com', subscription_id='s'), env=home, which=no_az)
    assert info.value.message == 'password is required with ad_user: set it, or AZURE_PASSWORD'


CREDENTIALS = """
[default]
subscription_id = sub-default
client_id = cid-default
secret = secret-default
tenant = %s

[china]
subscription_id = sub-china
ad_user = someone@contoso.cn
password = pw-china
cloud_environment = AzureChinaCloud

[broken]
subscription_id = sub-broken
""" % TENANT


def test_credentials_file_profiles(home):
    write(os.path.join(home['HOME'], '.azure', 'credentials'), CREDENTIALS)
    ctx = resolve_auth({'cloud_environment': 'AzureCloud'}, env=home, which=has_az)  # file before the CLI
    assert (ctx.subscription_id, ctx.source) == ('sub-default', 'service_principal')
    ctx = resolve_auth({'profile': 'china', 'cloud_environment': 'AzureCloud'}, env=home, which=no_az)
    assert (ctx.subscription_id, ctx.cloud.name, ctx.source) == ('sub-china', 'AzureChinaCloud', 'user')
    ctx = resolve_auth({'auth_source': 'credential_file', 'subscription_id': 'override'},
                       env=dict(home, AZURE_PROFILE='china'), which=no_az)
    assert ctx.subscription_id == 'override'
    with pytest.raises(AzureAuthError) as info:
        resolve_auth({'profile': 'nope'}, env=home, which=no_az)
    assert info.value.message.startswith("profile 'nope' was not found in %s" % home['HOME'])
    with pytest.raises(AzureAuthError) as info:
        resolve_auth({'profile': 'broken'}, env=home, which=no_az)
    assert 'has neither client_id, secret and tenant nor ad_user and password' in info.value.message


def test_azure_cli_uses_its_default_subscription(home):
    write(os.path.join(home['HOME'], '.azure', 'azureProfile.json'),
          '\ufeff' + json.dumps({'subscriptions': [{'id': 'sub-a', 'isDefault': False},
                                                   {'id': 'sub-cli', 'isDefault': True}]}))
    ctx = resolve_auth({}, env=home, which=has_az)
    assert isinstance(ctx.credential, identity.AzureCliCredential)
    assert (ctx.subscription_id, ctx.source) == ('sub-cli', 'cli')
    assert resolve_auth({'subscription_id': 'given'}, env=home, which=has_az).subscription_id == 'given'
    with pytest.raises(AzureAuthError) as info:
        resolve_auth({'auth_source': 'cli', 'subscription_id': 's'}, env=home, which=no_az)
    assert 'az command is not on PATH' in info.value.message


def test_managed_identity_needs_a_subscription(home):
    with pytest.raises(AzureAuthError) as info:
        resolve_auth({'auth_source': 'msi'}, env=home, which=no_az)
    assert info.value.message == 'subscription_id is required with auth_source msi: set it, or AZURE_SUBSCRIPTION_ID'
    ctx = resolve_auth({'auth_source': 'msi', 'subscription_id': 's', 'client_id': 'uami'}, env=home, which=no_az)
    assert isinstance(ctx.credential, identity.ManagedIdentityCredential)
    # auto with nothing but a subscription ends at the managed identity
    assert resolve_auth({'subscription_id': 's'}, env=home, which=no_az).source == 'msi'


def test_auto_with_nothing_says_what_to_set(home):
    with pytest.raises(AzureAuthError) as info:
        resolve_auth({}, env=home, which=no_az)
    assert info.value.message.startswith('no Azure credentials found: set client_id, secret and tenant')


def test_auth_source_env_ignores_parameters(home):
    with pytest.raises(AzureAuthError) as info:
        resolve_auth(dict(SP, auth_source='env'), env=home, which=no_az)
    assert info.value.message.startswith('auth_source is env but the environment has no credentials')


def test_certificate_path_must_exist(home, tmp_path):
    params = dict(SP, secret=None, x509_certificate_path=str(tmp_path / 'missing.pem'))
    with pytest.raises(AzureAuthError) as info:
        resolve_auth(params, env=home, which=no_az)
    assert 'missing.pem does not exist' in info.value.message


# --- a cloud given by metadata URL: authority from the metadata, no instance discovery -------------

def aad_and_arm(server, seen):
    """A metadata endpoint plus the two AAD endpoints MSAL calls for the client-secret flow."""
    def respond(request):
        seen.append((request.method, request.path.split('?')[0]))
        if request.path.startswith('/metadata/endpoints'):
            return 200, {}, [{'name': 'Local', 'resourceManager': server[0].url + '/',
                              'authentication': {'loginEndpoint': server[0].url + '/',
                                                 'audiences': ['https://management.local/']},
                              'suffixes': {'storage': 'local'}}]
        tenant = request.path.split('/')[1]
        base = '%s/%s' % (server[0].url, tenant)
        if request.path.endswith('/openid-configuration'):
            return 200, {}, {'token_endpoint': base + '/oauth2/v2.0/token', 'issuer': base + '/v2.0',
                             'authorization_endpoint': base + '/oauth2/v2.0/authorize'}
        if request.path.endswith('/token'):
            if ('client_secret=' + SECRET) not in request.body.decode():
                return 401, {}, {'error': 'invalid_client',
                                 'error_description': 'AADSTS7000215: Invalid client secret provided.'}
            return 200, {}, {'access_token': 'local-token', 'expires_in': 3600, 'token_type': 'Bearer'}
        return 404, {}, {}
    return respond


def test_metadata_cloud_signs_in_at_its_own_authority(local_server, home, monkeypatch):
    holder, seen = [], []
    server = local_server(aad_and_arm(holder, seen), tls=True)
    holder.append(server)
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', server.ca_file)  # what the emulator's env() does
    env = dict(home, REQUESTS_CA_BUNDLE=server.ca_file)
    ctx = resolve_auth(dict(SP, cloud_environment=server.url), env=env, which=no_az)
    assert ctx.cloud.resource_manager == server.url + '/'
    assert ctx.cloud.credential_scope == 'https://management.local/.default'
    assert ctx.credential._authority == server.url
    assert ctx.credential._instance_discovery is False
    assert ctx.credential.get_token(ctx.cloud.credential_scope).token == 'local-token'
    # no request left for login.microsoftonline.com (there is no network here: it would have failed)
    assert seen == [('GET', '/metadata/endpoints'), ('GET', '/%s/v2.0/.well-known/openid-configuration' % TENANT),
                    ('POST', '/%s/oauth2/v2.0/token' % TENANT)]


def test_metadata_cloud_wrong_secret_and_ignore_mode(local_server, home, monkeypatch):
    holder, seen = [], []
    server = local_server(aad_and_arm(holder, seen), tls=True)
    holder.append(server)
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    # cert_validation_mode=ignore reaches both the metadata GET and azure-identity's transport
    ctx = resolve_auth(dict(SP, secret='wrong-secret-value', cloud_environment=server.url,
                            cert_validation_mode='ignore'), env=home, which=no_az)
    assert ctx.verify is False
    from azure.core.exceptions import ClientAuthenticationError
    with pytest.raises(ClientAuthenticationError) as info:
        ctx.credential.get_token(ctx.cloud.credential_scope)
    assert 'AADSTS7000215' in str(info.value)
    assert 'wrong-secret-value' not in str(info.value)


def test_explicit_disable_instance_discovery_wins(home):
    ctx = resolve_auth(dict(SP, disable_instance_discovery=True), env=home, which=no_az)
    assert ctx.credential._instance_discovery is False


def test_missing_identity_package_is_reported(home, monkeypatch):
    monkeypatch.setattr(auth_mod, 'HAS_AZURE_IDENTITY', False)
    monkeypatch.setattr(auth_mod, 'AZURE_IDENTITY_IMPORT_ERROR', ImportError('No module named azure.identity'))
    with pytest.raises(AzureAuthError) as info:
        resolve_auth(dict(SP), env=home, which=no_az)
    assert 'azure-identity' in info.value.message


def test_unreadable_ca_bundle_names_the_variable_and_the_path(home, tmp_path):
    missing = str(tmp_path / 'no-such-ca.pem')
    with pytest.raises(AzureOperationError) as info:
        resolve_auth(dict(SP), env=dict(home, REQUESTS_CA_BUNDLE=missing), which=no_az)
    assert info.value.message == ('REQUESTS_CA_BUNDLE: %s does not exist or cannot be read; it should name the CA '
                                  'certificates to trust for TLS: fix the path or unset REQUESTS_CA_BUNDLE' % missing)
    assert info.value.code == 'CABundleNotReadable'


def test_readable_ca_bundle_or_no_verification_passes(home, tmp_path):
    bundle = tmp_path / 'ca.pem'
    bundle.write_text('-----BEGIN CERTIFICATE-----\n')
    assert resolve_auth(dict(SP), env=dict(home, SSL_CERT_FILE=str(bundle)), which=no_az).verify is True
    # cert_validation_mode=ignore reads no bundle, so a stale variable does not matter.
    ctx = resolve_auth(dict(SP, cert_validation_mode='ignore'), env=dict(home, CURL_CA_BUNDLE='/nowhere'), which=no_az)
    assert ctx.verify is False
