# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Authentication options (compatible with azure.azcollection) and their resolution to a credential.

``resolve_auth(params)`` returns an ``AuthContext(credential, subscription_id, cloud, verify,
source)`` or raises ``AzureAuthError`` with one line that says what to set. It builds
azure-identity credentials only; SDK clients are built in ``clients.py``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import warnings
from collections import namedtuple

try:
    from configparser import ConfigParser, Error as ConfigParserError
except ImportError:  # pragma: no cover
    from ConfigParser import ConfigParser, Error as ConfigParserError

from ansible.module_utils.basic import env_fallback

from ansible_collections.amlops.bcdr.plugins.module_utils.core.cloud import get_cloud
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError

try:
    from azure import identity as _identity
    HAS_AZURE_IDENTITY = True
    AZURE_IDENTITY_IMPORT_ERROR = None
except ImportError as _exc:
    _identity = None
    HAS_AZURE_IDENTITY = False
    AZURE_IDENTITY_IMPORT_ERROR = _exc

AUTH_SOURCES = ('auto', 'cli', 'credential_file', 'env', 'msi')
# the public client id azure-cli signs users in with (used for ad_user/password without client_id)
AZURE_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'

# option -> environment variables, in azure.azcollection's names (first one wins)
ENV_VARS = {
    'auth_source': ['ANSIBLE_AZURE_AUTH_SOURCE', 'AZURE_AUTH_SOURCE'],
    'profile': ['AZURE_PROFILE'],
    'subscription_id': ['AZURE_SUBSCRIPTION_ID'],
    'client_id': ['AZURE_CLIENT_ID'],
    'secret': ['AZURE_SECRET'],
    'tenant': ['AZURE_TENANT'],
    'ad_user': ['AZURE_AD_USER'],
    'password': ['AZURE_PASSWORD'],
    'cloud_environment': ['AZURE_CLOUD_ENVIRONMENT'],
    'cert_validation_mode': ['AZURE_CERT_VALIDATION_MODE', 'AZURE_CERT_VALIDATION'],
    'adfs_authority_url': ['AZURE_ADFS_AUTHORITY_URL'],
    'x509_certificate_path': ['AZURE_X509_CERTIFICATE_PATH'],
    'thumbprint': ['AZURE_THUMBPRINT'],
    'disable_instance_discovery': ['AZURE_DISABLE_INSTANCE_DISCOVERY'],
}
# keys read from a ~/.azure/credentials profile
PROFILE_KEYS = ('subscription_id', 'client_id', 'secret', 'tenant', 'ad_user', 'password', 'cloud_environment',
                'cert_validation_mode', 'adfs_authority_url', 'x509_certificate_path', 'thumbprint')


AUTH_ARGUMENT_SPEC = dict(
    auth_source=dict(type='str', choices=list(AUTH_SOURCES), default='auto',
                     fallback=(env_fallback, ENV_VARS['auth_source'])),
    profile=dict(type='str', fallback=(env_fallback, ENV_VARS['profile'])),
    subscription_id=dict(type='str', fallback=(env_fallback, ENV_VARS['subscription_id'])),
    client_id=dict(type='str', no_log=False, fallback=(env_fallback, ENV_VARS['client_id'])),
    secret=dict(type='str', no_log=True, fallback=(env_fallback, ENV_VARS['secret'])),
    tenant=dict(type='str', fallback=(env_fallback, ENV_VARS['tenant'])),
    ad_user=dict(type='str', fallback=(env_fallback, ENV_VARS['ad_user'])),
    password=dict(type='str', no_log=True, fallback=(env_fallback, ENV_VARS['password'])),
    cloud_environment=dict(type='str', default='AzureCloud', fallback=(env_fallback, ENV_VARS['cloud_environment'])),
    cert_validation_mode=dict(type='str', choices=['validate', 'ignore'],
                              fallback=(env_fallback, ENV_VARS['cert_validation_mode'])),
    adfs_authority_url=dict(type='str', fallback=(env_fallback, ENV_VARS['adfs_authority_url'])),
    x509_certificate_path=dict(type='path', fallback=(env_fallback, ENV_VARS['x509_certificate_path'])),
    thumbprint=dict(type='str', no_log=False, fallback=(env_fallback, ENV_VARS['thumbprint'])),
    disable_instance_discovery=dict(type='bool', fallback=(env_fallback, ENV_VARS['disable_instance_discovery'])),
)

