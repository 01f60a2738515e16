#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_model_copy
short_description: Copy registered model versions from one Azure Machine Learning workspace to another
version_added: 0.1.0
description:
  - Copies model versions (their files and their registration) from a source workspace to a target
    workspace, for example from the primary region's workspace to the secondary's. Azure ML does not
    replicate models between workspaces; this module is the sync the disaster-recovery design needs.
  - Files move storage-to-storage (server-side copy with a short-lived read-only SAS on the source blob);
    no model data passes through the machine that runs Ansible.
  - The files go to the target workspace's default datastore under
    C(amlops-bcdr/models/<name>/<version>/<digest>/), and the version is registered in the target only
    after every file is copied and its size and MD5 are verified, with the same name, version,
    description, tags, properties, flavors, model type, stage and archive flag. Its properties also
    record the source content digest (C(amlops.bcdr.source_digest)) and source URI
    (C(amlops.bcdr.source_uri)).
  - Incremental. Model containers are compared from the two workspaces' paged container lists against a
    small record the module keeps in the target's default datastore
    (C(amlops-bcdr/state/models/)); versions and blobs are listed only for containers that changed since
    the two were last found in step. A sync with nothing to do costs a few list calls.
  - Crash-safe. A run killed at any point and run again writes the same blobs again and registers what is
    missing; copies that no registered version uses (an interrupted or superseded copy) are deleted from
    the sync's folder by a later run.
  - A target version with the same name and version but different content is a conflict. It is reported
    in RV(conflicts) and left alone; conflicts do not fail the module.
  - Versions only in the target (registered there during an outage) are left alone.
  - Supports check mode (returns the exact plan) and C(--diff) (the model versions in the target before
    and after).
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01 and Microsoft.Storage 2023-01-01; both
    workspaces in the subscription the module signs in to.
options:
  source_workspace:
    description: Name of the workspace to copy from.
    type: str
    required: true
  source_resource_group:
    description: Resource group of the source workspace.
    type: str
    required: true
  target_workspace:
    description: Name of the workspace to copy to. Must differ from the source workspace.
    type: str
    required: true
  target_resource_group:
    description: Resource group of the target workspace.
    type: str
    required: true
  names:
    description:
      - Models to copy, by name or shell-style pattern (C(fraud-*)). Default is every model.
      - A name or pattern that matches no model in the source fails the module before any change.
    type: list
    elements: str
  versions:
    description:
      - Versions to copy, each a version (C(3), C(1.0.2)), C(latest), or a comparison with a whole number
        (C(>=3), C(<10)). A version is copied when it matches any of them. Default is every version.
    type: list
    elements: str
  tags:
    description: Copy only versions that carry all these tags with these values.
    type: dict
  parallelism:
    description: How many versions are copied at the same time (1 to 32).
    type: int
    default: 4
  wait_timeout:
    description: How long to wait, in seconds, for the server-side copy of one file.
    type: int
    default: 900
  full_scan:
    description:
      - List the versions of every selected model, whatever the record of models found in step says.
      - For a periodic deep check (for example weekly); it costs a version list per model. The record relies on
        Azure ML stamping a model's container when one of its versions changes.
    type: bool
    default: false
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
notes:
  - The module reads the storage account keys of both workspaces' storage (listKeys) to sign the copy;
    they are never returned or logged.
  - The target's default datastore is the one Azure ML marks as default, else the one named
    C(workspaceblobstore).
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Copy every model from the primary workspace to the secondary
  amlops.bcdr.aml_model_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
  register: model_sync

- name: Stop if the two workspaces disagree about a version
  ansible.builtin.assert:
    that: model_sync.conflicts | length == 0
    fail_msg: "{{ model_sync.conflicts | map(attribute='key') | list }}"

- name: Only the latest version of the fraud models tagged for production, 8 at a time
  amlops.bcdr.aml_model_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
    names: ["fraud-*"]
    versions: [latest]
    tags:
      stage: production
    parallelism: 8
"""

RETURN = r"""
plan:
  description: Every item of the plan, in order (what check mode predicts and a real run does).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "model:fraud:3", "action": "copy", "reason": "not in the target"}]
