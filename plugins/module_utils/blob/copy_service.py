# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Blob data for the asset sync: the only caller of azure-storage-blob (and of storage listKeys).

Files move storage-to-storage (``start_copy_from_url`` with a short-lived read-only SAS on the
source blob); no byte of model data passes through the controller. Account keys are read from
ARM (listKeys), kept in memory for the run, and never returned, logged or put in an error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import json
import threading
import time

from ansible_collections.amlops.bcdr.plugins.module_utils.blob.uri import blob_url, split_blob_url
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError, scrub
from ansible_collections.amlops.bcdr.plugins.module_utils.core.ids import parse_resource_id

try:
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import BlobSasPermissions, ContentSettings, generate_blob_sas
except ImportError:  # reported through clients.load_sdk_class('blob') -> missing_required_lib
    ResourceNotFoundError = None
    BlobSasPermissions = ContentSettings = generate_blob_sas = None

SAS_MARGIN = 300  # seconds a SAS outlives the copy's wait (clock skew, the last poll)
POLL_DELAY = 0.5


class CopyError(AzureOperationError):
    """One file or version could not be copied or verified (fails that item alone)."""

    def __init__(self, message):
        super(CopyError, self).__init__(message, code="CopyFailed")


def _md5_text(value):
    if not value:
        return None
    return base64.b64encode(bytes(value)).decode("ascii")


class StorageAccess:
    """Storage accounts of the subscription (name -> endpoint, group) and their keys, per run.

    Thread-safe: the copy workers share one instance. Keys stay inside; ``secrets()`` hands them
    to the module only so that it can scrub them from any text.
    """

    def __init__(self, clients):
        self._clients = clients
        self._lock = threading.RLock()  # service() reads accounts() while holding it
        self._accounts = None
        self._keys = {}
        self._services = {}

    def accounts(self):
        """{name: {id, resource_group, blob}} from one paged list of the subscription's accounts."""
        with self._lock:
            if self._accounts is None:
                found = {}
                for acct in self._clients.storage().storage_accounts.list():
                    endpoints = acct.primary_endpoints
                    found[acct.name] = dict(id=acct.id, resource_group=parse_resource_id(acct.id).resource_group,
                                            blob=getattr(endpoints, "blob", None) if endpoints is not None else None)
                self._accounts = found
            return self._accounts

    def account(self, name):
        found = self.accounts().get(name)
        if found is None or not found.get("blob"):
            raise CopyError("storage account '%s' was not found in the subscription (or has no blob endpoint)" % name)
        return found

    def endpoints(self):
        return dict((n, a["blob"]) for n, a in self.accounts().items() if a.get("blob"))

    def split_url(self, url):
        return split_blob_url(url, self.endpoints())

    def _key(self, name):
        with self._lock:  # held while listKeys runs: the threads that need the key at once make one call
            key = self._keys.get(name)
            if key is None:
                acct = self.account(name)
                result = self._clients.storage().storage_accounts.list_keys(acct["resource_group"], name)
                try:  # azure-mgmt-storage >= 24 models are mappings (``.keys`` is the mapping method)
                    key = result["keys"][0]["value"]
                except TypeError:
                    key = result.keys[0].value
                self._keys[name] = key
            return key

    def secrets(self):
        with self._lock:
            return list(self._keys.values())

    def service(self, name):
        key = self._key(name)
        with self._lock:
            svc = self._services.get(name)
            if svc is None:
                svc = self._clients.blob_service(self.account(name)["blob"], credential=key)
                self._services[name] = svc
            return svc

    def container(self, name, container):
        return self.service(name).get_container_client(container)

    def read_sas_url(self, name, container, blob, seconds):
        """URL of one blob with a read-only SAS valid ``seconds`` (+ margin); for start_copy_from_url only."""
        now = datetime.datetime.now(datetime.timezone.utc)
        sas = generate_blob_sas(account_name=name, container_name=container, blob_name=blob,
                                account_key=self._key(name), permission=BlobSasPermissions(read=True),
                                start=now - datetime.timedelta(minutes=5),
                                expiry=now + datetime.timedelta(seconds=int(seconds) + SAS_MARGIN))
        return blob_url(self.account(name)["blob"], container, blob) + "?" + sas


