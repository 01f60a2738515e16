#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_online_deployment
short_description: Create, update, scale or delete a managed online deployment of an Azure Machine Learning endpoint
version_added: 0.1.0
description:
  - Manages one managed online deployment of an online endpoint (create the endpoint with
    M(amlops.bcdr.aml_online_endpoint)), that is the model, environment and code it runs, its VM size and
    instance count, environment variables, description and tags.
  - Idempotent; supports check mode and C(--diff). Unset options keep what the deployment has.
  - A change of O(instance_count) alone scales the deployment (an update of its SKU capacity); any other
    change rewrites the deployment, which Azure rolls out.
  - The model, environment and code a workspace reference names must exist in the workspace; each is read
    before any change; a missing one fails naming the option, with nothing changed.
  - O(instance_type) cannot change once the deployment exists; asking for another fails before any change.
  - A deployment that gets traffic cannot be deleted; move its traffic first.
  - With O(wait=true), a deployment that needs no change but is still provisioning (an earlier run with
    O(wait=false)) is waited for, bounded by O(wait_timeout); a deployment whose provisioning failed is
    written again.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description: Name of the deployment, 3 to 32 letters, digits or C(-), starting with a letter.
  endpoint:
    description: Name of the online endpoint. It must exist (except in check mode, where it may be planned).
    type: str
    required: true
  model:
    description:
      - The model version to serve. C(<name>:<version>) (or C(azureml:<name>:<version>)) means that version in
        this workspace; otherwise the ARM ID of a model version (optionally prefixed with C(azureml:)) or a
        registry reference C(azureml://registries/<registry>/models/<name>/versions/<version>).
      - Returned as the ARM ID or registry URI Azure stores.
    type: str
  environment:
    description:
      - The environment version to run, in the same forms as O(model) (C(environments) instead of C(models)).
    type: str
  code_id:
    description:
      - ARM ID of a code version (or C(<name>:<version>) in this workspace) holding the scoring script.
        Needs O(scoring_script).
    type: str
  scoring_script:
    description: Path of the scoring script within the code.
    type: str
  instance_type:
    description:
      - VM size of the instances, for example C(Standard_DS3_v2). Required to create; cannot change.
    type: str
  instance_count:
    description:
      - Number of instances, 1 or more. A new deployment gets 1 when unset; unset keeps an existing
        deployment's count.
    type: int
  environment_variables:
    description: Environment variables of the scoring container (exactly these when set; values as strings).
    type: dict
  description:
    description: Description of the deployment. Unset keeps the current one.
    type: str
  tags:
    description: Tags of the deployment (exactly these when set). Unset keeps the current tags.
    type: dict
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.IN_WORKSPACE
  - amlops.bcdr.azure_wait
  - amlops.bcdr.azure_requests
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: The blue deployment, serving version 3 of the workspace's model fraud
  amlops.bcdr.aml_online_deployment:
    name: blue
    endpoint: fraud-score
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    model: fraud:3
    environment: sklearn-serve:7
    code_id: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus/codes/score/versions/1
    scoring_script: score.py
    instance_type: Standard_DS3_v2
    instance_count: 2
    environment_variables:
      LOG_LEVEL: info

- name: Scale it (a SKU update alone)
  amlops.bcdr.aml_online_deployment:
    name: blue
    endpoint: fraud-score
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    instance_count: 4

- name: Delete it (once it gets no traffic)
  amlops.bcdr.aml_online_deployment:
    name: blue
    endpoint: fraud-score
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    state: absent
"""

RETURN = r"""
deployment:
  description: The deployment after the change (predicted in check mode). Absent after deletion.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-f/providers/Microsoft.MachineLearningServices/workspaces/mlw-f/onlineEndpoints/fraud-score/deployments/blue
    name:
      description: Name.
      type: str
      sample: blue
    endpoint:
      description: Name of the endpoint.
      type: str
      sample: fraud-score
    location:
      description: Region (the endpoint's).
      type: str
      sample: eastus
    model:
      description: The model version served, as an ARM ID or registry URI.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus/models/fraud/versions/3
    environment:
      description: The environment version, as an ARM ID or registry URI.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-f/providers/Microsoft.MachineLearningServices/workspaces/mlw-f/environments/sklearn-serve/versions/7
    code_id:
      description: ARM ID of the code version, or null.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus/codes/score/versions/1
    scoring_script:
      description: Scoring script within the code, or null.
      type: str
      sample: score.py
    instance_type:
      description: VM size of the instances.
      type: str
      sample: Standard_DS3_v2
    instance_count:
      description: Number of instances (the SKU capacity).
      type: int
      sample: 2
    environment_variables:
      description: Environment variables.
      type: dict
      sample: {"LOG_LEVEL": "info"}
    provisioning_state:
      description: Provisioning state (unknown in check mode before creation).
      type: str
      sample: Succeeded
    tags:
      description: Tags.
      type: dict
      sample: {}
    description:
      description: Description.
      type: str
      sample: ""
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
  sample: {"instance_count": [1, 3]}
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
    DEPLOYMENT_TYPE,
    REFERENCE_FIELDS,
    TRANSITIONAL,
    PlanError,
    deployment_input_errors,
    environment_variables,
    plan_deployment,
    reference_label,
    references_to_check,
    resolve_reference,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import endpoint_service as service
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import workspace_service


class BoundedModule(AzureModule):
    """Clients bounded by the ``timeout``/``retries`` options (the failover scales down a region that may hang)."""

    @property
    def clients(self):
        if self._clients is None:
            self._clients = collection_clients(self)
        return self._clients


class OnlineDeployment(Resource):
    label = "online deployment"
    result_key = "deployment"
    resource_type = DEPLOYMENT_TYPE
    unknown_until_created = dict(provisioning_state=None)

    def __init__(self, module):
        super(OnlineDeployment, self).__init__(module)
        self.workspace = self.params["workspace"]
        self.endpoint = self.params["endpoint"]
        self.endpoint_state = None
        self.missing = None  # what is missing above the deployment: 'workspace' or 'endpoint'
        self.location = None

    def what(self):
        return "online deployment %s of endpoint %s in workspace %s" % (self.name, self.endpoint, self.workspace)

    def _with_place(self, deployment):
        if deployment is not None:
            deployment.update(workspace=self.workspace, resource_group=self.group)
        return deployment

    def read(self, clients):
        self.endpoint_state = service.get_endpoint(clients, self.group, self.workspace, self.endpoint)
        if self.endpoint_state is None:
            ws = workspace_service.get_workspace(clients, self.group, self.workspace)
            self.missing = "workspace" if ws is None else "endpoint"
            self.location = ws["location"] if ws is not None else None
            return None
        self.location = self.endpoint_state["location"]
        return self._with_place(service.get_deployment(clients, self.group, self.workspace, self.endpoint, self.name))

    def plan(self, clients, current):
        params = self.params
        if self.missing:
            if self.state == "absent":
                return dict(action="none", changes={}, after=None, method=None)
            if self.missing == "workspace":
                raise PlanError("workspace: '%s' was not found in resource group '%s'" % (self.workspace, self.group))
            if not self.module.check_mode:
                raise PlanError("endpoint: '%s' was not found in workspace '%s'; create it first "
                                "(amlops.bcdr.aml_online_endpoint)" % (self.endpoint, self.workspace))
        subscription = self.module.auth.subscription_id
        desired = dict(name=self.name, endpoint=self.endpoint, location=self.location,
                       scoring_script=params.get("scoring_script"), instance_type=params.get("instance_type"),
                       instance_count=params.get("instance_count"),
                       environment_variables=environment_variables(params.get("environment_variables")),
                       description=params.get("description"), tags=params.get("tags"))
        refs = {}
        for option in REFERENCE_FIELDS:
            desired[option] = None
            if params.get(option) is not None:
                desired[option], refs[option] = resolve_reference(params[option], option, subscription, self.group,
                                                                  self.workspace)
        plan = plan_deployment(desired, current, self.state,
                               endpoint_traffic=(self.endpoint_state or {}).get("traffic"))
        # Every asset the write will send must exist in the workspace: read before any change.
        for option in references_to_check(plan):
            ref = refs.get(option)
            if ref is None:
                continue  # kept from the current deployment (Azure checked it when it was written)
            if service.asset_exists(clients, ref) is False:
                raise PlanError("%s: %s was not found in workspace '%s' (%s)" % (
                    option, reference_label(ref), ref["owner"], ref["value"]))
        if (plan["action"] == "none" and current is not None and params.get("wait")
                and not self.module.check_mode and current.get("provisioning_state") in TRANSITIONAL):
            # an earlier run (wait: false, or a wait that ran out) left it provisioning: wait as a write would
            plan["after"] = self._with_place(service.wait_deployment(
                clients, self.group, self.workspace, self.endpoint, self.name, params["wait_timeout"]))
        return plan

    def create(self, clients, plan, wait):
        return self._with_place(service.put_deployment(clients, self.group, self.workspace, self.endpoint, self.name,
                                                       plan["after"], **wait))

    def update(self, clients, plan, current, wait):
        if plan["method"] == "scale":
            return self._with_place(service.scale_deployment(clients, self.group, self.workspace, self.endpoint,
                                                             self.name, plan["after"]["instance_count"], **wait))
        return self._with_place(service.put_deployment(clients, self.group, self.workspace, self.endpoint, self.name,
                                                       plan["after"], **wait))

    def delete(self, clients, plan, current, wait):
        service.delete_deployment(clients, self.group, self.workspace, self.endpoint, self.name, **wait)

    def id_names(self):
        return [self.workspace, self.endpoint, self.name]

    def predict(self, plan):
        return dict(super(OnlineDeployment, self).predict(plan), workspace=self.workspace)


def main():
    module = BoundedModule(argument_spec=resource_argument_spec(
        common=WORKSPACE_CHILD_OPTIONS + ("tags",),
        endpoint=dict(type="str", required=True),
        model=dict(type="str"),
        environment=dict(type="str"),
        code_id=dict(type="str"),
        scoring_script=dict(type="str"),
        instance_type=dict(type="str"),
        instance_count=dict(type="int"),
        environment_variables=dict(type="dict"),
        description=dict(type="str"),
        **request_argument_spec()))
    run_resource(module, OnlineDeployment(module), validators=[deployment_input_errors, request_errors])


if __name__ == "__main__":
    main()
