#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_job_copy
short_description: Resubmit the unfinished jobs of one Azure Machine Learning workspace in another (after a failover)
version_added: 0.1.0
description:
  - Resubmits each job of the source workspace whose status is one of O(statuses) (by default the jobs that had
    not finished) in the target workspace, under the same job name (job names are per workspace).
  - The job's compute, environment, code, component, data and datastore references (ARM IDs, C(azureml:) + ARM ID,
    C(azureml:<name>:<version>), C(azureml://subscriptions/.../workspaces/<ws>/datastores/...) URIs in inputs and
    outputs, a pipeline's child jobs and C(settings.default_compute)) are mapped to the target workspace's own,
    same names and versions; computes renamed by O(compute_map). Registry references are kept.
  - Each mapped reference is checked in the target (one read each) before anything is submitted. A job whose
    reference is missing there (for example a compute the target lacks) is not submitted and is listed in
    RV(not_resubmitted) with the reason.
  - The resubmitted job carries the property C(amlops.bcdr.resubmitted_from) = the source job's resource ID (the
    mapping record). A target job with the same name and that record is RV(unchanged) on a rerun; a target job
    with the same name and without it (or from another job) is a conflict, reported and left alone.
  - With O(jobs) the source is not read at all (a region that is down); the jobs are taken as given, for example
    from the snapshot the last sync recorded in the target (M(amlops.bcdr.aml_job_info)'s RV(amlops.bcdr.aml_job_info#module:jobs)).
  - The source jobs are left as they are (a failover fences the old region; cancel them there when it answers).
  - Supports check mode (the exact plan) and C(--diff) (which of the selected jobs exist in the target by name, before and after).
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01; both workspaces in the subscription the
    module signs in to.
options:
  jobs:
    description:
      - The source jobs, as M(amlops.bcdr.aml_job_info) returns them (C(name), C(id), C(status), C(definition)
        are needed), used instead of reading the source workspace. O(statuses) still selects among them.
      - Each job's references are mapped from the workspace of its own C(id).
    type: list
    elements: dict
  statuses:
    description:
      - Resubmit the jobs in one of these statuses (case-insensitive). Jobs in other statuses are not looked at.
      - Default is the statuses of a job that has not finished.
    type: list
    elements: str
    default: [NotStarted, Queued, Preparing, Provisioning, Starting, Running, Finalizing]
  compute_map:
    description:
      - Source compute name -> target compute name, for computes named differently in the target. A compute not
        listed keeps its name.
    type: dict
  parallelism:
    description: How many jobs are submitted at the same time (1 to 32).
    type: int
    default: 4
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_requests
  - amlops.bcdr.azure_copy
  - amlops.bcdr.azure_resource.CHECK_AND_DIFF
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Resubmit the primary's unfinished jobs in the secondary
  amlops.bcdr.aml_job_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
    compute_map:
      gpu-cluster-eastus: gpu-cluster-westus
  register: resubmission

- name: The same with the primary down, from the jobs the last sync recorded
  amlops.bcdr.aml_job_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
    jobs: "{{ snapshot.snapshot.content.jobs }}"
"""

RETURN = r"""
resubmitted:
  description: Jobs submitted in the target (to be, in check mode, where C(status) is null).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "job:train-fraud", "action": "resubmit", "reason": "Running in the source, not in the target",
            "name": "train-fraud", "source_status": "Running", "status": "Running", "seconds": 0.4,
            "source_id": "/subscriptions/0000/.../workspaces/mlw-fraud-eastus/jobs/train-fraud",
            "target_id": "/subscriptions/0000/.../workspaces/mlw-fraud-westus/jobs/train-fraud"}]
unchanged:
  description: Jobs already resubmitted from the same source job (their mapping record says so).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "job:train-fraud", "action": "skip", "name": "train-fraud", "status": "Running",
            "reason": "already resubmitted from the source job (amlops.bcdr.resubmitted_from)",
            "source_id": "/subscriptions/0000/.../workspaces/mlw-fraud-eastus/jobs/train-fraud",
            "target_id": "/subscriptions/0000/.../workspaces/mlw-fraud-westus/jobs/train-fraud"}]
not_resubmitted:
  description: Jobs not submitted because a reference is missing in the target, each with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "job:train-gpu", "action": "not_resubmitted", "name": "train-gpu",
            "reason": "compute 'gpu-cluster' does not exist in mlw-fraud-westus"}]
conflicts:
  description: Source jobs whose name a job in the target already has that was not resubmitted from them; left alone.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "job:prep", "action": "conflict", "name": "prep",
            "reason": "a job named 'prep' already exists in the target and was not resubmitted by this collection; left alone"}]
failed_items:
  description: Jobs whose submission failed, each with C(error); the other jobs still ran (the module fails).
  returned: always
  type: list
  elements: dict
  sample: []
