#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_workspace
short_description: Create, update or delete an Azure Machine Learning workspace
version_added: 0.1.0
description:
  - Manages one Azure Machine Learning workspace that references existing associated resources
    (storage account, key vault, Application Insights and, optionally, container registry) by
    resource ID, as the disaster-recovery design asks (one workspace per region, each with its own
    default storage, a shared key vault and registry).
  - Idempotent; supports check mode and C(--diff). Fields that Azure fixes at creation
    (O(location), O(storage_account), O(key_vault), O(hbi_workspace)) are never changed; asking
    for a different value fails before any change.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description: Name of the workspace (3 to 33 letters, digits, C(-) or C(_), starting with a letter or digit).
  storage_account:
    description:
      - Resource ID of the workspace's default storage account. Required to create; cannot change.
      - Use a separate default storage account for each workspace of a DR pair.
    type: str
  key_vault:
    description: Resource ID of the key vault. Required to create; cannot change.
    type: str
  application_insights:
    description: Resource ID of the Application Insights component. Required to create.
    type: str
  container_registry:
    description: Resource ID of the container registry.
    type: str
  description:
    description: Description of the workspace.
    type: str
  friendly_name:
    description: Display name of the workspace.
    type: str
  sku:
    description: Workspace SKU.
    type: str
    choices: [Basic, Enterprise]
  hbi_workspace:
    description: Flag the workspace as holding high business impact data. Set at creation only.
    type: bool
  public_network_access:
    description: Whether the workspace accepts requests from public networks.
    type: str
    choices: [Enabled, Disabled]
  image_build_compute:
    description: Name of the compute used to build environment images.
    type: str
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource
  - amlops.bcdr.azure_wait
attributes:
  check_mode:
    description: Can run in check mode and return the predicted workspace (and its ID) without changing anything.
    support: full
  diff_mode:
    description: Returns the workspace before and after the change.
    support: full
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Create the primary workspace of a DR pair
  amlops.bcdr.aml_workspace:
    name: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    location: eastus
    storage_account: /subscriptions/{{ sub }}/resourceGroups/rg-fraud-eastus/providers/Microsoft.Storage/storageAccounts/stfraudeastus
    key_vault: /subscriptions/{{ sub }}/resourceGroups/rg-fraud-shared/providers/Microsoft.KeyVault/vaults/kv-fraud
    application_insights: /subscriptions/{{ sub }}/resourceGroups/rg-fraud-eastus/providers/Microsoft.Insights/components/appi-fraud-eastus
    container_registry: /subscriptions/{{ sub }}/resourceGroups/rg-fraud-shared/providers/Microsoft.ContainerRegistry/registries/acrfraud
    tags:
      amlops.bcdr/pair: fraud
      amlops.bcdr/role: primary

- name: Delete a workspace
  amlops.bcdr.aml_workspace:
    name: mlw-scratch
    resource_group: rg-scratch
    state: absent
"""

RETURN = r"""
workspace:
  description: The workspace after the change (predicted in check mode). Absent after deletion.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus
    name:
      description: Name.
      type: str
      sample: mlw-fraud-eastus
    resource_group:
      description: Resource group.
      type: str
      sample: rg-fraud-eastus
    location:
      description: Region, lower case without spaces.
      type: str
      sample: eastus
    sku:
      description: SKU name.
      type: str
      sample: Basic
    tags:
      description: Tags.
      type: dict
      sample: {"amlops.bcdr/pair": "fraud"}
    storage_account:
      description: Default storage account ID.
      type: str
    key_vault:
      description: Key vault ID.
      type: str
    application_insights:
      description: Application Insights ID.
      type: str
    container_registry:
      description: Container registry ID, if any.
      type: str
    workspace_id:
      description: The immutable GUID Azure gives the workspace (unknown in check mode before creation).
      type: str
      sample: 5a1b2c3d-0000-4000-8000-000000000000
    discovery_url:
      description: Discovery URL of the workspace's region.
      type: str
    mlflow_tracking_uri:
      description: MLflow tracking URI.
      type: str
    provisioning_state:
      description: Provisioning state.
      type: str
      sample: Succeeded
changes:
  description: Fields changed by an update, as C([before, after]).
  returned: always
  type: dict
  sample: {"description": ["", "fraud models"]}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ServiceFunctions, ServiceResource, run_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.workspace_plan import ID_OPTIONS, input_errors, plan_workspace
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import workspace_service as service

DESIRED_OPTIONS = ("location", "description", "friendly_name", "sku", "hbi_workspace",
                   "public_network_access", "image_build_compute", "tags", "purge_tags") + tuple(ID_OPTIONS)
WORKSPACES = ServiceFunctions("workspace", "Microsoft.MachineLearningServices/workspaces", service.get_workspace,
                              service.create_workspace, service.update_workspace, service.delete_workspace)


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        storage_account=dict(type="str"),
        key_vault=dict(type="str", no_log=False),
        application_insights=dict(type="str"),
        container_registry=dict(type="str"),
        description=dict(type="str"),
        friendly_name=dict(type="str"),
        sku=dict(type="str", choices=["Basic", "Enterprise"]),
        hbi_workspace=dict(type="bool"),
        public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
        image_build_compute=dict(type="str"),
    ))
    desired = dict((k, module.params[k]) for k in DESIRED_OPTIONS)
    run_resource(module, ServiceResource(module, WORKSPACES, plan_workspace, desired, "workspace",
                                         unknown_until_created=dict(workspace_id=None)),
                 validators=[input_errors])


if __name__ == "__main__":
    main()