AUTH_OPTION_NAMES = tuple(AUTH_ARGUMENT_SPEC)


class AzureAuthError(AzureOperationError):
    """Credentials could not be resolved; the message says what to set."""

    def __init__(self, message):
        super(AzureAuthError, self).__init__(message, code='AuthenticationConfiguration')


class AuthContext(namedtuple('AuthContext', ('credential', 'subscription_id', 'cloud', 'verify', 'source'))):
    """What every client needs: a TokenCredential, the subscription, the Cloud, TLS verification."""

    __slots__ = ()

    def __new__(cls, credential, subscription_id, cloud, verify=True, source=None):
        return super(AuthContext, cls).__new__(cls, credential, subscription_id, cloud, verify, source)


def _truthy(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


def _env_value(name, env):
    for var in ENV_VARS.get(name, ()):
        if env.get(var):
            return env[var]
    return None


def _with_env(params, env):
    """Module parameters, each missing one taken from its environment variable (what env_fallback does)."""
    merged = dict((k, v) for k, v in (params or {}).items() if k in ENV_VARS)
    for name in ENV_VARS:
        if merged.get(name) in (None, ''):
            merged[name] = _env_value(name, env)
    return merged


def _home(env):
    return env.get('HOME') or os.path.expanduser('~')


def credentials_file_path(env):
    return os.path.join(_home(env), '.azure', 'credentials')


def read_profile(profile, env, required):
    """Read a ``[profile]`` (default ``default``) from ~/.azure/credentials; None when absent and not required."""
    path = credentials_file_path(env)
    name = profile or 'default'
    parser = ConfigParser(interpolation=None)
    try:
        found = parser.read(path)
    except ConfigParserError as exc:
        raise AzureAuthError('%s is not a valid INI file: %s' % (path, str(exc).splitlines()[0]))
    if not found or not parser.has_section(name):
        if required:
            raise AzureAuthError("profile '%s' was not found in %s: add a [%s] section, or set another profile"
                                 % (name, path, name))
        return None
    values = dict((k, parser.get(name, k)) for k in PROFILE_KEYS if parser.has_option(name, k))
    values['_where'] = "profile '%s' in %s" % (name, path)
    return values


def _azure_cli_dir(env):
    return env.get('AZURE_CONFIG_DIR') or os.path.join(_home(env), '.azure')


def cli_default_subscription(env):
    """The subscription marked isDefault in the Azure CLI's azureProfile.json, or None."""
    path = os.path.join(_azure_cli_dir(env), 'azureProfile.json')
    try:
        with open(path, 'rb') as handle:
            data = json.loads(handle.read().decode('utf-8-sig'))
    except (IOError, OSError, ValueError):
        return None
    for sub in data.get('subscriptions') or []:
        if sub.get('isDefault'):
            return sub.get('id')
    return None


def _explicit_kind(values):
    """Which explicit credentials ``values`` carry: certificate, service_principal, user, or None."""
    if values.get('x509_certificate_path'):
        return 'certificate'
    if values.get('secret'):
        return 'service_principal'
    if values.get('ad_user') or values.get('password'):
        return 'user'
    return None


def _hint(option, values):
    where = values.get('_where')
    if where:
        return "%s is required in %s" % (option, where)
    env_names = ENV_VARS.get(option)
    return '%s is required: set it, or %s' % (option, env_names[0]) if env_names else '%s is required' % option


def _require(values, option, context=''):
    if not values.get(option):
        message = _hint(option, values)
        if context:
            message = message.replace(' is required', ' is required %s' % context, 1)
        raise AzureAuthError(message)


def _require_identity():
    if not HAS_AZURE_IDENTITY:
        raise AzureAuthError('the azure-identity Python package is required (pip install azure-identity): %s'
                             % AZURE_IDENTITY_IMPORT_ERROR)


def _identity_kwargs(values, cloud, verify):
    kwargs = {}
    authority = values.get('adfs_authority_url') or cloud.authority_host
    if authority:
        kwargs['authority'] = authority
    discovery_off = values.get('disable_instance_discovery')
    if discovery_off is None:
        # a cloud from a metadata URL (Azure Stack Hub, the emulator) or ADFS has its own authority:
        # MSAL must not ask login.microsoftonline.com to validate it
        discovery_off = cloud.from_metadata or bool(values.get('adfs_authority_url'))
    if _truthy(discovery_off):
        kwargs['disable_instance_discovery'] = True
    if not verify:
        kwargs['connection_verify'] = False
    return kwargs


def _explicit_credential(kind, values, cloud, verify):
    _require_identity()
    kwargs = _identity_kwargs(values, cloud, verify)
    adfs = bool(values.get('adfs_authority_url'))
    if kind == 'certificate':
        _require(values, 'client_id', 'with x509_certificate_path')
        if not adfs:
            _require(values, 'tenant', 'with x509_certificate_path')
        path = values['x509_certificate_path']
        if not os.path.isfile(path):
            raise AzureAuthError('x509_certificate_path %s does not exist or is not a file' % path)
        return _identity.CertificateCredential(values.get('tenant') or 'adfs', values['client_id'], path, **kwargs)
    if kind == 'service_principal':
        _require(values, 'client_id', 'with secret')
        if not adfs:
            _require(values, 'tenant', 'with client_id and secret')
        return _identity.ClientSecretCredential(values.get('tenant') or 'adfs', values['client_id'], values['secret'],
                                                **kwargs)
    # user / password
    _require(values, 'ad_user', 'with password')
    _require(values, 'password', 'with ad_user')
    tenant = values.get('tenant') or ('adfs' if adfs else 'organizations')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)  # no MFA support: known, and the user chose it
        return _identity.UsernamePasswordCredential(values.get('client_id') or AZURE_CLI_CLIENT_ID, values['ad_user'],
                                                    values['password'], tenant_id=tenant, **kwargs)


