#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_datastore_copy
short_description: Mirror the registered datastores of one Azure Machine Learning workspace into another
version_added: 0.1.0
description:
  - Registers every user-registered datastore of a source workspace in a target workspace under the same
    name, pointing at the same storage (account, container, endpoint, protocol). In the disaster-recovery
    design that storage is the pair's geo-redundant training account, reachable from both regions, so data
    assets on it keep the same C(azureml://datastores/<name>/paths/...) URI in both workspaces.
  - The workspace's own datastores (C(workspaceblobstore), C(workspaceartifactstore), C(workspacefilestore),
    C(workspaceworkingdirectory)) are not mirrored; each workspace has its own.
  - The target gets its own access, never a secret copied from the source. A source datastore with an account
    key is registered with the key of that storage account read through ARM (listKeys) in the subscription
    the module signs in to, at apply time; any other source (identity-based, SAS token, service principal)
    is registered identity-based (no stored credential - the target workspace's identity, or the user's,
    needs a data role on the storage, as the provision role grants).
  - A target datastore of the same name on other storage is a conflict, reported and left alone.
    Conflicts do not fail the module.
  - Only Azure Blob datastores are mirrored; another type fails that item alone.
  - Supports check mode (the exact plan) and C(--diff) (the datastores in the target before and after).
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01 and Microsoft.Storage 2023-01-01.
options:
  names:
    description:
      - Datastores to mirror, by name or shell-style pattern. Default is every user-registered datastore.
      - A name or pattern matching no user-registered datastore of the source fails the module before any change.
    type: list
    elements: str
  parallelism:
    description: How many datastores are registered at the same time (1 to 32).
    type: int
    default: 4
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_requests
  - amlops.bcdr.azure_copy
  - amlops.bcdr.azure_resource.CHECK_AND_DIFF
notes:
  - A separate module rather than a C(type) of M(amlops.bcdr.aml_data_copy) - datastores are not versioned
    assets (no containers, versions, files or copy), their plan compares storage locations and credential
    types, and the sync role must run them before the data assets that need them.
  - Azure never returns a datastore's secret, so a key rotated on the storage account after the mirror is not
    detected; re-register with M(amlops.bcdr.aml_datastore) and O(amlops.bcdr.aml_datastore#module:update_credentials=always).
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: The primary's datastores in the secondary, under the same names
  amlops.bcdr.aml_datastore_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
  register: datastore_sync

- name: Only the training datastores
  amlops.bcdr.aml_datastore_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
    names: ["training*"]
"""

RETURN = r"""
plan:
  description: Every item of the plan, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "datastore:training", "action": "copy", "reason": "not in the target: registered with ..."}]
copied:
  description: Datastores registered in the target (to be, in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "datastore:training", "name": "training", "account_name": "sttrainingdr",
            "container_name": "training", "credentials_type": "AccountKey", "source_credentials_type": "AccountKey",
            "action": "copy", "seconds": 0.4}]
updated:
  description: Datastores whose credential type, description or tags were brought in line.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "datastore:training", "action": "update", "changes": {"tags": [{}, {"team": "risk"}]}}]
unchanged:
  description: Datastores already mirrored.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "datastore:training", "action": "skip", "reason": "same storage and access already registered"}]
conflicts:
  description: Target datastores of the same name on other storage; left alone.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "datastore:training", "action": "conflict",
            "reason": "registered in the target on other storage (account_name differ)"}]
deleted:
  description: Always empty (a datastore only in the target is left alone).
  returned: always
  type: list
  elements: dict
  sample: []
failed_items:
  description: Items that failed, each with C(error).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "datastore:files", "action": "copy", "error": "datastore type 'AzureFile' is not mirrored"}]
datastores:
  description: Every item, whatever its outcome.
  returned: always
  type: list
  elements: dict
  sample: []
summary:
  description: Number of items per action, and of failed items.
  returned: always
  type: dict
  sample: {"copy": 1, "skip": 2, "failed": 0}
seconds:
  description: Time the module took.
  returned: always
  type: float
  sample: 1.2
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.blob import copy_service as blobs
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, azure_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ItemError, request_argument_spec, run_collection
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_kinds_service as kinds
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import datastore_copy_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import datastore_service as stores


class DatastoreMirror:
    def __init__(self, module):
        self.module = module
        p = module.params
        self.source = (p["source_resource_group"], p["source_workspace"])
        self.target = (p["target_resource_group"], p["target_workspace"])
        self.access = None

    def plan_items(self, clients):
        self.access = blobs.StorageAccess(clients)
        # one line naming the side whose region does not answer
        with azure_errors("reading the source workspace '%s'" % self.source[1]):
            selected = plan.select(stores.list_datastores(clients, *self.source), self.module.params.get("names"))
        with azure_errors("reading the target workspace '%s'" % self.target[1]):
            targets = dict((s["name"].lower(), s) for s in stores.list_datastores(clients, *self.target))
        return [plan.plan_datastore(s, targets.get(s["name"].lower())) for s in selected]

    def apply_item(self, clients, item):
        if item.get("problem"):
            raise ItemError("%s: %s; nothing was registered" % (item["key"], item["problem"]))
        want = item["desired"]
        key = None
        if want["credentials_type"] == "AccountKey":
            try:
                key = kinds.account_key(clients, self.access, want["account_name"])
            except blobs.CopyError as exc:
                raise ItemError("%s: cannot read the key of storage account '%s' in the target's subscription: %s"
                                % (item["key"], want["account_name"], exc))
            self.module.no_log_values.add(key)  # scrubbed from anything the module returns
        stores.create_or_update_datastore(clients, self.target[0], self.target[1], item["name"], want, account_key=key)
        return {}


def main():
    argument_spec = dict(
        source_workspace=dict(type="str", required=True),
        source_resource_group=dict(type="str", required=True),
        target_workspace=dict(type="str", required=True),
        target_resource_group=dict(type="str", required=True),
        names=dict(type="list", elements="str"),
        parallelism=dict(type="int", default=4),
        **request_argument_spec()
    )
    module = AzureModule(argument_spec=argument_spec, supports_check_mode=True)
    mirror = DatastoreMirror(module)

    # ``desired`` is what apply needs (no secret in it) but not part of the result
    def cleaned(fn):
        def call(**result):
            for item in result.get("datastores") or []:
                item.pop("desired", None)
            return fn(**result)
        return call
    module.exit_json, module.fail_json = cleaned(module.exit_json), cleaned(module.fail_json)
    run_collection(module, mirror.plan_items, mirror.apply_item, validators=(plan.input_errors,),
                   parallelism=module.params["parallelism"], result_key="datastores")


if __name__ == "__main__":
    main()