def list_blobs(access, account, container, prefix):
    """[{name, size, md5}] of the blobs under ``prefix`` (one paged list)."""
    client = access.container(account, container)
    try:
        return [dict(name=b.name, size=int(b.size or 0), md5=_md5_text(b.content_settings.content_md5))
                for b in client.list_blobs(name_starts_with=prefix)]
    except ResourceNotFoundError:
        return []


def list_blobs_bounded(access, account, container, prefix, limit):
    """list_blobs, or None once more than ``limit`` blobs are under ``prefix`` (the caller then lists
    narrower prefixes: a shared listing must not read a whole busy container)."""
    client = access.container(account, container)
    found = []
    try:
        for b in client.list_blobs(name_starts_with=prefix):
            if len(found) >= limit:
                return None
            found.append(dict(name=b.name, size=int(b.size or 0), md5=_md5_text(b.content_settings.content_md5)))
    except ResourceNotFoundError:
        return []
    return found


def version_prefix(path):
    """The listing prefix of a version's path: a folder's path with its '/', a file's path as it is."""
    root = path.strip("/") if path.endswith("/") else path
    return root + "/" if path.endswith("/") and root else root


def version_files(blobs, path):
    """The files of a version whose path is ``path``, from a listing of any prefix of
    ``version_prefix(path)`` (what list_version_files would have read).

    -> (shape, files): shape 'folder' or 'file'; files [{path (relative), size, md5}].
    """
    root = path.strip("/") if path.endswith("/") else path
    prefix = version_prefix(path)
    blobs = [b for b in blobs if b["name"].startswith(prefix)]
    if not path.endswith("/") and root:
        exact = [b for b in blobs if b["name"] == root]
        if exact:
            return "file", [dict(path=root.rsplit("/", 1)[-1], size=exact[0]["size"], md5=exact[0]["md5"])]
    start = len(root) + 1 if root else 0
    files = [dict(path=b["name"][start:], size=b["size"], md5=b["md5"]) for b in blobs
             if not root or b["name"].startswith(root + "/")]
    return "folder", [f for f in files if f["path"]]


def list_version_files(access, account, container, path):
    """The files of a version whose path is ``path`` in the container: a folder (every blob
    under ``path/``) or a single file (the blob named ``path``). One paged list.

    -> (shape, files): shape 'folder' or 'file'; files [{path (relative), size, md5}].
    """
    return version_files(list_blobs(access, account, container, version_prefix(path)), path)


def shared_prefix(paths):
    """The longest folder ('.../') that holds every one of ``paths``' listing prefixes; '' when they
    share only the container's root."""
    prefixes = [version_prefix(p) for p in paths]
    common = prefixes[0]
    for other in prefixes[1:]:
        n = 0
        while n < min(len(common), len(other)) and common[n] == other[n]:
            n += 1
        common = common[:n]
    return common[:common.rfind("/") + 1]


def source_blob_name(path, shape, relative):
    root = path.strip("/")
    if shape == "file":
        return root
    return "%s/%s" % (root, relative) if root else relative


def _copy_status(blob):
    """A listed or read blob's copy status: None when it was never a copy's target (an upload)."""
    copy = getattr(blob, "copy", None)
    return getattr(copy, "status", None) if copy is not None else None


def _verified(blob, size, md5):
    return blob is not None and int(blob.size or 0) == int(size) and (
        not md5 or _md5_text(blob.content_settings.content_md5) == md5)