_NOTHING_FOUND = ('no Azure credentials found: set client_id, secret and tenant (AZURE_CLIENT_ID, AZURE_SECRET, '
                  'AZURE_TENANT), or ad_user and password, or a profile in ~/.azure/credentials, or run az login; '
                  'for a managed identity set subscription_id (AZURE_SUBSCRIPTION_ID)')


def _select(merged, env, which):
    """Decide the source and the values it reads: (kind, values)."""
    source = merged.get('auth_source') or 'auto'
    if source not in AUTH_SOURCES:
        raise AzureAuthError("auth_source '%s' is not one of %s" % (source, ', '.join(AUTH_SOURCES)))
    if source == 'env':
        values = _with_env({}, env)
        values['_where'] = None
        kind = _explicit_kind(values)
        if not kind:
            raise AzureAuthError('auth_source is env but the environment has no credentials: set AZURE_CLIENT_ID, '
                                 'AZURE_SECRET and AZURE_TENANT, or AZURE_AD_USER and AZURE_PASSWORD')
        return kind, values
    if source == 'credential_file':
        values = _fill_from(read_profile(merged.get('profile'), env, required=True), merged)
        kind = _explicit_kind(values)
        if not kind:
            raise AzureAuthError('%s has neither client_id, secret and tenant nor ad_user and password'
                                 % values['_where'])
        return kind, values
    if source in ('cli', 'msi'):
        return source, merged
    # auto: explicit parameters/environment, then the credentials file, then the Azure CLI, then MSI
    kind = _explicit_kind(merged)
    if kind:
        return kind, merged
    profile = read_profile(merged.get('profile'), env, required=bool(merged.get('profile')))
    if profile is not None:
        values = _fill_from(profile, merged)
        kind = _explicit_kind(values)
        if not kind:
            raise AzureAuthError('%s has neither client_id, secret and tenant nor ad_user and password'
                                 % values['_where'])
        return kind, values
    if which('az'):
        return 'cli', merged
    if not merged.get('subscription_id'):
        raise AzureAuthError(_NOTHING_FOUND)
    return 'msi', merged


