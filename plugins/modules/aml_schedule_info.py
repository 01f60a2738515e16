#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_schedule_info
short_description: List the schedules of an Azure Machine Learning workspace
version_added: 0.1.0
description:
  - Lists the schedules of a workspace (enabled and disabled ones, unless O(enabled_only)), or reads one by name,
    with their trigger and action as the REST API holds them - what M(amlops.bcdr.aml_schedule_copy) needs to
    recreate them in another workspace, also from a snapshot when this workspace's region is down.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description: Name of one schedule. The list is empty when it does not exist (or is disabled, with O(enabled_only)).
    type: str
  enabled_only:
    description:
      - List only the enabled schedules. By default all of them are listed (the service itself lists only the
        enabled ones when not told otherwise).
    type: bool
    default: false
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.WORKSPACE
  - amlops.bcdr.azure_resource.READ_ONLY
seealso:
  - module: amlops.bcdr.aml_schedule_copy
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Schedules of the primary workspace
  amlops.bcdr.aml_schedule_info:
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
  register: primary_schedules

- name: Is the nightly retraining enabled?
  amlops.bcdr.aml_schedule_info:
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    name: nightly-retrain
  register: nightly
"""

RETURN = r"""
schedules:
  description: The schedules, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name.
      type: str
      sample: nightly-retrain
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus/schedules/nightly
    is_enabled:
      description: Whether the schedule fires.
      type: bool
      sample: true
    display_name:
      description: Display name.
      type: str
      sample: nightly-retrain
    trigger:
      description: The trigger, as the REST API holds it (C(Cron) or C(Recurrence)).
      type: dict
      sample: {"triggerType": "Cron", "expression": "0 2 * * *", "timeZone": "UTC"}
    action:
      description: What the schedule does, as the REST API holds it (C(CreateJob) with its C(jobDefinition), ...).
      type: dict
      sample: {"actionType": "CreateJob", "jobDefinition": {"jobType": "Command", "command": "python train.py",
               "computeId": "/subscriptions/xxx/.../workspaces/mlw-fraud-eastus/computes/cpu-cluster",
               "environmentId": "/subscriptions/xxx/.../workspaces/mlw-fraud-eastus/environments/sklearn/versions/1"}}
    description:
      description: Description.
      type: str
      sample: Retrain the fraud model every night
    tags:
      description: Tags.
      type: dict
      sample: {"team": "risk"}
    properties:
      description: Properties.
      type: dict
      sample: {}
    provisioning_state:
      description: Provisioning state.
      type: str
      sample: Succeeded
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import input_failures, one_or_all, run_info
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import schedule_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import schedule_service as service


def main():
    module = AzureModule(argument_spec=resource_argument_spec(common=("workspace", "resource_group"), wait=False,
                                                              name=dict(type="str"),
                                                              enabled_only=dict(type="bool", default=False)))
    params = module.params
    errors = input_failures(params, (plan.info_errors,))
    if errors:
        module.fail_json(msg="; ".join(errors))
    group, workspace, enabled_only = params["resource_group"], params["workspace"], params["enabled_only"]

    def read(clients):
        found = one_or_all(lambda name: service.get_schedule(clients, group, workspace, name),
                           lambda: service.list_schedules(clients, group, workspace, enabled_only), params["name"])
        if enabled_only:
            found = [s for s in found if s["is_enabled"]]
        return dict(schedules=found)

    run_info(module, "listing the schedules of workspace %s" % workspace, read)


if __name__ == "__main__":
    main()
