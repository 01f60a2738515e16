# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``cloud_environment``: a known cloud by name, or an ARM metadata URL (Azure Stack Hub, the emulator).

Pure parsing of the metadata document (``parse_metadata``) plus one HTTP GET (``get_cloud``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import ssl
from collections import namedtuple

try:
    from urllib.parse import urlparse, urlencode
    from urllib.request import Request, build_opener, HTTPSHandler
    from urllib.error import HTTPError, URLError
except ImportError:  # pragma: no cover - Python 2 has no place here, but keep import sanity quiet
    urlparse = urlencode = Request = build_opener = HTTPSHandler = HTTPError = URLError = None

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError

METADATA_API_VERSIONS = ('2022-09-01', '1.0')


class Cloud(namedtuple('Cloud', ('name', 'resource_manager', 'authority_host', 'credential_scope',
                                 'storage_suffix', 'from_metadata'))):
    """Where a cloud's endpoints are.

    ``resource_manager`` ends with ``/``; ``authority_host`` is the sign-in endpoint without a
    trailing slash (what azure-identity calls ``authority``); ``credential_scope`` is the ARM
    audience + ``/.default``; ``from_metadata`` is True for a cloud discovered from a URL.
    """

    __slots__ = ()


def _scope(audience):
    return audience.rstrip('/') + '/.default'


KNOWN_CLOUDS = {
    'AzureCloud': Cloud('AzureCloud', 'https://management.azure.com/', 'https://login.microsoftonline.com',
                        _scope('https://management.azure.com/'), 'core.windows.net', False),
    'AzureChinaCloud': Cloud('AzureChinaCloud', 'https://management.chinacloudapi.cn/', 'https://login.chinacloudapi.cn',
                             _scope('https://management.chinacloudapi.cn/'), 'core.chinacloudapi.cn', False),
    'AzureUSGovernment': Cloud('AzureUSGovernment', 'https://management.usgovcloudapi.net/',
                               'https://login.microsoftonline.us',
                               _scope('https://management.usgovcloudapi.net/'), 'core.usgovcloudapi.net', False),
}


def _error(url, why):
    return AzureOperationError('cloud_environment %s: could not read the cloud metadata: %s' % (url, why),
                               code='InvalidCloudEnvironment')


def _norm_url(url):
    return (url or '').strip().rstrip('/').lower()


def _derived_storage_suffix(resource_manager):
    """Azure Stack Hub: https://management.<region>.<fqdn>/ -> <region>.<fqdn>."""
    host = urlparse(resource_manager).hostname or ''
    if host.startswith('management.'):
        return host[len('management.'):]
    return None


def _cloud_from_entry(entry, url):
    if not isinstance(entry, dict):
        raise _error(url, 'a cloud entry is not a JSON object')
    auth = entry.get('authentication')
    if not isinstance(auth, dict) or not auth.get('loginEndpoint'):
        raise _error(url, 'authentication.loginEndpoint is missing')
    audiences = auth.get('audiences')
    if isinstance(audiences, str):
        audiences = [audiences]
    if not audiences:
        raise _error(url, 'authentication.audiences is missing')
    resource_manager = entry.get('resourceManager') or url
    resource_manager = resource_manager.rstrip('/') + '/'
    suffixes = entry.get('suffixes') if isinstance(entry.get('suffixes'), dict) else {}
    storage = suffixes.get('storage') or _derived_storage_suffix(resource_manager)
    return Cloud(entry.get('name') or url, resource_manager, auth['loginEndpoint'].rstrip('/'),
                 _scope(audiences[0]), storage, True)


def parse_metadata(data, url):
    """Build a Cloud from a metadata document (already decoded JSON).

    ``api-version=2022-09-01`` returns a list of clouds: the one whose ``resourceManager`` is
    ``url`` is chosen, else the first. ``api-version=1.0`` returns a single object without
    ``resourceManager``: the resource manager is ``url`` itself.
    """
    if isinstance(data, list):
        if not data:
            raise _error(url, 'the metadata lists no cloud')
        chosen = [e for e in data if isinstance(e, dict) and _norm_url(e.get('resourceManager')) == _norm_url(url)]
        return _cloud_from_entry(chosen[0] if chosen else data[0], url)
    if isinstance(data, dict):
        return _cloud_from_entry(data, url)
    raise _error(url, 'the metadata is neither a JSON list nor an object')


def _ssl_context(verify, env):
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    # the same CA bundle the SDK transport (requests) uses
    cafile = env.get('REQUESTS_CA_BUNDLE') or env.get('CURL_CA_BUNDLE') or env.get('SSL_CERT_FILE') or None
    return ssl.create_default_context(cafile=cafile)


def fetch_metadata(url, api_version, verify=True, timeout=10, env=None):
    """GET ``{url}/metadata/endpoints?api-version=...`` and decode the JSON (raises AzureOperationError)."""
    env = os.environ if env is None else env
    target = '%s/metadata/endpoints?%s' % (url.rstrip('/'), urlencode({'api-version': api_version}))
    opener = build_opener(HTTPSHandler(context=_ssl_context(verify, env)))
    request = Request(target, headers={'Accept': 'application/json'})
    try:
        response = opener.open(request, timeout=timeout)
        try:
            body = response.read()
        finally:
            response.close()
    except HTTPError as exc:
        raise _error(url, 'GET %s returned HTTP %s' % (target, exc.code))
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, 'reason', exc)
        raise _error(url, 'GET %s failed: %s' % (target, reason))
    try:
        return json.loads(body.decode('utf-8-sig'))
    except ValueError:
        raise _error(url, 'GET %s did not return JSON' % target)


def _base_url(value):
    """Accept the ARM URL or the full metadata URL (``.../metadata/endpoints?api-version=1.0``)."""
    value = value.strip()
    index = value.lower().find('/metadata/endpoints')
    if index != -1:
        value = value[:index]
    return value.split('?', 1)[0].rstrip('/')


def get_cloud(value, verify=True, timeout=10, env=None):
    """Resolve ``cloud_environment``: a known name (case-insensitive) or an http(s) metadata URL."""
    if value is None or value == '':
        return KNOWN_CLOUDS['AzureCloud']
    value = str(value).strip()
    if value.lower().startswith(('http://', 'https://')):
        url = _base_url(value)
        if not urlparse(url).hostname:
            raise AzureOperationError('cloud_environment %s: not a valid URL' % value, code='InvalidCloudEnvironment')
        first_error = None
        for api_version in METADATA_API_VERSIONS:
            try:
                return parse_metadata(fetch_metadata(url, api_version, verify, timeout, env), url)
            except AzureOperationError as exc:
                first_error = first_error or exc
        raise first_error
    for name, cloud in KNOWN_CLOUDS.items():
        if name.lower() == value.lower():
            return cloud
    raise AzureOperationError(
        "cloud_environment '%s' is not a known cloud: use one of %s, or an ARM metadata URL (https://...)"
        % (value, ', '.join(sorted(KNOWN_CLOUDS))), code='InvalidCloudEnvironment')
