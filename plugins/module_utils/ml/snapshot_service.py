# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR snapshots (aml_dr_snapshot, aml_dr_snapshot_info): a JSON document per name in a workspace's
default datastore, ``amlops-bcdr/state/snapshots/<name>.json``, its ``taken_at`` in the blob's metadata.

The workspace's own storage, in its own region: the standby's snapshot is readable when the active's
region is down. Blob calls go through ``blob.copy_service`` (read_json/write_json, StorageAccess and its
account keys, which stay there: ``secrets()`` hands them to the module only to scrub them). The pure
part (input checks, the plan) is at the top and imports nothing from the SDK.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.amlops.bcdr.plugins.module_utils.blob import copy_service as blobs
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_service as assets

PREFIX = "amlops-bcdr/state/snapshots/"
TAKEN_AT = "taken_at"  # blob metadata key: when this content was written (not part of the comparison)
MAX_BYTES = 4 * 1024 * 1024  # a snapshot is a small record; this stops a runaway one early
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


# ---------------------------------------------------------------------------------------------
# pure

def blob_name(name):
    return PREFIX + name + ".json"


def name_errors(params):
    """One line when ``name`` is not a snapshot name (it becomes part of a blob path)."""
    name = params.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name) or ".." in name:
        return ["name: '%s' is not a snapshot name (1 to 100 letters, digits, '_', '.', '-', starting with a "
                "letter or digit, no '..')" % (name,)]
    return []


def input_errors(params):
    """One line per bad option of aml_dr_snapshot."""
    errors = name_errors(params)
    content = params.get("content")
    if params.get("state", "present") == "present":
        if content is None:
            errors.append("content: required with state=present (the document to record)")
        elif not isinstance(content, dict):
            errors.append("content: must be a dictionary, got %s" % type(content).__name__)
        else:
            try:
                size = len(json.dumps(content, sort_keys=True).encode("utf-8"))
            except (TypeError, ValueError) as exc:
                errors.append("content: cannot be written as JSON (%s)" % exc)
            else:
                if size > MAX_BYTES:
                    errors.append("content: %d bytes as JSON, more than the %d a snapshot may hold" % (size, MAX_BYTES))
    elif content is not None:
        errors.append("content: not allowed with state=absent")
    return errors


def _key_changes(before, after):
    """{top-level key: added|removed|changed} between two documents."""
    before, after = before or {}, after or {}
    out = {}
    for key in sorted(set(before) | set(after), key=str):
        if key not in before:
            out[key] = "added"
        elif key not in after:
            out[key] = "removed"
        elif before[key] != after[key]:
            out[key] = "changed"
    return out


def plan_snapshot(name, content, current, state, now):
    """-> {action: create|update|delete|none, changes, after} for the runner.

    ``current``: {name, taken_at, content} as read, or None. The content is compared as JSON reads it
    back (what is stored), so a tuple and a list, or an int key and its string, are the same document.
    ``now``: the ``taken_at`` of a write.
    """
    if state == "absent":
        if current is None:
            return dict(action="none", changes={}, after=None)
        return dict(action="delete", changes=_key_changes(current["content"], {}), after=None)
    stored = json.loads(json.dumps(content, sort_keys=True))
    if current is not None and current["content"] == stored:
        return dict(action="none", changes={}, after=dict(current))
    after = dict(name=name, taken_at=now, content=stored)
    return dict(action="create" if current is None else "update",
                changes=_key_changes(current["content"] if current else {}, stored), after=after)


# ---------------------------------------------------------------------------------------------
# calls

class SnapshotStore(object):
    """The snapshots of one workspace, in its default datastore's container."""

    def __init__(self, clients, resource_group, workspace):
        self.clients = clients
        self.group = resource_group
        self.workspace = workspace
        self.access = blobs.StorageAccess(clients)
        self._where = None

    def secrets(self):
        """The account keys read so far (for scrubbing; never returned)."""
        return self.access.secrets()

    def where(self):
        """(account, container) of the workspace's default datastore."""
        if self._where is None:
            store = assets.default_datastore(self.clients, self.group, self.workspace)
            if store is None or not store.get("account_name") or not store.get("container_name"):
                raise AzureOperationError("workspace '%s' has no default blob datastore to keep the snapshot in"
                                          % self.workspace, code="NoDefaultDatastore")
            self._where = (store["account_name"], store["container_name"])
        return self._where

    def location(self, name):
        account, container = self.where()
        return dict(account=account, container=container, blob=blob_name(name))

    def read(self, name):
        """{name, taken_at, content}, or None when there is none (or it cannot be read as JSON)."""
        account, container = self.where()
        content, metadata = blobs.read_json_with_metadata(self.access, account, container, blob_name(name))
        if not isinstance(content, dict):
            return None
        return dict(name=name, taken_at=(metadata or {}).get(TAKEN_AT), content=content)

    def write(self, name, content, taken_at):
        account, container = self.where()
        blobs.write_json(self.access, account, container, blob_name(name), content, metadata={TAKEN_AT: taken_at})
        return dict(name=name, taken_at=taken_at, content=content)

    def delete(self, name):
        account, container = self.where()
        blobs.delete_blobs(self.access, account, container, [blob_name(name)])
