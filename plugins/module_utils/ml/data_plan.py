# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for copying data asset versions (uri_file, uri_folder, mltable) between workspaces:
where a version's files live decides between registering the same URI (a mirrored datastore) and
copying the files into the target's default datastore. No SDK, no I/O.

Shapes: a data version ``{name, version, data_type, data_uri, description, tags, properties,
is_archived}``; files ``{path, size, md5}`` as in ``asset_plan``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amlops.bcdr.plugins.module_utils.blob.uri import UriError, parse_asset_uri
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import copy_kinds_plan as kinds
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_plan import DIGEST_PROPERTY, content_digest

NOUN = "data asset"
COPY_PREFIX = "amlops-bcdr/data/"
STATE_PREFIX = "amlops-bcdr/state/data/"
MIRROR = "mirror"   # on a datastore both workspaces have under one name: same URI in the target
COPY = "copy"       # on the source's own default storage: files copied into the target's
# Storage URIs Azure ML accepts as a data path that name no workspace: registered as they are.
STORAGE_SCHEMES = ("wasbs", "wasb", "abfss", "abfs", "adl")


def input_errors(params):
    return kinds.input_errors(params, NOUN)


def version_key(name, version):
    return "data:%s:%s" % (name, version)


def copy_path(name, version, digest):
    return "%s%s/%s/%s/" % (COPY_PREFIX, name, version, digest)


def placement(data_uri):
    """-> (MIRROR or COPY, where): ``where`` is parse_asset_uri's dict. A path on one of the
    workspace's own default datastores is copied; one on any other datastore is mirrored (the
    datastore is registered in both under the same name); a plain URL or a wasbs/abfss/adl URI
    (storage outside the workspaces) is registered as it is (the module copies a blob URL on the
    source's own default storage account instead). Raises UriError for anything else."""
    scheme = (data_uri or "").strip().split("://", 1)[0].lower() if "://" in (data_uri or "") else ""
    if scheme in STORAGE_SCHEMES:  # wasbs://container@account..., abfss://...: storage outside the workspaces
        return MIRROR, dict(kind="url", url=data_uri.strip())
    where = parse_asset_uri(data_uri)
    if where["kind"] == "datastore" and where["datastore"].lower() in kinds.DEFAULT_DATASTORES:
        return COPY, where
    return MIRROR, where


def mirrored_uri(where):
    """The URI registered in the target for a mirrored version: the datastore-relative short form
    (the long form would name the source workspace)."""
    if where["kind"] == "url":
        return where["url"]
    return "azureml://datastores/%s/paths/%s" % (where["datastore"], where["path"])


def _same_location(uri_a, uri_b):
    try:
        a, b = parse_asset_uri(uri_a), parse_asset_uri(uri_b)
    except UriError:
        return False
    if a["kind"] != b["kind"]:
        return False
    if a["kind"] == "url":
        return a["url"].rstrip("/") == b["url"].rstrip("/")
    return a["datastore"].lower() == b["datastore"].lower() and a["path"].strip("/") == b["path"].strip("/")


def sync_digest(target):
    """The digest the sync stamped on a target version still pointing at the sync's copy, else None."""
    if target is None:
        return None
    digest = (target.get("properties") or {}).get(DIGEST_PROPERTY)
    if digest and copy_path(target["name"], target["version"], digest) in (target.get("data_uri") or ""):
        return digest
    return None


def plan_version(source, target=None, mode=MIRROR, where=None, source_files=None, target_files=None,
                 mirror_problem=None):
    """copy / update / skip / conflict for one data version.

    ``mode``/``where``: from ``placement``. For COPY, ``source_files`` lists the source's files
    and ``target_files`` the target version's (only when it is not the sync's copy).
    ``mirror_problem``: why a mirrored version cannot be registered (its datastore missing in the
    target, or pointing elsewhere); the copy item then fails alone and registers nothing.
    """
    name, version = source["name"], str(source["version"])
    item = dict(key=version_key(name, version), name=name, version=version, mode=mode,
                data_type=source.get("data_type"))
    if mode == MIRROR:
        uri = mirrored_uri(where)
        item.update(target_uri=uri)
        if target is None:
            reason = "not in the target: registered with the same URI (%s)" % (
                "datastore '%s'" % where["datastore"] if where["kind"] == "datastore" else "a storage URL")
            if mirror_problem:
                reason = "not in the target; %s (the copy will fail)" % mirror_problem
                item["problem"] = mirror_problem
            return dict(item, action="copy", in_target=False, reason=reason)
        if _same_location(target.get("data_uri"), uri) and target.get("data_type") == source.get("data_type"):
            return kinds.same_or_update(item, source, target, "same URI already registered in the target")
        return dict(item, action="conflict", in_target=True,
                    reason="registered in the target with another path or type (same name and version)")
    files = source_files or []
    digest = content_digest(files)
    item.update(digest=digest, files=len(files), bytes=sum(int(f["size"]) for f in files))
    if target is None:
        reason = "not in the target: files copied into its default datastore"
        if not files:
            reason = "not in the target; the source path has no files (the copy will fail)"
        return dict(item, action="copy", path=copy_path(name, version, digest), in_target=False, reason=reason)
    theirs = sync_digest(target)
    if theirs:
        if theirs != digest:
            return dict(item, action="conflict", in_target=True,
                        reason="registered in the target with other content (digest %s, source %s)" % (theirs, digest))
        return kinds.same_or_update(item, source, target, "already copied")
    if files and kinds.files_equal(files, target_files):
        return kinds.same_or_update(item, source, target, "same files already registered in the target")
    return dict(item, action="conflict", in_target=True,
                reason="registered in the target with other files (same name and version)")
