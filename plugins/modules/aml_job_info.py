#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_job_info
short_description: List the jobs of an Azure Machine Learning workspace, with what a resubmission needs
version_added: 0.1.0
description:
  - Lists the jobs (command, pipeline, sweep ...) of a workspace, or reads one by name, each with its REST
    definition, the input M(amlops.bcdr.aml_job_copy) resubmits from (its O(amlops.bcdr.aml_job_copy#module:jobs)
    option takes this module's RV(jobs) as they are, for example from a snapshot when the source region is down).
  - Archived jobs are listed too.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01.
options:
  name:
    description: Name of one job. The list is empty when it does not exist.
    type: str
  statuses:
    description:
      - Only jobs in one of these statuses (case-insensitive), for example C(Running) and C(Queued). Default is
        every status.
      - One of C(NotStarted), C(Queued), C(Preparing), C(Provisioning), C(Starting), C(Running), C(Finalizing),
        C(Completed), C(Failed), C(Canceled), C(CancelRequested), C(NotResponding), C(Paused), C(Unknown).
    type: list
    elements: str
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.WORKSPACE
  - amlops.bcdr.azure_requests
  - amlops.bcdr.azure_resource.READ_ONLY
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: The jobs still running or queued in the primary
  amlops.bcdr.aml_job_info:
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    statuses: [NotStarted, Queued, Preparing, Provisioning, Starting, Running, Finalizing]
    timeout: 20
    retries: 1
  register: active_jobs

- name: One job
  amlops.bcdr.aml_job_info:
    workspace: mlw-fraud-eastus
    resource_group: rg-fraud-eastus
    name: train-fraud-2026-11-30
"""

RETURN = r"""
jobs:
  description: The jobs, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the job (unique in its workspace).
      type: str
      sample: train-fraud-2026-11-30
    id:
      description: Resource ID of the job.
      type: str
      sample: /subscriptions/0000/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus/jobs/train-1
    job_type:
      description: C(Command), C(Pipeline), C(Sweep), C(AutoML) ...
      type: str
      sample: Command
    status:
      description: Status of the job.
      type: str
      sample: Running
    compute_id:
      description: Resource ID of the compute it runs on (null for a pipeline without a top-level compute).
      type: str
      sample: /subscriptions/0000/resourceGroups/rg-fraud-eastus/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-eastus/computes/gpu-cluster
    experiment_name:
      description: Experiment of the job.
      type: str
      sample: fraud
    display_name:
      description: Display name.
      type: str
      sample: train fraud model
    tags:
      description: Tags.
      type: dict
      sample: {"team": "fraud"}
    properties:
      description: The job's property bag (the mapping record C(amlops.bcdr.resubmitted_from) of a resubmitted job is here).
      type: dict
      sample: {"amlops.bcdr.resubmitted_from": "/subscriptions/0000/.../workspaces/mlw-fraud-westus/jobs/train-fraud-2026-11-30"}
    created_at:
      description: When the job was submitted (ISO 8601), when Azure says.
      type: str
      sample: "2026-11-30T16:05:00Z"
    definition:
      description: The job's REST properties (camelCase, as Azure answers them), what a resubmission sends.
      type: dict
      sample: {"jobType": "Command", "command": "python train.py", "computeId": "/subscriptions/0000/.../computes/gpu-cluster",
               "environmentId": "azureml:/subscriptions/0000/.../environments/sklearn-env/versions/1", "status": "Running"}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import scrub
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec, secrets_of
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import (collection_clients, input_failures, one_or_all,
                                                                              request_argument_spec, request_errors, run_info)
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import job_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import job_service as service


def main():
    spec = resource_argument_spec(common=("workspace", "resource_group"), wait=False, name=dict(type="str"),
                                  statuses=dict(type="list", elements="str"))
    spec.update(request_argument_spec())
    module = AzureModule(argument_spec=spec)
    params = module.params
    errors = input_failures(params, (request_errors, plan.info_errors))
    if errors:
        module.fail_json(msg=scrub("; ".join(errors), secrets=secrets_of(module)))
    group, workspace = params["resource_group"], params["workspace"]

    def read(_clients):
        clients = collection_clients(module)  # bounded by timeout/retries: the sync reads a region that may hang
        found = one_or_all(lambda name: service.get_job(clients, group, workspace, name),
                           lambda: service.list_jobs(clients, group, workspace), params["name"])
        if params["statuses"] is not None:
            found = plan.selected(found, params["statuses"])
        return dict(jobs=sorted(found, key=lambda j: j["name"] or ""))

    run_info(module, "listing the jobs of workspace %s" % workspace, read)


if __name__ == "__main__":
    main()
