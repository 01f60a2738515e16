# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One error type for the collection, SDK errors turned into it, and secrets scrubbed from text.

Every message that leaves a module goes through ``scrub()``: client secrets, storage account
keys, SAS signatures, passwords and bearer tokens never reach output, logs or job events.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

try:
    from azure.core import exceptions as _azure_exceptions
except ImportError:  # the SDK is optional at import time; modules report missing_required_lib
    _azure_exceptions = None

REDACTED = '***'

# names whose value (after '=' in a query string / connection string, or after ':' in JSON)
# is a secret
_SECRET_NAMES = (
    r'sig|signature|accountkey|account_key|sharedaccesskey|sharedaccesssignature|'
    r'client_secret|clientsecret|secret|password|passwd|pwd|access_token|refresh_token|'
    r'client_assertion|assertion|sas_token|sastoken|primarykey|secondarykey|primary_key|secondary_key'
)
_PATTERNS = (
    # key=value in URLs, form bodies and connection strings: ?sig=..., AccountKey=...;
    (re.compile(r'(?i)(\b(?:%s))=([^&\s;"\'<>,]+)' % _SECRET_NAMES), r'\1=' + REDACTED),
    # "key": "value" and 'key': 'value' (JSON bodies, Python reprs)
    (re.compile(r'(?i)(["\'](?:%s)["\']\s*:\s*["\'])([^"\']*)(["\'])' % _SECRET_NAMES), r'\1' + REDACTED + r'\3'),
    # Authorization headers and bare bearer tokens
    (re.compile(r'(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}'), r'\1 ' + REDACTED),
    (re.compile(r'(?i)\b(SharedKey(?:Lite)?)\s+[^\s:"\']+:[A-Za-z0-9+/=]+'), r'\1 ' + REDACTED),
    # JWTs (access tokens, client assertions) wherever they appear
    (re.compile(r'\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*'), REDACTED),
    # storage account keys: 64 random bytes in base64 = 86 characters + '=='
    (re.compile(r'(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])'), REDACTED),
)


def scrub(text, secrets=()):
    """Return ``text`` with secrets replaced by ``***``.

    ``secrets`` are explicit values (a client secret from the module parameters, a key just
    read from Azure) removed wherever they appear, also in URL-encoded form.
    """
    if text is None:
        return text
    if not isinstance(text, str):
        text = str(text)
    for value in secrets or ():
        if not value or not isinstance(value, str) or len(value) < 4:
            continue
        text = text.replace(value, REDACTED)
        try:
            from urllib.parse import quote
            encoded = quote(value, safe='')
            if encoded != value:
                text = text.replace(encoded, REDACTED)
        except ImportError:  # pragma: no cover - Python 2
            pass
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def one_line(text, limit=1000):
    """Collapse whitespace and newlines so a message is a single line; cap its length."""
    text = ' '.join(str(text).split())
    if len(text) > limit:
        text = text[:limit - 3] + '...'
    return text


class AzureOperationError(Exception):
    """An Azure call (or the input for it) failed. ``message`` is one line, already scrubbed.

    ``code`` is Azure's error code (``ResourceNotFound``, ``AuthorizationFailed``...) or one of
    the collection's (``InvalidResourceId``, ``Timeout``...); ``status`` the HTTP status if any.
    """

    def __init__(self, message, code=None, status=None):
        self.message = one_line(scrub(message))
        self.code = code
        self.status = status
        super(AzureOperationError, self).__init__(self.message)

    def __str__(self):
        return self.message

    def to_result(self):
        """The extra keys a module puts next to ``msg`` in ``fail_json``."""
        result = {}
        if self.code is not None:
            result['error_code'] = self.code
        if self.status is not None:
            result['status'] = self.status
        return result


def _error_detail(exc):
    """(code, message) from an azure-core HttpResponseError: exc.error first, then the body."""
    error = getattr(exc, 'error', None)
    code = getattr(error, 'code', None)
    message = getattr(error, 'message', None)
    if code is None or message is None:
        response = getattr(exc, 'response', None)
        try:
            body = response.json() if response is not None else None
        except Exception:  # not JSON, or no body
            body = None
        if isinstance(body, dict):
            inner = body.get('error') if isinstance(body.get('error'), dict) else body
            code = code or inner.get('code')
            message = message or inner.get('message')
    if not message:
        message = getattr(exc, 'reason', None) or getattr(exc, 'message', None) or str(exc)
        # azure-core appends "Code: ...\nMessage: ..." lines; the first line is the summary
        message = str(message).strip().splitlines()[0] if str(message).strip() else ''
    return code, message


def _request_region(exc):
    """The region a request that got no answer was for: the ``location`` of its JSON body, which the
    transport's exception keeps (requests' ``ConnectionError.request``); None when unknown."""
    for candidate in (getattr(exc, 'inner_exception', None), exc):
        body = getattr(getattr(candidate, 'request', None), 'body', None)
        if isinstance(body, bytes):
            body = body.decode('utf-8', 'replace')
        if isinstance(body, str) and '"location"' in body:
            try:
                location = json.loads(body).get('location')
            except (ValueError, AttributeError):
                continue
            if isinstance(location, str) and location:
                return location.replace(' ', '').lower()
    return None


def from_sdk_error(exc, action):
    """Turn an azure-core exception into an AzureOperationError saying what failed.

    ``action`` is what the module was doing, e.g. ``"reading workspace ws1"``.
    """
    if isinstance(exc, AzureOperationError):
        return exc
    status = getattr(exc, 'status_code', None)
    if _azure_exceptions is not None:
        if isinstance(exc, _azure_exceptions.ClientAuthenticationError) and status is None:
            # raised by the credential itself (token request failed), not by a 401 response
            return AzureOperationError('authentication failed while %s: %s' % (action, one_line(exc.message if hasattr(exc, 'message') else exc)),
                                       code='AuthenticationFailed')
        # No answer at all: name the region the request was for, a regional outage being a likely cause.
        region = _request_region(exc)
        where = ' in region %s' % region if region else ''
        if isinstance(exc, _azure_exceptions.ServiceRequestError):
            return AzureOperationError('%s failed: could not reach Azure%s: %s' % (action, where, one_line(exc)),
                                       code='ServiceRequestError')
        if isinstance(exc, _azure_exceptions.ServiceResponseError):
            return AzureOperationError('%s failed: no valid response from Azure%s: %s' % (action, where, one_line(exc)),
                                       code='ServiceResponseError')
    if hasattr(exc, 'status_code') or hasattr(exc, 'error'):
        code, message = _error_detail(exc)
        if code is None and _azure_exceptions is not None and isinstance(exc, _azure_exceptions.ResourceNotFoundError):
            code = 'NotFound'
        text = '%s failed' % action
        if status is not None:
            text += ' (HTTP %s)' % status
        if code:
            text += ': %s' % code
        if message:
            text += ': %s' % message
        return AzureOperationError(text, code=code, status=status)
    return AzureOperationError('%s failed: %s' % (action, exc), code=type(exc).__name__)


def is_not_found(exc):
    """True for a 404 from Azure (azure-core ResourceNotFoundError or our wrapped form)."""
    return getattr(exc, 'status_code', None) == 404 or getattr(exc, 'status', None) == 404