def copy_files(access, source, target, files, timeout, held=None, clock=time.monotonic, sleep=time.sleep):
    """Copy the files of one version server-side and verify them; -> bytes copied (0 for a file the
    target already held).

    ``source``: {account, container, path, shape}; ``files``: [{path (relative), size, md5}];
    ``target``: {account, container, path} (a folder). One listing of the target folder first (a file
    an interrupted run already copied, same size and MD5, is not copied again), unless ``held`` gives
    what the caller listed there already ({blob name: {size, md5}}, from list_blobs); every other copy
    is started at once; one listing of the folder then shows them all (a copy Azure made on the spot
    is ``success`` there already), and is repeated every POLL_DELAY while any is pending, bounded by
    ``timeout``; every file's size and MD5 (the skipped ones' too) is checked against the source from
    that last listing. A version of N files costs N + 1 storage requests when the copies finish at once
    (N + 2 without ``held``). Raises CopyError (the item fails alone) on a missing source, a
    failed/aborted or timed-out copy, or a mismatch; a rerun after a crash writes the same target blobs
    again.
    """
    client = access.container(target["account"], target["container"])

    def listing():
        try:
            return dict((b.name, b) for b in client.list_blobs(name_starts_with=target["path"], include=["copy"]))
        except ResourceNotFoundError:
            return {}

    if held is None:
        held = dict((name, dict(size=b.size, md5=_md5_text(b.content_settings.content_md5), status=_copy_status(b)))
                    for name, b in listing().items())
    todo = []
    for f in files:
        blob = held.get(target["path"] + f["path"]) or {}
        if f.get("md5") and int(blob.get("size") or -1) == int(f["size"]) and blob.get("md5") == f["md5"] \
                and blob.get("status") in (None, "success"):
            continue  # an earlier (interrupted) run already copied this very file (verified below)
        todo.append(f)
    for f in todo:
        src_name = source_blob_name(source["path"], source["shape"], f["path"])
        url = access.read_sas_url(source["account"], source["container"], src_name, timeout)
        try:
            client.get_blob_client(target["path"] + f["path"]).start_copy_from_url(url)
        except ResourceNotFoundError:
            raise CopyError("source file '%s' is missing from container '%s' of account '%s'"
                            % (src_name, source["container"], source["account"]))
        except Exception as exc:  # the SAS is in the URL: never let it reach a message
            raise CopyError(scrub("copying '%s' failed: %s" % (src_name, exc), secrets=access.secrets()))
    deadline = clock() + timeout
    while True:
        found = listing()
        waiting = []
        for f in files:
            blob = found.get(target["path"] + f["path"])
            if blob is None and f not in todo:
                raise CopyError("'%s' left the target folder during the copy" % (target["path"] + f["path"]))
            status = _copy_status(blob) if blob is not None else "pending"
            if status in ("failed", "aborted"):
                why = scrub(blob.copy.status_description or "", access.secrets())
                raise CopyError("copying '%s' ended %s: %s"
                                % (source_blob_name(source["path"], source["shape"], f["path"]), status, why))
            if status == "pending":
                waiting.append(f)
        if not waiting:
            break
        if clock() >= deadline:
            raise CopyError("copying '%s' did not finish within %ss (wait_timeout)"
                            % (source_blob_name(source["path"], source["shape"], waiting[0]["path"]), timeout))
        sleep(POLL_DELAY)
    for f in files:
        blob = found[target["path"] + f["path"]]
        if not _verified(blob, f["size"], f.get("md5")):
            raise CopyError("the copy of '%s' does not match the source (size %s/%s, MD5 %s/%s)"
                            % (source_blob_name(source["path"], source["shape"], f["path"]), blob.size, f["size"],
                               _md5_text(blob.content_settings.content_md5), f.get("md5")))
    return sum(int(f["size"]) for f in todo)


def delete_blobs(access, account, container, names):
    client = access.container(account, container)
    for name in names:
        try:
            client.delete_blob(name)
        except ResourceNotFoundError:
            pass


def read_json(access, account, container, name):
    """A small JSON document (the sync's record), or None when absent or unreadable."""
    return read_json_with_metadata(access, account, container, name)[0]


def read_json_with_metadata(access, account, container, name):
    """(document, blob metadata) of a small JSON blob; (None, None) when absent or unreadable."""
    try:
        download = access.container(account, container).get_blob_client(name).download_blob()
        data = download.readall()
        return json.loads(data.decode("utf-8")), dict(download.properties.metadata or {})
    except ResourceNotFoundError:
        return None, None
    except ValueError:
        return None, None  # a damaged record only costs a full listing


def write_json(access, account, container, name, document, metadata=None):
    access.container(account, container).get_blob_client(name).upload_blob(
        json.dumps(document, sort_keys=True).encode("utf-8"), overwrite=True, metadata=metadata,
        content_settings=ContentSettings(content_type="application/json"))
