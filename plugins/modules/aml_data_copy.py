#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_data_copy
short_description: Copy data asset versions from one Azure Machine Learning workspace to another
version_added: 0.1.0
description:
  - Copies data asset versions (C(uri_file), C(uri_folder), C(mltable)) from a source workspace to a target
    workspace.
  - A version whose path is on a datastore the two workspaces share under one name (the pair's geo-redundant
    training storage, mirrored by M(amlops.bcdr.aml_datastore_copy)) is registered in the target with the same
    datastore-relative URI (C(azureml://datastores/<name>/paths/...)); nothing is copied. A version on another
    storage URL (C(https://), C(wasbs://), C(abfss://), C(adl://)) is registered with the same URL.
  - A version on one of the source workspace's own datastores, or on a blob URL of its default storage account, (C(workspaceblobstore), for example uploaded by
    Azure ML's client from a local folder) is copied storage-to-storage into the target's default datastore
    under C(amlops-bcdr/data/<name>/<version>/<digest>/), each file verified (size and MD5), and only then
    registered, with the source content digest (C(amlops.bcdr.source_digest)) and URI (C(amlops.bcdr.source_uri))
    in its properties.
  - A version on a datastore the target does not have (or has on other storage) fails alone; nothing is
    registered for it.
  - Incremental as M(amlops.bcdr.aml_model_copy) - containers compared first from the paged lists against a record
    in the target's default datastore (C(amlops-bcdr/state/data/)), versions listed only where they differ.
  - Same name and version in the target with another path, type or content is a conflict, reported and left
    alone; conflicts do not fail the module. Versions only in the target are left alone.
  - Crash-safe. A version is registered only after its files are copied and verified, at a deterministic path;
    copies under C(amlops-bcdr/data/) that no registered version uses are deleted by a later run.
  - Supports check mode (the exact plan) and C(--diff).
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01 and Microsoft.Storage 2023-01-01; both
    workspaces in the subscription the module signs in to.
options:
  names:
    description:
      - Data assets to copy, by name or shell-style pattern. Default is every data asset.
      - A name or pattern that matches no data asset in the source fails the module before any change.
    type: list
    elements: str
  full_scan:
    description: List the versions of every selected data asset, whatever the record says (a periodic deep check).
    type: bool
    default: false
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_requests
  - amlops.bcdr.azure_copy
  - amlops.bcdr.azure_copy.VERSIONED
  - amlops.bcdr.azure_copy.VERSIONS
  - amlops.bcdr.azure_copy.FILES
  - amlops.bcdr.azure_resource.CHECK_AND_DIFF
notes:
  - The module reads the storage account keys (listKeys) to sign the copy; they are never returned or logged.
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Data assets of the primary in the secondary (run aml_datastore_copy first)
  amlops.bcdr.aml_data_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
  register: data_sync
"""

RETURN = r"""
plan:
  description: Every item of the plan, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "data:training:1", "action": "copy", "reason": "not in the target: registered with the same URI"}]
copied:
  description: Versions registered in the target (to be, in check mode). C(mode) is C(mirror) (same URI) or C(copy).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "data:upload:1", "name": "upload", "version": "1", "mode": "copy", "data_type": "uri_folder",
            "files": 2, "bytes": 16, "digest": "0c1f9e3d2a7b4c5d6e7f8a9b0c1d2e3f",
            "path": "amlops-bcdr/data/upload/1/0c1f9e3d2a7b4c5d6e7f8a9b0c1d2e3f/",
            "target_uri": "azureml://subscriptions/xxx/resourcegroups/rg/workspaces/ws/datastores/workspaceblobstore/paths/...",
            "bytes_copied": 16, "seconds": 0.5}]
updated:
  description: Versions whose description, tags or archive flag changed in the source.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "data:training:1", "action": "update", "changes": {"tags": [{}, {"team": "risk"}]}}]
unchanged:
  description: Versions already in the target.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "data:training:1", "action": "skip", "reason": "same URI already registered in the target"}]
conflicts:
  description: Versions registered in the target with another path, type or content; left alone.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "data:training:2", "action": "conflict",
            "reason": "registered in the target with another path or type (same name and version)"}]
