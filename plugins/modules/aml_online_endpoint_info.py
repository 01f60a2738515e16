#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_online_endpoint_info
short_description: List the managed online endpoints of an Azure Machine Learning workspace with their deployments
version_added: 0.1.0
description:
  - Reads one online endpoint (O(name)) or all of them, each with its deployments, instance counts and
    traffic, which is what the sync role records about the active region's inference.
  - Never returns the endpoints' keys.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description: Name of one endpoint. Unset lists every endpoint of the workspace.
    type: str
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.WORKSPACE
  - amlops.bcdr.azure_resource.READ_ONLY
  - amlops.bcdr.azure_requests
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Every endpoint of the active workspace
  amlops.bcdr.aml_online_endpoint_info:
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    timeout: 20
    retries: 1
  register: inference

- name: One endpoint
  amlops.bcdr.aml_online_endpoint_info:
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    name: fraud-score
"""

RETURN = r"""
endpoints:
  description:
    - The endpoints, sorted by name (empty when O(name) names none or the workspace has none; a workspace
      that does not exist fails the module), each as M(amlops.bcdr.aml_online_endpoint) returns it plus its deployments.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-f/providers/Microsoft.MachineLearningServices/workspaces/mlw-f/onlineEndpoints/fraud-score
    name:
      description: Name.
      type: str
      sample: fraud-score
    location:
      description: Region.
      type: str
      sample: eastus
    auth_mode:
      description: C(key), C(aml_token) or C(aad_token).
      type: str
      sample: key
    traffic:
      description: Share of the live traffic per deployment, in percent.
      type: dict
      sample: {"blue": 100}
    mirror_traffic:
      description: Share of the traffic mirrored per deployment.
      type: dict
      sample: {}
    scoring_uri:
      description: Scoring URI.
      type: str
      sample: https://fraud-score.eastus.inference.ml.azure.com/score
    swagger_uri:
      description: URI of the swagger document.
      type: str
      sample: https://fraud-score.eastus.inference.ml.azure.com/swagger.json
    public_network_access:
      description: C(Enabled) or C(Disabled).
      type: str
      sample: Enabled
    provisioning_state:
      description: Provisioning state.
      type: str
      sample: Succeeded
    tags:
      description: Tags.
      type: dict
      sample: {}
    description:
      description: Description.
      type: str
      sample: fraud scoring
    deployments:
      description: The endpoint's deployments, sorted by name, as M(amlops.bcdr.aml_online_deployment) returns them.
      type: list
      elements: dict
      sample:
        - id: /subscriptions/xxx/resourceGroups/rg-f/providers/Microsoft.MachineLearningServices/workspaces/mlw-f/onlineEndpoints/fraud-score/deployments/blue
          name: blue
          endpoint: fraud-score
          location: eastus
          model: /subscriptions/xxx/resourceGroups/rg-f/providers/Microsoft.MachineLearningServices/workspaces/mlw-f/models/fraud/versions/3
          environment: azureml://registries/azureml/environments/sklearn-1.5/versions/1
          code_id: null
          scoring_script: null
          instance_type: Standard_DS3_v2
          instance_count: 2
          environment_variables: {}
          provisioning_state: Succeeded
          tags: {}
          description: ""
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import (
    collection_clients,
    input_failures,
    one_or_all,
    request_argument_spec,
    request_errors,
    run_info,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.endpoint_plan import endpoint_input_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import endpoint_service as service
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import workspace_service


class BoundedModule(AzureModule):
    """Clients bounded by the ``timeout``/``retries`` options: the workspace's region may be down."""

    @property
    def clients(self):
        if self._clients is None:
            self._clients = collection_clients(self)
        return self._clients


def main():
    module = BoundedModule(argument_spec=dict(
        workspace=dict(type="str", required=True),
        resource_group=dict(type="str", required=True),
        name=dict(type="str"),
        **request_argument_spec()))
    params = module.params
    group, workspace = params["resource_group"], params["workspace"]
    errors = input_failures(params, (endpoint_input_errors, request_errors))
    if errors:
        module.fail_json(msg="; ".join(errors))

    def read(clients):
        if workspace_service.get_workspace(clients, group, workspace) is None:
            # not an empty list: a caller that mirrors this workspace must not read "no endpoints"
            raise ValueError("workspace: '%s' was not found in resource group '%s'" % (workspace, group))
        endpoints = one_or_all(lambda name: service.get_endpoint(clients, group, workspace, name),
                               lambda: service.list_endpoints(clients, group, workspace), params.get("name"))
        for endpoint in endpoints:
            endpoint["deployments"] = sorted(service.list_deployments(clients, group, workspace, endpoint["name"]),
                                             key=lambda d: d["name"])
        return dict(endpoints=sorted(endpoints, key=lambda e: e["name"]))

    run_info(module, "online endpoints of workspace %s" % workspace, read)


if __name__ == "__main__":
    main()
