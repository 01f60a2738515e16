#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_compute
short_description: Create, scale or delete an Azure Machine Learning compute cluster (AmlCompute)
version_added: 0.1.0
description:
  - Manages one AmlCompute cluster in an Azure Machine Learning workspace. The disaster-recovery design
    keeps compute in each region of a pair; check both regions' quota first with M(amlops.bcdr.aml_quota_info).
  - Idempotent; supports check mode and C(--diff). Azure changes an existing cluster only through its scale
    settings (O(min_nodes), O(max_nodes), O(idle_time_before_scale_down)), so only those are updated. A different
    O(vm_size), O(vm_priority), O(location), O(remote_login_port_public_access), O(description) or O(tags) for an
    existing cluster fails before any change, naming the field; the module never deletes and re-creates a cluster
    by itself.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description: Name of the cluster (3 to 24 letters, digits or C(-), starting with a letter).
  state:
    description: Whether the cluster should exist.
  location:
    description:
      - Region of the cluster. When unset, the workspace's region is used to create it. Cannot change.
    type: str
  vm_size:
    description: VM size of the nodes, for example C(Standard_DS3_v2). Required to create; cannot change.
    type: str
  vm_priority:
    description: C(Dedicated) or C(LowPriority) nodes. A new cluster gets C(Dedicated) when unset. Cannot change.
    type: str
    choices: [Dedicated, LowPriority]
  min_nodes:
    description: Minimum number of nodes. A new cluster gets 0 when unset; leave unset to keep the current value.
    type: int
  max_nodes:
    description: Maximum number of nodes (1 or more). Required to create; leave unset to keep the current value.
    type: int
  idle_time_before_scale_down:
    description:
      - How long a node stays idle before the cluster scales down, in seconds (C(120)) or as an ISO 8601 duration
        (C(PT2M)); C(120), C(PT2M) and C(PT120S) are the same value and never reported as a change.
      - A new cluster gets 120 seconds, Azure's default, when unset.
    type: raw
  remote_login_port_public_access:
    description:
      - State of the public SSH port of the nodes. Set at creation only; C(NotSpecified) lets Azure decide and
        matches whatever Azure reports afterwards.
    type: str
    choices: [Enabled, Disabled, NotSpecified]
  description:
    description: Description of the cluster. Set at creation only.
    type: str
  tags:
    description: Tags of the cluster. Set at creation only (Azure's cluster update does not take tags).
    type: dict
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.IN_WORKSPACE
  - amlops.bcdr.azure_wait
attributes:
  check_mode:
    description: Can run in check mode and return the predicted cluster (and its ID) without changing anything.
    support: full
  diff_mode:
    description: Returns the cluster before and after the change.
    support: full
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: A CPU training cluster in the primary workspace
  amlops.bcdr.aml_compute:
    name: cpu-cluster
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    vm_size: Standard_DS3_v2
    min_nodes: 0
    max_nodes: 10
    idle_time_before_scale_down: 120
    tags:
      amlops.bcdr/pair: fraud

- name: Scale it out (only the scale settings change)
  amlops.bcdr.aml_compute:
    name: cpu-cluster
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    max_nodes: 20

- name: Delete it
  amlops.bcdr.aml_compute:
    name: cpu-cluster
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    state: absent
"""

RETURN = r"""
compute:
  description: The cluster after the change (predicted in check mode). Absent after deletion.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus/computes/cpu-cluster
    name:
      description: Name.
      type: str
      sample: cpu-cluster
    workspace:
      description: Workspace name.
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
    vm_size:
      description: VM size of the nodes.
      type: str
      sample: Standard_DS3_v2
    vm_priority:
      description: Dedicated or LowPriority.
      type: str
      sample: Dedicated
    min_nodes:
      description: Minimum number of nodes.
      type: int
      sample: 0
    max_nodes:
      description: Maximum number of nodes.
      type: int
      sample: 10
    idle_time_before_scale_down:
      description: Idle time before scale-down, in seconds.
      type: int
      sample: 120
    remote_login_port_public_access:
      description: State of the public SSH port.
      type: str
      sample: Disabled
    description:
      description: Description.
      type: str
      sample: training
    tags:
      description: Tags.
      type: dict
      sample: {"amlops.bcdr/pair": "fraud"}
    compute_type:
      description: Always C(AmlCompute).
      type: str
      sample: AmlCompute
    provisioning_state:
      description: Provisioning state (unknown in check mode before creation).
      type: str
      sample: Succeeded
    current_node_count:
      description: Nodes allocated now.
      type: int
      sample: 0
    allocation_state:
      description: C(Steady) or C(Resizing).
      type: str
      sample: Steady
changes:
  description: Scale settings changed by an update, as C([before, after]).
  returned: always
  type: dict
  sample: {"max_nodes": [4, 10]}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import (
    WORKSPACE_CHILD_OPTIONS,
    AzureModule,
    resource_argument_spec,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import Resource, run_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.compute_plan import (
    PlanError,
    input_errors,
    plan_compute,
    validate_desired,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import compute_service as service
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import workspace_service

DESIRED_OPTIONS = ("location", "vm_size", "vm_priority", "min_nodes", "max_nodes", "idle_time_before_scale_down",
                   "remote_login_port_public_access", "description", "tags")


class Compute(Resource):
    """An AmlCompute cluster of a workspace: it takes the workspace's region, and updates only scale."""

    label = "compute"
    result_key = "compute"
    resource_type = "Microsoft.MachineLearningServices/workspaces/computes"
    unknown_until_created = dict(provisioning_state=None, current_node_count=0, allocation_state=None)

    def __init__(self, module):
        super(Compute, self).__init__(module)
        self.workspace = self.params["workspace"]
        self.workspace_missing = False
        self.desired = None

    def what(self):
        return "compute %s in workspace %s" % (self.name, self.workspace)

    def prepare(self):
        self.desired = validate_desired(dict((k, self.params[k]) for k in DESIRED_OPTIONS))

    def read(self, clients):
        ws = workspace_service.get_workspace(clients, self.group, self.workspace)
        if ws is None:
            self.workspace_missing = True
            return None
        current = service.get_compute(clients, self.group, self.workspace, self.name)
        if current is None and not self.desired.get("location"):
            self.desired["location"] = ws["location"]
        return current

    def plan(self, clients, current):
        if self.workspace_missing:
            # In check mode before a first provision run the workspace may only be planned: predict
            # the cluster from the options alone (its location must then be given).
            if self.state == "absent":
                return dict(action="none", changes={}, after=None)
            if not self.module.check_mode:
                raise PlanError("workspace: '%s' was not found in resource group '%s'" % (self.workspace, self.group))
            if not self.desired.get("location"):
                raise PlanError("location: set it; workspace '%s' does not exist yet, so its region is unknown"
                                % self.workspace)
        try:
            return plan_compute(self.desired, current, self.state)
        except PlanError as exc:
            raise PlanError("compute %s: %s" % (self.name, exc))

    def create(self, clients, plan, wait):
        return service.create_compute(clients, self.group, self.workspace, self.name, plan["after"], **wait)

    def update(self, clients, plan, current, wait):
        return service.update_compute_scale(clients, self.group, self.workspace, self.name, plan["scale"], **wait)

    def delete(self, clients, plan, current, wait):
        service.delete_compute(clients, self.group, self.workspace, self.name, **wait)

    def id_names(self):
        return [self.workspace, self.name]

    def predict(self, plan):
        return dict(super(Compute, self).predict(plan), workspace=self.workspace)

    def diff(self, current, plan, after):
        if self.workspace_missing and self.state == "absent":
            return None  # nothing was read, nothing to show
        return super(Compute, self).diff(current, plan, after)


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        common=WORKSPACE_CHILD_OPTIONS + ("location", "tags"),
        vm_size=dict(type="str"),
        vm_priority=dict(type="str", choices=["Dedicated", "LowPriority"]),
        min_nodes=dict(type="int"),
        max_nodes=dict(type="int"),
        idle_time_before_scale_down=dict(type="raw"),
        remote_login_port_public_access=dict(type="str", choices=["Enabled", "Disabled", "NotSpecified"]),
        description=dict(type="str"),
    ))
    run_resource(module, Compute(module), validators=[input_errors])


if __name__ == "__main__":
    main()
