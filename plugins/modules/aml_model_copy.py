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
    the two were last found in step. The record is written after the copies, from listings read then, so
    the run right after a copy costs what a run with nothing to do costs (a few list calls).
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
  full_scan:
    description:
      - List the versions of every selected model, whatever the record of models found in step says.
      - For a periodic deep check (for example weekly); it costs a version list per model. The record relies on
        Azure ML stamping a model's container when one of its versions changes.
    type: bool
    default: false
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_requests
  - amlops.bcdr.azure_copy
  - amlops.bcdr.azure_copy.VERSIONED
  - amlops.bcdr.azure_copy.FILES
  - amlops.bcdr.azure_resource.CHECK_AND_DIFF
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
unchanged:
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
failed_items:
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

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_service as assets
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_sync import AssetSync, copy_argument_spec


def main():
    module = AzureModule(argument_spec=copy_argument_spec(), supports_check_mode=True)
    AssetSync(module, plan.MODEL, assets.MODEL_OPS).run(result_key="models")


if __name__ == "__main__":
    main()
