# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where an asset's files are: Azure ML asset URIs and blob URLs, parsed (pure, no I/O).

Never builds a storage host name: blob endpoints come from the storage account's
``primaryEndpoints.blob`` (read through ARM), so sovereign clouds, custom domains and the
emulator's path-style endpoints (``http://127.0.0.1:port/<account>/``) all work the same way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    from urllib.parse import quote, unquote, urlsplit
except ImportError:  # pragma: no cover - Python 2
    from urllib import quote, unquote  # noqa
    from urlparse import urlsplit  # noqa

_LONG_RE = re.compile(r"^azureml://subscriptions/([^/]+)/resource[Gg]roups/([^/]+)/workspaces/([^/]+)/"
                      r"datastores/([^/]+)/paths/(.*)$", re.IGNORECASE)
_SHORT_RE = re.compile(r"^azureml://datastores/([^/]+)/paths/(.*)$", re.IGNORECASE)


class UriError(ValueError):
    """A URI this sync cannot resolve (one line, naming the URI)."""


def parse_asset_uri(uri):
    """``modelUri`` / ``path`` of an asset version ->

    ``{kind: 'datastore', datastore, path, subscription, resource_group, workspace}`` (the last three
    None for the short form: the version's own workspace) or ``{kind: 'url', url}`` for a blob URL.
    """
    text = (uri or "").strip()
    long_form = _LONG_RE.match(text)
    if long_form:
        sub, group, ws, ds, path = long_form.groups()
        return dict(kind="datastore", subscription=sub, resource_group=group, workspace=ws, datastore=ds,
                    path=unquote(path))
    short = _SHORT_RE.match(text)
    if short:
        return dict(kind="datastore", subscription=None, resource_group=None, workspace=None,
                    datastore=short.group(1), path=unquote(short.group(2)))
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        return dict(kind="url", url=text)
    raise UriError("'%s' is not a location this sync can copy from: expected "
                   "azureml://[subscriptions/../resourcegroups/../workspaces/../]datastores/<name>/paths/<path> "
                   "or a blob URL" % uri)


def _norm_endpoint(url):
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return parts.scheme.lower(), parts.netloc.lower(), path


def _virtual_host_alias(scheme, netloc, path, endpoints):
    """``https://<account>.blob.<suffix>/...`` for an account whose ARM endpoint is path-style (Azurite, the
    emulator): azure-ai-ml writes such URLs (a build context's path) from the cloud's storage suffix."""
    if scheme != "https" or ".blob." not in netloc:
        return None
    account = netloc.split(".blob.", 1)[0]
    for name, endpoint in (endpoints or {}).items():
        e_path = _norm_endpoint(endpoint)[2]
        if name.lower() == account and e_path.strip("/").lower() == account:
            return name, "/"
    return None


def split_blob_url(url, endpoints):
    """A blob URL -> (account, container, blob path) using ``endpoints`` {account: blob endpoint}.

    The account is the one whose endpoint the URL starts with (host-style
    ``https://acct.blob.core.windows.net/`` or path-style ``http://127.0.0.1:10000/acct/``).
    """
    bare = url.split("?", 1)[0]
    parts = urlsplit(bare)
    scheme, netloc, path = parts.scheme.lower(), parts.netloc.lower(), parts.path
    best = None
    for account, endpoint in (endpoints or {}).items():
        e_scheme, e_netloc, e_path = _norm_endpoint(endpoint)
        if (e_scheme, e_netloc) == (scheme, netloc) and path.startswith(e_path):
            if best is None or len(e_path) > len(best[1]):
                best = (account, e_path)
    if best is None:
        best = _virtual_host_alias(scheme, netloc, path, endpoints)
    if best is None:
        raise UriError("'%s' is not in a storage account of this subscription" % bare)
    pieces = unquote(path[len(best[1]):]).partition("/")
    container, blob = pieces[0], pieces[2]
    if not container:
        raise UriError("'%s' names no blob container" % bare)
    return best[0], container, blob


def blob_url(endpoint, container, blob):
    """The URL of one blob under an account's blob endpoint (as ARM gives it)."""
    return "%s/%s/%s" % (endpoint.rstrip("/"), container, quote(blob, safe="/~"))


def datastore_uri(subscription, resource_group, workspace, datastore, path):
    """The long azureml:// form, as Azure ML writes it for a registered model's files."""
    return "azureml://subscriptions/%s/resourcegroups/%s/workspaces/%s/datastores/%s/paths/%s" % (
        subscription, resource_group, workspace, datastore, path)
