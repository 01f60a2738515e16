#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_workspace_info
short_description: Read Azure Machine Learning workspaces
version_added: 0.1.0
description:
  - Returns one workspace, the workspaces of a resource group, or those of the subscription, as a list.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description: Name of one workspace. Requires O(resource_group).
    type: str
  resource_group:
    description: Limit the result to this resource group.
    type: str
  tags:
    description:
      - Only return workspaces that have all these tags. Each item is C(key) or C(key:value).
    type: list
    elements: str
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.READ_ONLY
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Both workspaces of a DR pair
  amlops.bcdr.aml_workspace_info:
    tags:
      - "amlops.bcdr/pair:fraud"
  register: pair

- name: One workspace
  amlops.bcdr.aml_workspace_info:
    name: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
"""

RETURN = r"""
workspaces:
  description: The workspaces found (an empty list when none match or the named one does not exist).
  returned: always
  type: list
  elements: dict
  sample:
    - id: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus
      name: mlw-fraud-eastus
      resource_group: rg-fraud-eastus
      location: eastus
      sku: Basic
      tags: {"amlops.bcdr/pair": "fraud", "amlops.bcdr/role": "primary"}
      storage_account: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.Storage/storageAccounts/stfraudeastus
      key_vault: /subscriptions/xxx/resourceGroups/rg-fraud-shared/providers/Microsoft.KeyVault/vaults/kv-fraud
      application_insights: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.Insights/components/appi-fraud-eastus
      container_registry: /subscriptions/xxx/resourceGroups/rg-fraud-shared/providers/Microsoft.ContainerRegistry/registries/acrfraud
      workspace_id: 5a1b2c3d-0000-4000-8000-000000000000
      discovery_url: https://eastus.api.azureml.ms/discovery
      mlflow_tracking_uri: azureml://eastus.api.azureml.ms/mlflow/v1.0/subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/...
      provisioning_state: Succeeded
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import one_or_all, run_info
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import workspace_service as service


def parse_tag_filters(items):
    filters = []
    for item in items or []:
        key, sep, value = item.partition(":")
        filters.append((key, value if sep else None))
    return filters


def matches(workspace, filters):
    tags = workspace.get("tags") or {}
    return all(key in tags and (value is None or tags[key] == value) for key, value in filters)


def main():
    module = AzureModule(
        argument_spec=dict(
            name=dict(type="str"),
            resource_group=dict(type="str"),
            tags=dict(type="list", elements="str"),
        ),
        required_by=dict(name="resource_group"),
    )
    params = module.params
    filters = parse_tag_filters(params["tags"])

    def read(clients):
        found = one_or_all(lambda name: service.get_workspace(clients, params["resource_group"], name),
                           lambda: service.list_workspaces(clients, params["resource_group"]), params["name"])
        return dict(workspaces=sorted((ws for ws in found if matches(ws, filters)), key=lambda ws: ws["id"].lower()))

    run_info(module, "reading workspaces", read)


if __name__ == "__main__":
    main()