copied:
  description: Versions copied and registered in the target (to be copied, in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "model:fraud:3", "name": "fraud", "version": "3", "action": "copy", "files": 4,
            "bytes": 52311, "digest": "0c1f9e3d2a7b4c5d6e7f8a9b0c1d2e3f",
            "path": "amlops-bcdr/models/fraud/3/0c1f9e3d2a7b4c5d6e7f8a9b0c1d2e3f/",
            "target_uri": "azureml://subscriptions/xxx/resourcegroups/rg-fraud-westus/workspaces/mlw-fraud-westus/datastores/\
                           workspaceblobstore/paths/amlops-bcdr/models/fraud/3/0c1f9e3d2a7b4c5d6e7f8a9b0c1d2e3f/",
            "bytes_copied": 52311, "seconds": 1.8, "reason": "not in the target"}]
updated:
  description: Versions copied earlier whose description, tags, stage or archive flag changed in the source.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "model:fraud:2", "action": "update", "changes": {"is_archived": [false, true]}}]
skipped:
  description: Versions already in the target with the same content (listed only for models that changed).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "model:fraud:1", "action": "skip", "reason": "already copied"}]
conflicts:
  description: Versions registered in the target with the same name and version but other content; left alone.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "model:fraud:4", "action": "conflict",
            "reason": "registered in the target with other files (same name and version)"}]
deleted:
  description: Orphaned copies removed from the sync's folder in the target's default datastore.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "orphan:amlops-bcdr/models/fraud/5/9f0e.../", "action": "delete", "files": 2, "bytes": 1024}]
failed:
  description: Items that failed, each with C(error); the other items still ran.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "model:fraud:6", "action": "copy", "error": "source file 'model/a.bin' is missing ..."}]
models:
  description: Every item, whatever its outcome.
  returned: always
  type: list
  elements: dict
  sample: []
summary:
  description: Number of items per action, and of failed items.
  returned: always
  type: dict
  sample: {"copy": 2, "skip": 5, "conflict": 1, "failed": 0}
containers:
  description: How many models were selected, and how many of them needed their versions listed.
  returned: always
  type: dict
  sample: {"selected": 12, "listed": 1, "in_step": 11}
seconds:
  description: Time the module took.
  returned: always
  type: float
  sample: 12.4
