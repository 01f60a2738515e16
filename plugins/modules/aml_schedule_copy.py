#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_schedule_copy
short_description: Recreate the schedules of one Azure Machine Learning workspace in another, and disable them in the first
version_added: 0.1.0
description:
  - Recreates each schedule of the source workspace in the target workspace under the same name - its trigger,
    description, tags and properties, and its action with the job definition's compute, environment, code,
    component, data and datastore references mapped to the target workspace's own (same names and versions;
    computes renamed by O(compute_map)), as M(amlops.bcdr.aml_job_copy) maps a job's. Registry references are kept.
  - Each mapped reference is checked in the target (one read each) before anything is written. A schedule whose
    reference is missing there (for example a compute the target lacks) is not copied and is listed in
    RV(not_copied) with the reason; it is left enabled in the source.
  - A schedule the target already has is updated when it differs (RV(updated)), else left alone (RV(unchanged));
    a rerun changes nothing.
  - With O(disable_source) (the default), each schedule the target has after the run is disabled in the source
    when the source answers, so that the same schedule never fires in both workspaces. Best effort - a source that
    does not answer within O(timeout) and O(retries) is reported in RV(source_not_disabled), not a failure.
  - With O(schedules) the source is not listed; the schedules are taken as given, for example from the snapshot
    the last sync recorded in the target (M(amlops.bcdr.aml_schedule_info)'s
    RV(amlops.bcdr.aml_schedule_info#module:schedules)). The source is still asked, bounded, to disable them.
  - Supports check mode (the exact plan) and C(--diff) (the schedules in the target, before and after).
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01; both workspaces in the subscription the
    module signs in to.
options:
  schedules:
    description:
      - The source schedules, as M(amlops.bcdr.aml_schedule_info) returns them (C(name), C(id), C(trigger),
        C(action) are needed), used instead of listing the source workspace.
      - Each schedule's references are mapped from the workspace of its own C(id).
    type: list
    elements: dict
  disable_source:
    description:
      - Disable in the source each schedule the target has after the run (those copied, updated or unchanged),
        unless O(enable_target=false) (a schedule disabled in both workspaces would never fire).
    type: bool
    default: true
  enable_target:
    description:
      - Whether the schedules written in the target are enabled. With C(false) they are recreated disabled (a
        rehearsal) and the source's are left as they are.
      - A schedule disabled in the source is copied enabled too (the source's may have been disabled by an earlier
        run of this module).
    type: bool
    default: true
  compute_map:
    description:
      - Source compute name -> target compute name, for computes named differently in the target. A compute not
        listed keeps its name.
    type: dict
  wait_timeout:
    description: How long to wait, in seconds, for the service to finish writing one schedule in the target.
    type: int
    default: 300
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_requests
  - amlops.bcdr.azure_copy
  - amlops.bcdr.azure_resource.CHECK_AND_DIFF
seealso:
  - module: amlops.bcdr.aml_schedule_info
  - module: amlops.bcdr.aml_job_copy
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Move the primary's schedules to the secondary (failover)
  amlops.bcdr.aml_schedule_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
    timeout: 10
    retries: 1
  register: moved

- name: The same with the primary down, from the schedules the last sync recorded
  amlops.bcdr.aml_schedule_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
    schedules: "{{ snapshot.snapshot.content.schedules }}"
    timeout: 10
    retries: 1
"""

RETURN = r"""
created:
  description: Schedules created in the target (to be, in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "schedule:nightly-retrain", "action": "create", "name": "nightly-retrain",
            "reason": "not in the target", "changes": [], "source_action": "disable",
            "source_reason": "enabled in the source", "is_enabled": true, "seconds": 1.1,
            "source_id": "/subscriptions/0000/.../workspaces/mlw-fraud-eastus/schedules/nightly-retrain",
            "target_id": "/subscriptions/0000/.../workspaces/mlw-fraud-westus/schedules/nightly-retrain"}]
updated:
  description: Schedules the target had that differed, updated (C(changes) names the fields).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "schedule:hourly-score", "action": "update", "name": "hourly-score",
            "reason": "differs in the target: trigger", "changes": ["trigger"], "source_action": "none",
            "source_reason": "already disabled in the source"}]