jobs:
  description: Every item, whatever its outcome.
  returned: always
  type: list
  elements: dict
  sample: []
plan:
  description: Every item of the plan, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "job:train-fraud", "action": "resubmit", "reason": "Running in the source, not in the target"}]
summary:
  description: Number of items per action, and of failed items.
  returned: always
  type: dict
  sample: {"resubmit": 1, "skip": 2, "not_resubmitted": 1, "failed": 0}
seconds:
  description: Time the module took.
  returned: always
  type: float
  sample: 1.3
"""

import threading

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, azure_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import request_argument_spec, run_collection
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import job_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import job_service as service

# run_collection's list keys that a resubmission has no use for
_UNUSED_KEYS = ("copied", "created", "updated", "deleted")


class Resubmission(object):
    def __init__(self, module):
        self.module = module
        p = module.params
        self.source = dict(group=p["source_resource_group"], workspace=p["source_workspace"])
        self.target = dict(group=p["target_resource_group"], workspace=p["target_workspace"])
        self.bodies = {}     # item key -> the job properties to submit
        self._exists = {}    # reference ARM ID (lower case) -> exists in the target
        self._lock = threading.Lock()

    def on(self, side):
        where = self.source if side == "source" else self.target
        return azure_errors("reading the %s workspace '%s'" % (side, where["workspace"]))

    def exists(self, clients, ref):
        key = ref["id"].lower()
        with self._lock:
            if key in self._exists:
                return self._exists[key]
        with self.on("target"):
            found = service.reference_exists(clients, self.target["group"], self.target["workspace"], ref)
        with self._lock:
            self._exists[key] = found
        return found

    def plan_items(self, clients):
        p = self.module.params
        subscription = self.module.auth.subscription_id
        target_ws = plan.workspace_id(subscription, self.target["group"], self.target["workspace"])
        if p.get("jobs") is not None:
            found = p["jobs"]
        else:
            with self.on("source"):
                found = service.list_jobs(clients, self.source["group"], self.source["workspace"])
        jobs = plan.selected(found, p["statuses"])
        with self.on("target"):
            in_target = dict((j["name"].lower(), j) for j in
                             service.list_jobs(clients, self.target["group"], self.target["workspace"]))
        items = []
        for job in jobs:
            current = in_target.get(job["name"].lower())
            mapped, missing = None, []
            if current is None:
                mapped = plan.map_references(job["definition"], plan.workspace_of(job["id"]), target_ws,
                                             p.get("compute_map"))
                missing = [ref for ref in plan.references(mapped, target_ws) if not self.exists(clients, ref)]
            item = plan.plan_job(job, current, target_ws, missing)
            if item["action"] == "resubmit":
                self.bodies[item["key"]] = plan.resubmission(job, mapped)
            items.append(item)
        return items

    def apply_item(self, clients, item):
        job = service.submit_job(clients, self.target["group"], self.target["workspace"], item["name"],
                                 self.bodies[item["key"]])
        return dict(target_id=job["id"], status=job["status"])


def _shaped(module, result):
    """run_collection's result under the contract's keys: resubmit items in ``resubmitted``, the
    not-submitted ones in ``not_resubmitted``; --diff lists the job names in the target."""
    if "plan" not in result:  # bad input or a failed read: the one line alone
        return result
    result["resubmitted"] = result.pop("resubmit", [])
    result.setdefault("not_resubmitted", [])
    for key in _UNUSED_KEYS:
        result.pop(key, None)
    if "diff" in result:
        before = sorted(i["name"] for i in result["unchanged"] + result["conflicts"])
        after = sorted(before + [i["name"] for i in result["resubmitted"]])
        result["diff"] = dict(before="".join(n + "\n" for n in before), after="".join(n + "\n" for n in after))
    return result


def main():
    spec = dict(
        source_workspace=dict(type="str", required=True),
        source_resource_group=dict(type="str", required=True),
        target_workspace=dict(type="str", required=True),
        target_resource_group=dict(type="str", required=True),
        jobs=dict(type="list", elements="dict"),
        statuses=dict(type="list", elements="str", default=list(plan.ACTIVE_STATUSES)),
        compute_map=dict(type="dict"),
        parallelism=dict(type="int", default=4),
    )
    spec.update(request_argument_spec())
    module = AzureModule(argument_spec=spec, supports_check_mode=True)
    exit_json, fail_json = module.exit_json, module.fail_json
    module.exit_json = lambda **result: exit_json(**_shaped(module, result))
    module.fail_json = lambda **result: fail_json(**_shaped(module, result))
    resubmission = Resubmission(module)
    run_collection(module, resubmission.plan_items, resubmission.apply_item, validators=(plan.input_errors,),
                   parallelism=module.params["parallelism"], result_key="jobs", changing_actions=("resubmit",))


if __name__ == "__main__":
    main()