deleted:
  description: Orphaned copies removed from the sync's folder (C(amlops-bcdr/data/)) in the target's default datastore.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "orphan:amlops-bcdr/data/upload/2/9f0e.../", "action": "delete", "files": 2, "bytes": 1024}]
failed_items:
  description: Items that failed, each with C(error); the other items still ran.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "data:raw:1", "action": "copy", "error": "data:raw:1: datastore 'raw' is not in the target ..."}]
data:
  description: Every item, whatever its outcome.
  returned: always
  type: list
  elements: dict
  sample: []
summary:
  description: Number of items per action, and of failed items.
  returned: always
  type: dict
  sample: {"copy": 2, "skip": 5, "failed": 0}
containers:
  description: How many data assets were selected, and how many needed their versions listed.
  returned: always
  type: dict
  sample: {"selected": 3, "listed": 1, "in_step": 2}
seconds:
  description: Time the module took.
  returned: always
  type: float
  sample: 3.1
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.blob import copy_service as blobs
from ansible_collections.amlops.bcdr.plugins.module_utils.blob.uri import UriError, datastore_uri
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ItemError, run_collection
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_kinds_service as kinds
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_service
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import copy_kinds_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import data_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_kinds_sync import KindSync, run_with_containers
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_sync import copy_argument_spec