"""

import hashlib
import json
import threading

from ansible_collections.amlops.bcdr.plugins.module_utils.blob import copy_service as blobs
from ansible_collections.amlops.bcdr.plugins.module_utils.blob.uri import UriError, datastore_uri, parse_asset_uri
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ItemError, run_collection
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_service as assets


def workspace_id(subscription, group, workspace):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s"
            % (subscription, group, workspace)).lower()


class ModelSync:
    """The module's I/O around asset_plan: reads for the plan, then one item at a time."""

    def __init__(self, module):
        self.module = module
        p = module.params
        self.source = dict(group=p["source_resource_group"], workspace=p["source_workspace"])
        self.target = dict(group=p["target_resource_group"], workspace=p["target_workspace"])
        self.timeout = p["wait_timeout"]
        self.access = None
        self.target_store = None
        self.details = {}  # item key -> what apply needs (source location, files, version)
        self.stats = {}
        self._datastores = {}
        self._lock = threading.Lock()

    # ---- reads --------------------------------------------------------------------------
    def _datastore(self, clients, group, workspace, name):
        key = (group.lower(), workspace.lower(), name.lower())
        if key not in self._datastores:
            found = assets.get_datastore(clients, group, workspace, name)
            if found is None:
                raise UriError("datastore '%s' does not exist in workspace '%s'" % (name, workspace))
            self._datastores[key] = found
        return self._datastores[key]

    def locate(self, clients, side, uri):
        """A version's modelUri -> {account, container, path} in one of the subscription's accounts."""
        where = parse_asset_uri(uri)
        if where["kind"] == "url":
            account, container, path = self.access.split_url(where["url"])
            return dict(account=account, container=container, path=path)
        group = where["resource_group"] or side["group"]
        workspace = where["workspace"] or side["workspace"]
        store = self._datastore(clients, group, workspace, where["datastore"])
        if not store.get("account_name") or not store.get("container_name"):
            raise UriError("datastore '%s' is not a blob container" % where["datastore"])
        return dict(account=store["account_name"], container=store["container_name"], path=where["path"])

    def files_of(self, clients, side, version):
        """(location with its shape, files) of a version's path; raises UriError/CopyError."""
        loc = self.locate(clients, side, version["model_uri"])
        shape, files = blobs.list_version_files(self.access, loc["account"], loc["container"], loc["path"])
        return dict(loc, shape=shape), files

    def state_blob(self, subscription):
        p = self.module.params
        scope = json.dumps([workspace_id(subscription, self.source["group"], self.source["workspace"]),
                            sorted(p.get("versions") or []), sorted((p.get("tags") or {}).items())])
        return plan.STATE_PREFIX + hashlib.sha256(scope.encode("utf-8")).hexdigest()[:24] + ".json"

    def plan_items(self, clients):
        p = self.module.params
        subscription = self.module.auth.subscription_id
        self.subscription = subscription
        self.access = blobs.StorageAccess(clients)
        store = assets.default_datastore(clients, self.target["group"], self.target["workspace"])
        if store is None or not store.get("account_name") or not store.get("container_name"):
            raise plan.PlanError("target_workspace: '%s' has no default blob datastore to copy into"
                                 % self.target["workspace"])
        self.target_store = store
        t_account, t_container = store["account_name"], store["container_name"]

        source_containers = assets.list_model_containers(clients, self.source["group"], self.source["workspace"])
        selected = plan.select_containers(source_containers, p.get("names"))
        target_containers = assets.list_model_containers(clients, self.target["group"], self.target["workspace"])
        state_name = self.state_blob(subscription)
        state = blobs.read_json(self.access, t_account, t_container, state_name) or {}
        record = {} if p.get("full_scan") else (state.get("containers") or {})
        to_list, in_step = plan.containers_to_list(selected, target_containers, record)
        self.stats = dict(selected=len(selected), listed=len(to_list), in_step=len(in_step))

        source_versions, target_versions, source_files, target_files = {}, {}, {}, {}
        problems = {}
        for name in to_list:
            source_versions[name] = assets.list_model_versions(clients, self.source["group"], self.source["workspace"], name)
            target_versions[name] = assets.list_model_versions(clients, self.target["group"], self.target["workspace"], name)
            targets = dict((str(v["version"]), v) for v in target_versions[name])
            latest = [c for c in selected if c["name"] == name][0].get("latest_version")
            for version in source_versions[name]:
                if not plan.version_selected(version, latest, p.get("versions"), p.get("tags")):
                    continue
                key = (name, str(version["version"]))
                target = targets.get(key[1])
                detail = dict(version=version)
                if plan.needs_source_files(version, target):
                    try:
                        detail["source"], source_files[key] = self.files_of(clients, self.source, version)
                        detail["files"] = source_files[key]
                    except (UriError, blobs.CopyError) as exc:
                        problems[key] = str(exc)
                        source_files[key] = []
                if plan.needs_target_files(target):
                    try:
                        target_files[key] = self.files_of(clients, self.target, target)[1]
                    except (UriError, blobs.CopyError):
                        target_files[key] = None  # unreadable: compared as different (a conflict)
                self.details[plan.version_key(*key)] = detail

        items = plan.plan_models(selected, in_step, source_versions, source_files, target_versions, target_files,
                                 p.get("versions"), p.get("tags"))
        for item in items:
            problem = problems.get((item["name"], item["version"]))
            if problem:
                item["reason"] = "%s; the source cannot be read: %s" % (item["reason"], problem)
                self.details[item["key"]]["problem"] = problem

        if to_list:
            copies = blobs.list_blobs(self.access, t_account, t_container, plan.COPY_PREFIX)
            orphans = plan.orphan_items(copies, set(to_list), target_versions, items)
            for orphan in orphans:
                self.details[orphan["key"]] = dict(blobs=[b["name"] for b in copies
                                                          if b["name"].startswith(orphan["path"])])
            items.extend(orphans)

        if not self.module.check_mode:
            self._record(state_name, state, selected, target_containers, items)
        return items

    def _record(self, state_name, state, selected, target_containers, items):
        """Remember which containers are in step (see asset_plan.next_record)."""
        before = state.get("containers") or {}
        record = plan.next_record(before, selected, target_containers, items)
        if record != before:
            blobs.write_json(self.access, self.target_store["account_name"], self.target_store["container_name"],
                             state_name, dict(state, containers=record))

    # ---- one item -----------------------------------------------------------------------
    def apply_item(self, clients, item):
        detail = self.details.get(item["key"]) or {}
        if item["action"] == "copy":
            return self._copy(clients, item, detail)
        if item["action"] == "update":
            return self._update(clients, item)
        if item["action"] == "delete":
            blobs.delete_blobs(self.access, self.target_store["account_name"], self.target_store["container_name"],
                               detail.get("blobs") or [])
            return {}
        raise ItemError("nothing to do for action %s" % item["action"])

    def _copy(self, clients, item, detail):
        if detail.get("problem"):
            raise ItemError("the source of %s cannot be read: %s" % (item["key"], detail["problem"]))
        files = detail.get("files") or []
        if not files:
            raise ItemError("the source path of %s has no files (%s); nothing was copied or registered"
                            % (item["key"], detail["version"]["model_uri"]))
        source = detail["source"]
        target = dict(account=self.target_store["account_name"], container=self.target_store["container_name"],
                      path=item["path"])
        copied = 0
        for f in files:
            copied += blobs.copy_file(self.access, source, target, f["path"], f["size"], f.get("md5"), self.timeout)
        version = dict(detail["version"])
        relative = item["path"] + (files[0]["path"] if source["shape"] == "file" else "")
        version["model_uri"] = datastore_uri(self.subscription, self.target["group"], self.target["workspace"],
                                             self.target_store["name"], relative)
        version["properties"] = dict(version.get("properties") or {})
        version["properties"][plan.DIGEST_PROPERTY] = item["digest"]
        version["properties"][plan.SOURCE_URI_PROPERTY] = detail["version"]["model_uri"]
        version["job_name"] = None  # the source's job does not exist in the target workspace
        assets.put_model_version(clients, self.target["group"], self.target["workspace"], version)
        return dict(bytes_copied=copied, target_uri=version["model_uri"])

    def _update(self, clients, item):
        current = assets.get_model_version(clients, self.target["group"], self.target["workspace"],
                                           item["name"], item["version"])
        if current is None:
            raise ItemError("%s disappeared from the target during the run" % item["key"])
        for field, (_before, after) in item["changes"].items():
            current[field] = after
        assets.put_model_version(clients, self.target["group"], self.target["workspace"], current)
        return {}


def main():
    argument_spec = dict(
        source_workspace=dict(type="str", required=True),
        source_resource_group=dict(type="str", required=True),
        target_workspace=dict(type="str", required=True),
        target_resource_group=dict(type="str", required=True),
        names=dict(type="list", elements="str"),
        versions=dict(type="list", elements="str"),
        tags=dict(type="dict"),
        parallelism=dict(type="int", default=4),
        wait_timeout=dict(type="int", default=900),
        full_scan=dict(type="bool", default=False),
    )
    module = AzureModule(argument_spec=argument_spec, supports_check_mode=True)
    sync = ModelSync(module)

    # run_collection exits by itself and takes no extra result fields: the container counts ride along.
    exit_json, fail_json = module.exit_json, module.fail_json
    module.exit_json = lambda **result: exit_json(containers=sync.stats, **result)
    module.fail_json = lambda **result: fail_json(containers=sync.stats, **result)
    run_collection(module, sync.plan_items, sync.apply_item, validators=(plan.input_errors,),
                   parallelism=module.params["parallelism"], result_key="models")


if __name__ == "__main__":
    main()