unchanged:
  description: Schedules the target already has as they should be.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "schedule:weekly-report", "action": "skip", "name": "weekly-report",
            "reason": "the same in the target", "changes": [], "source_action": "none",
            "source_reason": "already disabled in the source"}]
not_copied:
  description: Schedules not copied because a reference is missing in the target, each with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "train-gpu", "reason": "compute 'gpu-cluster' does not exist in mlw-fraud-westus"}]
disabled_in_source:
  description: Schedules disabled in the source (to be, in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "nightly-retrain",
            "id": "/subscriptions/0000/.../workspaces/mlw-fraud-eastus/schedules/nightly-retrain"}]
source_not_disabled:
  description: Schedules the target has that could not be disabled in the source (it did not answer), with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "nightly-retrain",
            "reason": "the source did not answer: reading the source workspace 'mlw-fraud-eastus' failed: ... timed out"}]
failed_items:
  description: Schedules whose write in the target failed, each with C(error); the others still ran (the module fails).
  returned: always
  type: list
  elements: dict
  sample: []
schedules:
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
  sample: [{"key": "schedule:nightly-retrain", "action": "create", "reason": "not in the target"}]
summary:
  description: Number of items per action, and of failed items.
  returned: always
  type: dict
  sample: {"create": 1, "skip": 1, "not_copied": 1, "failed": 0}
seconds:
  description: Time the module took.
  returned: always
  type: float
  sample: 1.3