def _fill_from(profile, merged):
    """Profile values win; subscription_id given as a parameter or in the environment wins over the file."""
    values = dict(profile)
    if merged.get('subscription_id'):
        values['subscription_id'] = merged['subscription_id']
    for key in ('cloud_environment', 'cert_validation_mode', 'disable_instance_discovery'):
        explicit = merged.get(key)
        if key == 'cloud_environment' and explicit == 'AzureCloud':
            explicit = None  # the option's default: let the profile name its cloud
        if explicit is not None or key not in values:
            values[key] = explicit
    return values


# The CA bundle variables the SDK transport (requests) and the metadata request read, first one wins.
CA_BUNDLE_VARS = ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE')


def ca_bundle_errors(env):
    """One line per CA bundle variable naming a path that cannot be read (else TLS fails later with a
    bare '[Errno 2] No such file or directory' that names neither the path nor the variable)."""
    errors = []
    for var in CA_BUNDLE_VARS:
        path = env.get(var)
        if path and not (os.path.exists(path) and os.access(path, os.R_OK)):
            errors.append('%s: %s does not exist or cannot be read; it should name the CA certificates to trust '
                          'for TLS: fix the path or unset %s' % (var, path, var))
    return errors


def _quiet_insecure_warnings():
    """cert_validation_mode=ignore was asked for: do not print urllib3's warning on every request."""
    try:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    except Exception:  # urllib3 missing or changed: the warning is harmless
        pass


def resolve_auth(params, env=None, which=shutil.which, metadata_timeout=10):
    """Resolve the auth options to an AuthContext, or raise AzureAuthError (one line, no secrets).

    ``params`` are module parameters (already with env_fallback applied, or raw: missing values are
    read from ``env`` here too). ``which`` finds the ``az`` command (injectable for tests).
    """
    env = os.environ if env is None else env
    merged = _with_env(params, env)
    kind, values = _select(merged, env, which)

    mode = values.get('cert_validation_mode') or 'validate'
    if mode not in ('validate', 'ignore'):
        raise AzureAuthError("cert_validation_mode '%s' is not one of validate, ignore" % mode)
    verify = mode != 'ignore'
    if not verify:
        _quiet_insecure_warnings()
    else:
        problems = ca_bundle_errors(env)
        if problems:
            raise AzureOperationError('; '.join(problems), code='CABundleNotReadable')
    cloud = get_cloud(values.get('cloud_environment') or 'AzureCloud', verify=verify, timeout=metadata_timeout,
                      env=env)

    subscription_id = values.get('subscription_id')
    if kind == 'cli':
        subscription_id = subscription_id or cli_default_subscription(env)
        if not subscription_id:
            raise AzureAuthError('subscription_id is required: set it, or AZURE_SUBSCRIPTION_ID, or choose a '
                                 'default subscription with az account set')
        if not which('az'):
            raise AzureAuthError('auth_source is cli but the az command is not on PATH: install the Azure CLI and '
                                 'run az login, or choose another auth_source')
        _require_identity()
        kwargs = {'tenant_id': values['tenant']} if values.get('tenant') else {}
        credential = _identity.AzureCliCredential(**kwargs)
    elif kind == 'msi':
        if not subscription_id:
            raise AzureAuthError('subscription_id is required with auth_source msi: set it, or AZURE_SUBSCRIPTION_ID')
        _require_identity()
        kwargs = {'connection_verify': False} if not verify else {}
        if values.get('client_id'):
            kwargs['client_id'] = values['client_id']
        credential = _identity.ManagedIdentityCredential(**kwargs)
    else:
        try:
            credential = _explicit_credential(kind, values, cloud, verify)
        except ValueError as exc:  # azure-identity rejects e.g. an http:// authority or a bad tenant id
            raise AzureAuthError('cannot use the %s credentials: %s' % (kind.replace('_', ' '), exc))
        if not subscription_id:
            raise AzureAuthError(_hint('subscription_id', values))
    return AuthContext(credential, subscription_id, cloud, verify, kind)