class DataSync(KindSync):
    def __init__(self, module):
        super(DataSync, self).__init__(module, plan.STATE_PREFIX)
        self.details = {}
        self.source_store = None  # the source's default datastore, read when versions are listed

    def _mirror_problem(self, clients, where):
        """Why a version on datastore ``where`` cannot be registered in the target as it is, or None."""
        if where["kind"] != "datastore":
            return None
        name = where["datastore"]
        theirs = self.datastore(clients, self.target["group"], self.target["workspace"], name)
        if theirs is None:
            return "datastore '%s' is not in the target (aml_datastore_copy mirrors it)" % name
        ours = self.datastore(clients, where["resource_group"] or self.source["group"],
                              where["workspace"] or self.source["workspace"], name)
        if ours is None:
            return "datastore '%s' does not exist in the source" % name
        here = (ours.get("account_name"), ours.get("container_name"))
        if here != (theirs.get("account_name"), theirs.get("container_name")):
            return "datastore '%s' points at other storage in the target" % name
        return None

    def _on_source_default(self, url):
        """Whether a blob URL is on the storage account of the source's default datastore."""
        if not url.lower().startswith(("http://", "https://")) or not self.source_store:
            return False
        try:
            return self.split_url(url)[0] == self.source_store.get("account_name")
        except UriError:
            return False

    def plan_one(self, clients, source, target):
        key = plan.version_key(source["name"], source["version"])
        try:
            mode, where = plan.placement(source["data_uri"])
        except UriError as exc:
            item = plan.plan_version(source, target, plan.MIRROR, dict(kind="url", url=source["data_uri"]),
                                     mirror_problem=str(exc))
            self.details[key] = dict(version=source, problem=str(exc))
            return item
        detail = dict(version=source)
        if mode == plan.MIRROR and where["kind"] == "url" and self._on_source_default(where["url"]):
            mode = plan.COPY  # the source region's own storage: the target must not depend on it
        if mode == plan.MIRROR:
            problem = self._mirror_problem(clients, where) if target is None else None
            detail["problem"] = problem
            item = plan.plan_version(source, target, mode, where, mirror_problem=problem)
        else:
            files, target_files = [], None
            try:
                detail["source"], files = self.files_of(clients, self.source, source["data_uri"])
                detail["files"] = files
            except (UriError, blobs.CopyError) as exc:
                detail["problem"] = str(exc)
            if target is not None and plan.sync_digest(target) is None:
                try:
                    target_files = self.files_of(clients, self.target, target["data_uri"])[1]
                except (UriError, blobs.CopyError):
                    target_files = None  # unreadable: compared as different (a conflict)
            item = plan.plan_version(source, target, mode, where, files, target_files)
            if detail.get("problem") and item["action"] == "copy":
                item["reason"] += "; the source cannot be read: %s" % detail["problem"]
        self.details[key] = detail
        return item

    def plan_items(self, clients):
        p = self.module.params
        self.setup(clients)
        selected, target_containers, to_list, in_step, state = self.containers(
            clients, kinds.list_data_containers,
            lambda found: copy_kinds_plan.select_containers(found, p.get("names"), plan.NOUN))
        latest = dict((c["name"], c.get("latest_version")) for c in selected)
        if to_list:
            with self.on("source"):
                self.source_store = asset_service.default_datastore(clients, self.source["group"],
                                                                    self.source["workspace"])
        items, used, target_versions = [], set(), {}
        for name in to_list:
            with self.on("source"):
                sources = kinds.list_data_versions(clients, self.source["group"], self.source["workspace"], name)
            with self.on("target"):
                targets = dict((str(v["version"]), v) for v in
                               kinds.list_data_versions(clients, self.target["group"], self.target["workspace"], name))
            target_versions[name] = list(targets.values())
            used.update((name, ver, v["properties"][asset_plan.DIGEST_PROPERTY]) for ver, v in targets.items()
                        if (v.get("properties") or {}).get(asset_plan.DIGEST_PROPERTY))
            for source in sorted(sources, key=lambda v: copy_kinds_plan.version_order(v["version"])):
                if asset_plan.version_selected(source, latest[name], p.get("versions"), p.get("tags")):
                    items.append(self.plan_one(clients, source, targets.get(str(source["version"]))))
        if to_list:
            used.update((i["name"], i["version"], i["digest"]) for i in items if i.get("digest"))
            copies = blobs.list_blobs(self.access, self.target_store["account_name"],
                                      self.target_store["container_name"], plan.COPY_PREFIX)
            for orphan in copy_kinds_plan.orphan_items(copies, plan.COPY_PREFIX, used, set(to_list)):
                self.details[orphan["key"]] = dict(blobs=orphan.pop("blobs"))
                items.append(orphan)
        self.record(state, selected, target_containers, items, target_versions, kinds.list_data_versions)
        return items

    def apply_item(self, clients, item):
        detail = self.details.get(item["key"]) or {}
        if item["action"] == "delete":
            blobs.delete_blobs(self.access, self.target_store["account_name"], self.target_store["container_name"],
                               detail.get("blobs") or [])
            return {}
        if item["action"] == "update":
            current = kinds.get_data_version(clients, self.target["group"], self.target["workspace"],
                                             item["name"], item["version"])
            if current is None:
                raise ItemError("%s disappeared from the target during the run" % item["key"])
            current.update((f, after) for f, (_before, after) in item["changes"].items())
            self.written[item["key"]] = kinds.put_data_version(clients, self.target["group"], self.target["workspace"],
                                                               current)
            return {}
        if detail.get("problem"):
            raise ItemError("%s: %s; nothing was registered" % (item["key"], detail["problem"]))
        data = dict(detail["version"])
        out = {}
        if item["mode"] == plan.COPY:
            files = detail.get("files") or []
            if not files:
                raise ItemError("%s: the source path has no files (%s); nothing was copied or registered"
                                % (item["key"], data["data_uri"]))
            source = detail["source"]
            out["bytes_copied"] = self.copy_files(source, files, item["path"])
            relative = item["path"] + (files[0]["path"] if source["shape"] == "file" else "")
            item["target_uri"] = datastore_uri(self.subscription, self.target["group"], self.target["workspace"],
                                               self.target_store["name"], relative)
            data["properties"] = dict(data.get("properties") or {})
            data["properties"][asset_plan.DIGEST_PROPERTY] = item["digest"]
            data["properties"][asset_plan.SOURCE_URI_PROPERTY] = detail["version"]["data_uri"]
        data["data_uri"] = item["target_uri"]
        self.written[item["key"]] = kinds.put_data_version(clients, self.target["group"], self.target["workspace"], data)
        out["target_uri"] = item["target_uri"]
        return out


def main():
    module = AzureModule(argument_spec=copy_argument_spec(), supports_check_mode=True)
    sync = DataSync(module)
    run_with_containers(module, sync, run_collection, sync.plan_items, sync.apply_item,
                        (plan.input_errors,), "data")


if __name__ == "__main__":
    main()
