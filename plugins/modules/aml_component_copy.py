#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_component_copy
short_description: Copy component versions, with their code, from one Azure Machine Learning workspace to another
version_added: 0.1.0
description:
  - Copies component versions from a source workspace to a target workspace, with the same name, version,
    spec, description, tags and properties.
  - The component's code asset (C(azureml:/subscriptions/.../codes/<name>/versions/<version>) or
    C(azureml:<name>:<version>)) is copied like model files - storage-to-storage into the target's default
    datastore under C(amlops-bcdr/codes/<name>/<version>/<digest>/), each file verified (size and MD5) - and the
    code version is registered in the target under the same name and version, before the component.
  - Every workspace asset reference in the spec (in a pipeline component, the components, data and models its
    jobs use) is mapped to the target workspace, same names and versions; the referenced assets must be copied
    too (the sync role copies data before components).
  - The component's environment reference is mapped to the target workspace (same name and version).
    Environments are copied by M(amlops.bcdr.aml_env_copy), which runs first; when the environment is still
    missing in the target, the component fails alone with a clear line and nothing is registered for it.
  - Incremental as M(amlops.bcdr.aml_model_copy) (containers first, against a record under
    C(amlops-bcdr/state/components/) in the target's default datastore).
  - Crash-safe. The code version is registered only after its files are copied and verified, and the
    component only after its code; copies under C(amlops-bcdr/codes/) that no code version uses are deleted by
    a later run.
  - Same name and version in the target with another spec (or its code with other files) is a conflict,
    reported and left alone; conflicts do not fail the module.
  - Supports check mode (the exact plan) and C(--diff).
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01 and Microsoft.Storage 2023-01-01; both
    workspaces in the subscription the module signs in to.
options:
  names:
    description:
      - Components to copy, by name or shell-style pattern. Default is every component.
      - A name or pattern that matches no component in the source fails the module before any change.
    type: list
    elements: str
  full_scan:
    description: List the versions of every selected component, whatever the record says (a periodic deep check).
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
- name: Components of the primary in the secondary (after aml_env_copy)
  amlops.bcdr.aml_component_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
  register: component_sync
"""

RETURN = r"""
plan:
  description: Every item of the plan, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "component:train_model:1", "action": "copy", "reason": "not in the target; its code is copied first"}]
copied:
  description: Component versions registered in the target (to be, in check mode), with their code.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "component:train_model:1", "name": "train_model", "version": "1",
            "environment": "sklearn-env:1",
            "code": {"name": "0b7c", "version": "1", "action": "copy", "files": 2, "bytes": 30,
                     "digest": "0c1f9e3d2a7b4c5d6e7f8a9b0c1d2e3f", "path": "amlops-bcdr/codes/0b7c/1/0c1f.../"},
            "bytes_copied": 30, "seconds": 0.9}]
updated:
  description: Versions whose description, tags or archive flag changed in the source.
  returned: always
  type: list
  elements: dict
  sample: []
unchanged:
  description: Versions already in the target with the same spec.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "component:train_model:1", "action": "skip", "reason": "same spec already registered in the target"}]
conflicts:
  description: Versions registered in the target with another spec, or whose code is there with other files; left alone.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "component:train_model:2", "action": "conflict",
            "reason": "registered in the target with another spec (same name and version)"}]
deleted:
  description: Orphaned code copies removed from the sync's folder (C(amlops-bcdr/codes/)) in the target's default datastore.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "orphan:amlops-bcdr/codes/3f2a/1/9f0e.../", "action": "delete", "files": 2, "bytes": 1024}]
failed_items:
  description: Items that failed, each with C(error); the other items still ran.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "component:score:1", "action": "copy",
            "error": "component:score:1: environment 'scoring-env:3' is not in the target workspace ..."}]
components:
  description: Every item, whatever its outcome.
  returned: always
  type: list
  elements: dict
  sample: []
summary:
  description: Number of items per action, and of failed items.
  returned: always
  type: dict
  sample: {"copy": 1, "skip": 3, "failed": 0}
containers:
  description: How many components were selected, and how many needed their versions listed.
  returned: always
  type: dict
  sample: {"selected": 4, "listed": 1, "in_step": 3}
