#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_online_endpoint
short_description: Create, update or delete an Azure Machine Learning managed online endpoint, and set its traffic
version_added: 0.1.0
description:
  - Manages one managed online endpoint of an Azure Machine Learning workspace, in the workspace's region,
    its authentication mode, description, tags and the split of its traffic between its deployments
    (create the deployments with M(amlops.bcdr.aml_online_deployment)).
  - Idempotent; supports check mode and C(--diff). Unset options keep what the endpoint has.
  - A traffic split that names a deployment the endpoint does not have fails before any change, naming
    O(traffic).
  - Deleting an endpoint deletes its deployments.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description:
      - Name of the endpoint, 3 to 32 letters, digits or C(-), starting with a letter. Unique per region (it
        is the first label of the scoring host C(<name>.<region>.inference.ml.azure.com)).
  auth_mode:
    description:
      - How clients authenticate to the scoring URI. A new endpoint gets C(key) when unset; unset keeps an
        existing endpoint's mode.
    type: str
    choices: [key, aml_token, aad_token]
  description:
    description: Description of the endpoint. Unset keeps the current one.
    type: str
  tags:
    description: Tags of the endpoint (exactly these when set). Unset keeps the current tags.
    type: dict
  traffic:
    description:
      - Share of the live traffic per deployment name, in whole percent summing to 100 (or all 0). A
        deployment left out gets none.
      - Unset keeps the current split. Every name must be a deployment of this endpoint (in check mode, a
        missing one is taken as planned by an earlier task, with a warning).
    type: dict
  wait_timeout:
    default: 600
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.IN_WORKSPACE
  - amlops.bcdr.azure_wait
  - amlops.bcdr.azure_requests
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: An endpoint in the primary workspace
  amlops.bcdr.aml_online_endpoint:
    name: fraud-score
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    auth_mode: key
    tags:
      amlops.bcdr/pair: fraud

- name: All traffic to the blue deployment
  amlops.bcdr.aml_online_endpoint:
    name: fraud-score
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    traffic:
      blue: 100

- name: Delete the endpoint and its deployments
  amlops.bcdr.aml_online_endpoint:
    name: fraud-score
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    state: absent
"""

RETURN = r"""
endpoint:
  description: The endpoint after the change (predicted in check mode). Absent after deletion.
  returned: when O(state=present)
  type: dict
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
      description: Region (the workspace's), lower case without spaces.
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
      description: Share of the traffic mirrored per deployment (not managed by this module; kept).
      type: dict
      sample: {}
    scoring_uri:
      description: Scoring URI (unknown in check mode before creation).
      type: str
      sample: https://fraud-score.eastus.inference.ml.azure.com/score
    swagger_uri:
      description: URI of the endpoint's swagger document (unknown in check mode before creation).
      type: str
      sample: https://fraud-score.eastus.inference.ml.azure.com/swagger.json
    public_network_access:
      description: C(Enabled) or C(Disabled).
      type: str
      sample: Enabled
    provisioning_state:
      description: Provisioning state (unknown in check mode before creation).
      type: str
      sample: Succeeded
    tags:
      description: Tags.
      type: dict
      sample: {"amlops.bcdr/pair": "fraud"}
    description:
      description: Description.
      type: str
      sample: fraud scoring
    workspace:
      description: Workspace name.
      type: str
      sample: mlw-fraud-eastus
    resource_group:
      description: Resource group.
      type: str
      sample: rg-fraud-eastus
changes:
  description: Fields changed by an update, as C([before, after]).
  returned: always
  type: dict
  sample: {"traffic": [{"blue": 100}, {"blue": 50, "green": 50}]}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import (
    WORKSPACE_CHILD_OPTIONS,
    AzureModule,
    resource_argument_spec,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import (
    Resource,
    collection_clients,
    request_argument_spec,
    request_errors,
    run_resource,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.endpoint_plan import (
    ENDPOINT_TYPE,
    PlanError,
    endpoint_input_errors,
    plan_endpoint,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import endpoint_service as service
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import workspace_service


class BoundedModule(AzureModule):
    """Clients bounded by the ``timeout``/``retries`` options (a region that hangs must not hold the run)."""

    @property
    def clients(self):
        if self._clients is None:
            self._clients = collection_clients(self)
        return self._clients


class OnlineEndpoint(Resource):
    label = "online endpoint"
    result_key = "endpoint"
    resource_type = ENDPOINT_TYPE
    unknown_until_created = dict(scoring_uri=None, swagger_uri=None, provisioning_state=None)

    def __init__(self, module):
        super(OnlineEndpoint, self).__init__(module)
        self.workspace = self.params["workspace"]
        self.location = None
        self.workspace_missing = False

    def what(self):
        return "online endpoint %s in workspace %s" % (self.name, self.workspace)

    def read(self, clients):
        ws = workspace_service.get_workspace(clients, self.group, self.workspace)
        if ws is None:
            self.workspace_missing = True
            return None
        self.location = ws["location"]
        current = service.get_endpoint(clients, self.group, self.workspace, self.name)
        return self._with_place(current)

    def _with_place(self, endpoint):
        if endpoint is not None:
            endpoint.update(workspace=self.workspace, resource_group=self.group)
        return endpoint

    def plan(self, clients, current):
        if self.workspace_missing:
            if self.state == "absent":
                return dict(action="none", changes={}, after=None)
            raise PlanError("workspace: '%s' was not found in resource group '%s'" % (self.workspace, self.group))
        deployments = []
        if current is not None and self.params.get("traffic") is not None:
            deployments = [d["name"] for d in service.list_deployments(clients, self.group, self.workspace, self.name)]
        desired = dict(name=self.name, location=self.location, auth_mode=self.params.get("auth_mode"),
                       description=self.params.get("description"), tags=self.params.get("tags"),
                       traffic=self.params.get("traffic"))
        plan = plan_endpoint(desired, current, self.state, deployments, planned_ok=self.module.check_mode)
        if plan["unverified"]:
            # check mode of a play that creates the deployments in an earlier task: they are only planned
            self.module.warn("traffic: endpoint '%s' has no deployment %s yet; check mode takes them as planned by "
                             "an earlier task (a real run refuses them before any change)"
                             % (self.name, ", ".join("'%s'" % u for u in plan["unverified"])))
        return plan

    def create(self, clients, plan, wait):
        return self._with_place(service.put_endpoint(clients, self.group, self.workspace, self.name, plan["after"],
                                                     **wait))

    def update(self, clients, plan, current, wait):
        return self._with_place(service.put_endpoint(clients, self.group, self.workspace, self.name, plan["after"],
                                                     **wait))

    def delete(self, clients, plan, current, wait):
        service.delete_endpoint(clients, self.group, self.workspace, self.name, **wait)

    def id_names(self):
        return [self.workspace, self.name]

    def predict(self, plan):
        return dict(super(OnlineEndpoint, self).predict(plan), workspace=self.workspace)


def main():
    spec = resource_argument_spec(
        common=WORKSPACE_CHILD_OPTIONS + ("tags",),
        auth_mode=dict(type="str", choices=["key", "aml_token", "aad_token"]),
        description=dict(type="str"),
        traffic=dict(type="dict"),
        **request_argument_spec())
    spec["wait_timeout"] = dict(type="int", default=600)
    module = BoundedModule(argument_spec=spec)
    run_resource(module, OnlineEndpoint(module), validators=[endpoint_input_errors, request_errors])


if __name__ == "__main__":
    main()
