# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module class of every module (AnsibleModule + the auth options, lazy ``auth``/``clients``,
one clear scrubbed failure line) and the options most modules share (``resource_argument_spec``).

    module = AzureModule(argument_spec=resource_argument_spec(sku=dict(type='str')))

Service helpers (workspace_service.py, ...) take ``module.clients`` and wrap SDK calls in
``with azure_errors('reading workspace %s' % name):``; core/runner.py runs the module body.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import functools

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.amlops.bcdr.plugins.module_utils.core.auth import (
    AUTH_ARGUMENT_SPEC, AZURE_IDENTITY_IMPORT_ERROR, HAS_AZURE_IDENTITY, resolve_auth,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.core.clients import AzureClients, MissingSDKError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError, from_sdk_error, scrub

try:
    from azure.core.exceptions import AzureError
except ImportError:
    AzureError = None


@contextlib.contextmanager
def azure_errors(action):
    """Turn azure-core exceptions raised inside the block into AzureOperationError about ``action``."""
    try:
        yield
    except AzureOperationError:
        raise
    except Exception as exc:
        if AzureError is not None and isinstance(exc, AzureError):
            raise from_sdk_error(exc, action)
        raise


def with_azure_errors(action):
    """Decorator form of ``azure_errors``; ``action`` may use the call's keyword arguments: ``'reading {name}'``."""
    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                text = action.format(**kwargs)
            except (KeyError, IndexError):
                text = action
            with azure_errors(text):
                return fn(*args, **kwargs)
        return wrapper
    return decorator


def secrets_of(module):
    """The values scrubbed from every message of ``module``: the auth secret/password and every
    ``no_log`` option (a SAS token also without its leading ``?``, as the services send it)."""
    params = getattr(module, 'params', None) or {}
    values = set(v for v in (params.get('secret'), params.get('password')) if v)
    values.update(v for v in getattr(module, 'no_log_values', ()) if isinstance(v, str))
    values.update([v.lstrip('?') for v in values])
    return sorted((v for v in values if v), key=len, reverse=True)


def wait_argument_spec(default_timeout=900):
    """``wait``/``wait_timeout`` options (documented by the ``amlops.bcdr.azure_auth.WAIT`` doc fragment)."""
    return dict(wait=dict(type='bool', default=True), wait_timeout=dict(type='int', default=default_timeout))


# The options most modules share (documented by the amlops.bcdr.azure_resource doc fragment).
COMMON_OPTIONS = dict(
    name=dict(type='str', required=True),
    workspace=dict(type='str', required=True),
    resource_group=dict(type='str', required=True),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    location=dict(type='str'),
    tags=dict(type='dict'),
    purge_tags=dict(type='bool', default=True),
)
RESOURCE_OPTIONS = ('name', 'resource_group', 'state', 'location', 'tags', 'purge_tags')
WORKSPACE_CHILD_OPTIONS = ('name', 'workspace', 'resource_group', 'state')


def resource_argument_spec(common=RESOURCE_OPTIONS, wait=True, **options):
    """The ``common`` options of COMMON_OPTIONS, ``wait``/``wait_timeout`` when the module waits,
    then the module's own ``options``."""
    spec = dict((key, dict(COMMON_OPTIONS[key])) for key in common)
    if wait:
        spec.update(wait_argument_spec())
    spec.update(options)
    return spec


class AzureModule(AnsibleModule):
    """AnsibleModule with AUTH_ARGUMENT_SPEC merged, and lazy ``auth`` / ``clients``."""

    def __init__(self, argument_spec, supports_check_mode=True, retry_settings=None, **kwargs):
        spec = dict(AUTH_ARGUMENT_SPEC)
        spec.update(argument_spec or {})
        super(AzureModule, self).__init__(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        if not HAS_AZURE_IDENTITY:
            self.fail_json(msg=missing_required_lib('azure-identity'), exception=str(AZURE_IDENTITY_IMPORT_ERROR))
        self._retry_settings = retry_settings
        self._auth = None
        self._clients = None

    @property
    def auth(self):
        """The resolved AuthContext (credentials, subscription, cloud); fails the module if unresolvable."""
        if self._auth is None:
            try:
                self._auth = resolve_auth(self.params)
            except AzureOperationError as exc:
                self.fail(exc)
        return self._auth

    @property
    def clients(self):
        if self._clients is None:
            self._clients = AzureClients(self.auth, retry_settings=self._retry_settings)
        return self._clients

    def _secrets(self):
        return secrets_of(self)

    def fail(self, exc, **extra):
        """fail_json with one scrubbed line: ``msg``, plus ``error_code``/``status`` when known."""
        if not isinstance(exc, AzureOperationError):
            exc = AzureOperationError(str(exc), code=type(exc).__name__)
        result = dict(extra)
        result.update(exc.to_result())
        if isinstance(exc, MissingSDKError):
            result['exception'] = exc.traceback
        self.fail_json(msg=scrub(exc.message, secrets=self._secrets()), **result)

    @contextlib.contextmanager
    def azure_errors(self, action):
        """Inside the block, an SDK error or AzureOperationError fails the module with one line about ``action``."""
        try:
            with azure_errors(action):
                yield
        except AzureOperationError as exc:
            self.fail(exc)