"""

import threading

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError, scrub
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, azure_errors, secrets_of
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import request_argument_spec, run_collection
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_timeout_errors
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import job_plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import job_service
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import schedule_plan as plan
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import schedule_service as service

# run_collection's list keys that this module replaces with the contract's (plan.outcome_lists)
_RUNNER_KEYS = ("copied", "deleted", "skip", "disable_source", "not_copied", "unchanged", "created", "updated")


class ScheduleCopy(object):
    def __init__(self, module):
        self.module = module
        p = module.params
        self.source = dict(group=p["source_resource_group"], workspace=p["source_workspace"])
        self.target = dict(group=p["target_resource_group"], workspace=p["target_workspace"])
        self.bodies = {}     # item key -> the REST properties to write in the target
        self.live = {}       # item key -> the source's schedule as read now (to disable it)
        self._exists = {}    # reference ARM ID (lower case) -> exists in the target
        self._lock = threading.Lock()

    def on(self, side, doing="reading"):
        where = self.source if side == "source" else self.target
        return azure_errors("%s the %s workspace '%s'" % (doing, side, where["workspace"]))

    def exists(self, clients, ref):
        key = ref["id"].lower()
        with self._lock:
            if key in self._exists:
                return self._exists[key]
        with self.on("target"):
            found = job_service.reference_exists(clients, self.target["group"], self.target["workspace"], ref)
        with self._lock:
            self._exists[key] = found
        return found

    def read_source(self, clients):
        """(the source's schedules by lower-case name, None) or (None, why) when it does not answer."""
        try:
            with self.on("source"):
                listed = service.list_schedules(clients, self.source["group"], self.source["workspace"])
        except AzureOperationError as exc:
            why = "the source did not answer: %s" % exc
            return None, scrub(why, secrets=secrets_of(self.module))
        return dict((s["name"].lower(), s) for s in listed), None

    def plan_items(self, clients):
        p = self.module.params
        target_ws = job_plan.workspace_id(self.module.auth.subscription_id, self.target["group"],
                                          self.target["workspace"])
        live, source_error = {}, None
        if p.get("schedules") is None:
            with self.on("source"):  # nothing to copy without it: a source that does not answer fails the run
                listed = service.list_schedules(clients, self.source["group"], self.source["workspace"])
            live = dict((s["name"].lower(), s) for s in listed)
            sources = listed
        else:
            sources = sorted(p["schedules"], key=lambda s: s["name"])
            if p["disable_source"]:
                live, source_error = self.read_source(clients)
        with self.on("target"):
            in_target = dict((s["name"].lower(), s) for s in
                             service.list_schedules(clients, self.target["group"], self.target["workspace"]))
        items = []
        for source in sources:
            wanted = plan.target_properties(source, target_ws, p.get("compute_map"), p["enable_target"])
            definition = (wanted.get("action") or {}).get("jobDefinition") or {}
            missing = [ref for ref in job_plan.references(definition, target_ws) if not self.exists(clients, ref)]
            item = plan.plan_schedule(source, in_target.get(source["name"].lower()), wanted, missing, target_ws,
                                      source_live=(live or {}).get(source["name"].lower()),
                                      disable_source=p["disable_source"], source_error=source_error)
            self.bodies[item["key"]] = wanted
            self.live[item["key"]] = (live or {}).get(source["name"].lower())
            items.append(item)
        return items

    def apply_item(self, clients, item):
        p = self.module.params
        out = {}
        if item["action"] in ("create", "update"):
            with self.on("target", "writing schedule %s in" % item["name"]):
                done = service.put_schedule(clients, self.target["group"], self.target["workspace"], item["name"],
                                            self.bodies[item["key"]], p["wait_timeout"])
            if done is not None:
                out.update(target_id=done["id"], is_enabled=done["is_enabled"])
        if item["source_action"] == plan.DISABLE:
            # best effort: the target has the schedule now; a source that stops answering is reported
            props = plan.rest_properties(self.live[item["key"]])
            props["isEnabled"] = False
            try:
                with self.on("source", "disabling schedule %s in" % item["name"]):
                    service.put_schedule(clients, self.source["group"], self.source["workspace"], item["name"],
                                         props, p["timeout"] * (p["retries"] + 1))
            except AzureOperationError as exc:
                out.update(source_action=plan.UNREACHABLE,
                           source_reason=scrub(str(exc), secrets=secrets_of(self.module)))
        return out


def _shaped(result):
    """run_collection's result under the contract's keys (plan.outcome_lists); ``changed`` when the target
    or the source changed (a source that did not answer changed nothing)."""
    if "plan" not in result:  # bad input or a failed read: the one line alone
        return result
    for key in _RUNNER_KEYS:
        result.pop(key, None)
    result.update(plan.outcome_lists(result["schedules"]))
    result["changed"] = bool(result["created"] or result["updated"] or result["disabled_in_source"])
    return result


def option_errors(params):
    return plan.input_errors(params) + wait_timeout_errors(params.get("wait_timeout"))


def main():
    spec = dict(
        source_workspace=dict(type="str", required=True),
        source_resource_group=dict(type="str", required=True),
        target_workspace=dict(type="str", required=True),
        target_resource_group=dict(type="str", required=True),
        schedules=dict(type="list", elements="dict"),
        disable_source=dict(type="bool", default=True),
        enable_target=dict(type="bool", default=True),
        compute_map=dict(type="dict"),
        wait_timeout=dict(type="int", default=300),
    )
    spec.update(request_argument_spec())
    module = AzureModule(argument_spec=spec, supports_check_mode=True)
    exit_json, fail_json = module.exit_json, module.fail_json
    module.exit_json = lambda **result: exit_json(**_shaped(result))
    module.fail_json = lambda **result: fail_json(**_shaped(result))
    copier = ScheduleCopy(module)
    run_collection(module, copier.plan_items, copier.apply_item, validators=(option_errors,),
                   result_key="schedules", changing_actions=("create", "update", "disable_source"))


if __name__ == "__main__":
    main()
