#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_env_copy
short_description: Copy registered environment versions from one Azure Machine Learning workspace to another
version_added: 0.1.0
description:
  - Copies environment versions from a source workspace to a target workspace, for example from the primary
    region's workspace to the secondary's. Azure ML does not replicate environments between workspaces.
  - An environment from an image or a conda file is registered in the target with the same specification
    (image, conda file, OS type, inference configuration), description, tags, properties, stage and archive
    flag. An environment with a Docker build context also has its build-context files copied
    storage-to-storage into the target's default datastore under
    C(amlops-bcdr/environments/<name>/<version>/<digest>/), verified (size and MD5), before it is registered.
  - The target version's properties record the source content digest (C(amlops.bcdr.source_digest)) and, for a
    build context, the source URI (C(amlops.bcdr.source_uri)).
  - The same engine as M(amlops.bcdr.aml_model_copy) - incremental (containers compared first), crash-safe,
    conflicts (same name and version, other content) reported and left alone, versions only in the target left
    alone. Supports check mode (the exact plan) and C(--diff).
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01 and Microsoft.Storage 2023-01-01; both
    workspaces in the subscription the module signs in to.
options:
  names:
    description:
      - Environments to copy, by name or shell-style pattern. Default is every environment.
      - A name or pattern that matches no environment in the source fails the module before any change.
    type: list
    elements: str
  versions:
    description:
      - Versions to copy, each a version, C(latest), or a comparison with a whole number (C(>=3)).
        Default is every version.
    type: list
    elements: str
  wait_timeout:
    description: How long to wait, in seconds, for the server-side copy of one build-context file.
    type: int
    default: 900
  full_scan:
    description: List the versions of every selected environment, whatever the record of environments in step says.
    type: bool
    default: false
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_requests
  - amlops.bcdr.azure_copy
  - amlops.bcdr.azure_copy.VERSIONED
  - amlops.bcdr.azure_resource.CHECK_AND_DIFF
notes:
  - Curated environments (C(AzureML-*)) live in the system registry, not in a workspace, and are not copied.
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Copy every environment from the primary workspace to the secondary
  amlops.bcdr.aml_env_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
  register: env_sync
"""

RETURN = r"""
plan:
  description: Every item of the plan, in order (what check mode predicts and a real run does).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "environment:infer:3", "action": "copy", "reason": "not in the target"}]
copied:
  description: Versions registered in the target (to be, in check mode); C(files) and C(bytes) count build-context files.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "environment:infer:3", "name": "infer", "version": "3", "action": "copy", "files": 0, "bytes": 0,
            "digest": "5d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a", "path": null, "seconds": 0.4, "reason": "not in the target"}]
updated:
  description: Versions copied earlier whose description, tags, stage or archive flag changed in the source.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "environment:infer:2", "action": "update", "changes": {"tags": [{}, {"stage": "prod"}]}}]
unchanged:
  description: Versions already in the target with the same content (listed only for environments that changed).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "environment:infer:1", "action": "skip", "reason": "already copied"}]
conflicts:
  description: Versions registered in the target with the same name and version but other content; left alone.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "environment:infer:4", "action": "conflict",
            "reason": "registered in the target with other content (same name and version)"}]
deleted:
  description: Orphaned build-context copies removed from the sync's folder in the target's default datastore.
  returned: always
  type: list
  elements: dict
  sample: []
failed_items:
  description: Items that failed, each with C(error); the other items still ran.
  returned: always
  type: list
  elements: dict
  sample: []
environments:
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
  description: How many environments were selected, and how many of them needed their versions listed.
  returned: always
  type: dict
  sample: {"selected": 4, "listed": 1, "in_step": 3}
seconds:
  description: Time the module took.
  returned: always
  type: float
  sample: 3.2
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import asset_service as assets
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.asset_sync import AssetSync, copy_argument_spec


def main():
    module = AzureModule(argument_spec=copy_argument_spec(), supports_check_mode=True)
    AssetSync(module, plan.ENVIRONMENT, assets.ENVIRONMENT_OPS).run(result_key="environments")


if __name__ == "__main__":
    main()