seconds:
  description: Time the module took.
  returned: always
  type: float
  sample: 2.2
"""

import threading

from ansible_collections.amlops.bcdr.plugins.module_utils.blob import copy_service as blobs
from ansible_collections.amlops.bcdr.plugins.module_utils.blob.uri import UriError, blob_url
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ItemError, run_collection
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_kinds_service as kinds
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import component_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import copy_kinds_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_kinds_sync import KindSync, run_with_containers
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_sync import copy_argument_spec


class ComponentSync(KindSync):
    def __init__(self, module):
        super(ComponentSync, self).__init__(module, plan.STATE_PREFIX)
        self.details = {}
        self.codes = {}          # (name, version) -> {plan, source, files, problem}
        self.envs = {}           # (name, version) -> exists in the target
        self._code_locks = {}
        self._codes_done = set()
        self._guard = threading.Lock()

    def _code(self, clients, ref):
        key = (ref["name"], ref["version"])
        if key in self.codes:
            return self.codes[key]
        found = dict(problem=None)
        source = kinds.get_code_version(clients, self.source["group"], self.source["workspace"], *key)
        if source is None:
            found["problem"] = "code %s:%s does not exist in the source" % key
            found["plan"] = dict(name=key[0], version=key[1], action="copy", digest=None, files=0, bytes=0,
                                 path=None, reason=found["problem"])
        else:
            found["version"] = source
            files = []
            try:
                found["source"], files = self.files_of(clients, self.source, source["code_uri"])
            except (UriError, blobs.CopyError) as exc:
                found["problem"] = "the code %s:%s cannot be read: %s" % (key[0], key[1], exc)
            found["files"] = files
            target = kinds.get_code_version(clients, self.target["group"], self.target["workspace"], *key)
            target_files = None
            if target is not None and plan.code_sync_digest(target) is None:
                try:
                    target_files = self.files_of(clients, self.target, target["code_uri"])[1]
                except (UriError, blobs.CopyError):
                    target_files = None
            found["plan"] = plan.plan_code(source, files, target, target_files)
            if not files and found["plan"]["action"] == "copy" and not found["problem"]:
                found["problem"] = "the code %s:%s has no files (%s)" % (key[0], key[1], source["code_uri"])
        self.codes[key] = found
        return found

    def _env_in_target(self, clients, ref, fresh=False):
        key = (ref["name"], ref["version"])
        if fresh or key not in self.envs:
            self.envs[key] = kinds.asset_exists(clients, self.target["group"], self.target["workspace"], "environment", *key)
        return self.envs[key]

    def plan_one(self, clients, source, target):
        code_ref, env_ref = plan.refs(source["spec"])
        code = self._code(clients, code_ref) if code_ref and target is None else None
        env_ok = self._env_in_target(clients, env_ref) if env_ref and target is None else True
        item = plan.plan_version(source, target, code["plan"] if code else None, env_ref, env_ok)
        self.details[item["key"]] = dict(version=source, code_ref=code_ref, env_ref=env_ref,
                                         problem=code["problem"] if code else None)
        return item

    def plan_items(self, clients):
        p = self.module.params
        self.setup(clients)
        selected, target_containers, to_list, in_step, state = self.containers(
            clients, kinds.list_component_containers,
            lambda found: copy_kinds_plan.select_containers(found, p.get("names"), plan.NOUN))
        latest = dict((c["name"], c.get("latest_version")) for c in selected)
        items, target_versions = [], {}
        for name in to_list:
            with self.on("source"):
                sources = kinds.list_component_versions(clients, self.source["group"], self.source["workspace"], name)
            with self.on("target"):
                targets = dict((str(v["version"]), v) for v in
                               kinds.list_component_versions(clients, self.target["group"], self.target["workspace"],
                                                             name))
            target_versions[name] = list(targets.values())
            for source in sorted(sources, key=lambda v: copy_kinds_plan.version_order(v["version"])):
                if asset_plan.version_selected(source, latest[name], p.get("versions"), p.get("tags")):
                    items.append(self.plan_one(clients, source, targets.get(str(source["version"]))))
        if to_list:
            items.extend(self._code_orphans(clients))
        self.record(state, selected, target_containers, items, target_versions, kinds.list_component_versions)
        return items

    def _code_orphans(self, clients):
        """Code copies no target code version and no planned copy uses (a code version is looked up
        only for a copy folder this run did not plan: normally none)."""
        copies = blobs.list_blobs(self.access, self.target_store["account_name"], self.target_store["container_name"],
                                  plan.CODE_PREFIX)
        used = set((c["plan"]["name"], c["plan"]["version"], c["plan"]["digest"]) for c in self.codes.values()
                   if c["plan"].get("digest"))
        for where in copy_kinds_plan.copy_groups(copies, plan.CODE_PREFIX):
            if where not in used:
                code = kinds.get_code_version(clients, self.target["group"], self.target["workspace"], where[0], where[1])
                if code is not None and (code.get("properties") or {}).get(asset_plan.DIGEST_PROPERTY) == where[2]:
                    used.add(where)
        out = []
        for orphan in copy_kinds_plan.orphan_items(copies, plan.CODE_PREFIX, used):
            self.details[orphan["key"]] = dict(blobs=orphan.pop("blobs"))
            orphan["name"] = "code:" + orphan["name"]  # not a component: keeps the component record's busy set apart
            out.append(orphan)
        return out

    def _copy_code(self, clients, ref):
        """Copy and register the code version once, whichever component needs it first."""
        key = (ref["name"], ref["version"])
        with self._guard:
            lock = self._code_locks.setdefault(key, threading.Lock())
        with lock:
            code = self.codes[key]
            if key in self._codes_done or code["plan"]["action"] == "skip":
                return 0
            copied = self.copy_files(code["source"], code["files"], code["plan"]["path"])
            path = code["plan"]["path"]
            path = path + code["files"][0]["path"] if code["source"]["shape"] == "file" else path.rstrip("/")
            version = dict(code["version"])
            version["code_uri"] = blob_url(self.access.account(self.target_store["account_name"])["blob"],
                                           self.target_store["container_name"], path)
            version["properties"] = dict(version.get("properties") or {})
            version["properties"][asset_plan.DIGEST_PROPERTY] = code["plan"]["digest"]
            version["properties"][asset_plan.SOURCE_URI_PROPERTY] = code["version"]["code_uri"]
            kinds.put_code_version(clients, self.target["group"], self.target["workspace"], version)
            self._codes_done.add(key)
            return copied

    def apply_item(self, clients, item):
        detail = self.details.get(item["key"]) or {}
        if item["action"] == "delete":
            blobs.delete_blobs(self.access, self.target_store["account_name"], self.target_store["container_name"],
                               detail.get("blobs") or [])
            return {}
        if item["action"] == "update":
            current = kinds.get_component_version(clients, self.target["group"], self.target["workspace"],
                                                  item["name"], item["version"])
            if current is None:
                raise ItemError("%s disappeared from the target during the run" % item["key"])
            current.update((f, after) for f, (_before, after) in item["changes"].items())
            self.written[item["key"]] = kinds.put_component_version(clients, self.target["group"],
                                                                    self.target["workspace"], current)
            return {}
        if detail.get("problem"):
            raise ItemError("%s: %s; nothing was registered" % (item["key"], detail["problem"]))
        env = detail.get("env_ref")
        if env and not self._env_in_target(clients, env, fresh=True):
            raise ItemError("%s: environment '%s:%s' is not in the target workspace (aml_env_copy copies it first); "
                            "nothing was registered" % (item["key"], env["name"], env["version"]))
        copied = self._copy_code(clients, detail["code_ref"]) if detail.get("code_ref") else 0
        comp = dict(detail["version"])
        comp["spec"] = plan.target_spec(comp["spec"], self.subscription, self.target["group"], self.target["workspace"])
        self.written[item["key"]] = kinds.put_component_version(clients, self.target["group"],
                                                                self.target["workspace"], comp)
        return dict(bytes_copied=copied)


def main():
    module = AzureModule(argument_spec=copy_argument_spec(), supports_check_mode=True)
    sync = ComponentSync(module)
    run_with_containers(module, sync, run_collection, sync.plan_items, sync.apply_item,
                        (plan.input_errors,), "components")


if __name__ == "__main__":
    main()
