#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_dr_state_info
short_description: Read the DR state marker of the workspaces of a pair, best effort
version_added: 0.1.0
description:
  - Reads the state tags (C(amlops.bcdr.state.*)) of the workspaces given, all at the same time, each bounded by
    O(timeout) with O(retries) retries. A workspace whose region does not answer (errors, hangs) is returned with
    C(reachable=false) and the reason; the module does not fail for it.
  - When a C(primary) and a C(secondary) workspace are given, also returns the pair's C(resolution) - who is
    active (highest epoch), which side is stale (fenced), whether the answer is partial. It fails, with one line,
    only when neither answered.
  - Never changes anything. The P(amlops.bcdr.active_workspace#lookup) lookup gives the same resolution in a
    template.
options:
  workspaces:
    description: The workspaces to read.
    type: list
    elements: dict
    required: true
    suboptions:
      role:
        description: The workspace's region role in the pair.
        type: str
        choices: [primary, secondary]
      name:
        description: Name of the workspace.
        type: str
        required: true
      resource_group:
        description: Resource group of the workspace.
        type: str
        required: true
      subscription_id:
        description: Its subscription, when not the one of the credentials.
        type: str
  timeout:
    description: Seconds allowed for each request (to connect, and to read the answer).
    type: int
    default: 10
  retries:
    description: Retries of a request that timed out or got a transient error (429, 5xx).
    type: int
    default: 1
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
seealso:
  - module: amlops.bcdr.aml_dr_state
  - plugin: amlops.bcdr.active_workspace
    plugin_type: lookup
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Read both sides of the pair (the primary region may be down)
  amlops.bcdr.aml_dr_state_info:
    workspaces:
      - {role: primary, name: mlw-fraud-eastus, resource_group: rg-fraud-eastus}
      - {role: secondary, name: mlw-fraud-westus, resource_group: rg-fraud-westus}
    timeout: 5
  register: dr

- name: Say who is active
  ansible.builtin.debug:
    msg: "{{ dr.resolution.message }}"
"""

RETURN = r"""
workspaces:
  description: One entry per workspace given, in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    role:
      description: The role given.
      type: str
      sample: primary
    name:
      description: Workspace name.
      type: str
      sample: mlw-fraud-eastus
    resource_group:
      description: Resource group.
      type: str
    subscription_id:
      description: Subscription read.
      type: str
    reachable:
      description: Whether the workspace answered.
      type: bool
    error:
      description: Why it did not answer (one line), else null.
      type: str
      sample: "reading workspace mlw-fraud-eastus failed: no valid response from Azure in region eastus: timed out"
    provisioning_state:
      description: The workspace's provisioning state when it answered.
      type: str
      sample: Succeeded
    location:
      description: The workspace's region when it answered.
      type: str
      sample: eastus
    dr_state:
      description: Its state - C(active), C(epoch), C(switched_at), C(last_sync), C(sync_source), C(sync_counts), C(claims).
      type: dict
      sample: {"active": "primary", "epoch": 1, "switched_at": "2026-11-30T09:00:00Z", "last_sync": null,
               "sync_source": null, "sync_counts": {}, "claims": true}
    state_errors:
      description: One line per malformed state tag (that workspace then counts as claiming nothing).
      type: list
      elements: str
    tags:
      description: Its C(amlops.bcdr.state.) tags.
      type: dict
resolution:
  description:
    - Who is active (C(active), C(epoch)), and C(partial), C(unreachable), C(stale), C(in_sync), C(conflict),
      C(invalid), C(message). See C(resolve_active) in C(pair/dr_state.py).
  returned: when a primary and a secondary workspace are given
  type: dict
  sample: {"active": "secondary", "epoch": 2, "partial": true, "stale": [],
           "unreachable": {"primary": "reading workspace mlw-fraud-eastus failed: ..."},
           "message": "secondary is active at epoch 2; primary did not answer (...): partial answer"}
"""

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amlops.bcdr.plugins.module_utils.core.clients import best_effort_clients
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import scrub
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, secrets_of
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import input_failures, run_info
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.workspace_service import get_workspace_best_effort
from ansible_collections.amlops.bcdr.plugins.module_utils.pair import dr_state as ds

STATE_KEYS = ("active", "epoch", "switched_at", "last_sync", "sync_source", "sync_counts", "claims")


def option_errors(params):
    errors = ds.input_errors(dict(timeout=params.get("timeout")))
    if params.get("retries") is not None and params["retries"] < 0:
        errors.append("retries: must not be negative, got %s" % params["retries"])
    roles = [w.get("role") for w in params.get("workspaces") or [] if w.get("role")]
    for role in sorted(set(r for r in roles if roles.count(r) > 1)):
        errors.append("workspaces: role %s is given twice (a pair has one workspace per role)" % role)
    if not params.get("workspaces"):
        errors.append("workspaces: give at least one workspace")
    return errors


def main():
    module = AzureModule(argument_spec=dict(
        workspaces=dict(type="list", elements="dict", required=True, options=dict(
            role=dict(type="str", choices=list(ds.ROLES)),
            name=dict(type="str", required=True),
            resource_group=dict(type="str", required=True),
            subscription_id=dict(type="str"),
        )),
        timeout=dict(type="int", default=10),
        retries=dict(type="int", default=1),
    ))
    errors = input_failures(module.params, [option_errors])
    if errors:
        module.fail_json(msg="; ".join(errors))
    params = module.params
    secrets = secrets_of(module)
    auth = module.auth  # resolved once, before the threads share it

    def read_one(entry):
        clients = best_effort_clients(auth, params["timeout"], params["retries"],
                                      subscription_id=entry.get("subscription_id"))
        found, reason = get_workspace_best_effort(clients, entry["resource_group"], entry["name"])
        label = "%s workspace" % (entry.get("role") or entry["name"])
        state = ds.parse_state(ds.state_tags(found["tags"]) if found else {}, label)
        return dict(role=entry.get("role"), name=entry["name"], resource_group=entry["resource_group"],
                    subscription_id=entry.get("subscription_id") or auth.subscription_id,
                    reachable=found is not None, error=scrub(reason, secrets=secrets) if reason else None,
                    provisioning_state=(found or {}).get("provisioning_state"), location=(found or {}).get("location"),
                    dr_state=dict((k, state[k]) for k in STATE_KEYS), state_errors=state["errors"],
                    tags=ds.state_tags((found or {}).get("tags")))

    def read(clients):
        with ThreadPoolExecutor(max_workers=max(1, len(params["workspaces"]))) as pool:
            found = list(pool.map(read_one, params["workspaces"]))
        result = dict(workspaces=found)
        by_role = dict((w["role"], w) for w in found if w["role"])
        if set(by_role) == set(ds.ROLES):
            tags = [by_role[r]["tags"] if by_role[r]["reachable"] else None for r in ds.ROLES]
            unreachable = dict((r, by_role[r]["error"]) for r in ds.ROLES if not by_role[r]["reachable"])
            result["resolution"] = ds.resolve_active(tags[0], tags[1], unreachable=unreachable, ignore_invalid=True)
        return result

    run_info(module, "reading the DR state", read)


if __name__ == "__main__":
    main()
