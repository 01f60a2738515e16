#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_dr_state
short_description: Write the DR state marker (active region, epoch, sync record) on one workspace of a pair
version_added: 0.1.0
description:
  - Writes the state tags of one Azure Machine Learning workspace of a DR pair, under the reserved
    C(amlops.bcdr.state.) prefix - C(active) (the region role this workspace believes is active),
    C(epoch) (grows with every switch), C(switched_at), and the sync's RPO record C(last_sync),
    C(sync_source), C(sync_counts). See the failover documentation for where the marker lives and why.
  - Only the state tags change. The workspace's other tags are kept (the module reads them and sends
    them back with the change, since an ARM PATCH replaces the tags as a whole).
  - Fencing - a claim is never written with an epoch lower than the workspace's, nor the same epoch
    naming another region; such a request fails before any change.
  - Meant to be called against a region that may be down - every request is bounded by O(timeout)
    with few retries, so a call to a failed region fails fast with one line naming the region.
  - Idempotent; supports check mode and C(--diff) (the state tags before and after).
  - To read both workspaces of a pair and decide which one is active, use the
    P(amlops.bcdr.active_workspace#lookup) lookup.
options:
  name:
    description: Name of the workspace.
    type: str
    required: true
  resource_group:
    description: Resource group of the workspace.
    type: str
    required: true
  state:
    description:
      - C(present) writes the claim and/or the sync record given.
      - C(absent) removes every C(amlops.bcdr.state.) tag (the pair then resolves as if never switched).
    type: str
    choices: [present, absent]
    default: present
  active:
    description:
      - The region role to record as active. Requires or computes O(epoch).
    type: str
    choices: [primary, secondary]
  epoch:
    description:
      - The epoch of the claim. Must not be lower than the workspace's; the same epoch must name the same
        region.
      - When omitted with O(active), the workspace's epoch is kept if it already names O(active), else the
        workspace's epoch plus one. A failover computes it over both workspaces instead
        (highest epoch seen plus one) and passes it here.
    type: int
  switched_at:
    description:
      - ISO-8601 UTC time of the switch (C(2026-11-30T13:51:41Z)). Defaults to now when the claim changes;
        an unchanged claim keeps its time.
    type: str
  sync_record:
    description: The record of a successful sync into this workspace (its RPO).
    type: dict
    suboptions:
      finished_at:
        description: ISO-8601 UTC time the sync finished.
        type: str
        required: true
      source:
        description: The region role synced from.
        type: str
        required: true
        choices: [primary, secondary]
      counts:
        description: "Assets covered, per type, for example C({models: 12, environments: 4})."
        type: dict
  timeout:
    description:
      - Seconds allowed for each request (to connect, and to read the answer). The whole write is bounded
        by three times this.
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
    description: Returns the state tags that would be written, without writing.
    support: full
  diff_mode:
    description: Returns the workspace's state tags before and after.
    support: full
seealso:
  - plugin: amlops.bcdr.active_workspace
    plugin_type: lookup
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Make the secondary active at epoch 2 (in the secondary, then in the primary if it answers)
  amlops.bcdr.aml_dr_state:
    name: "{{ item }}"
    resource_group: "{{ 'rg-fraud-westus' if item.endswith('westus') else 'rg-fraud-eastus' }}"
    active: secondary
    epoch: 2
    timeout: 5
  loop: [mlw-fraud-westus, mlw-fraud-eastus]
  ignore_errors: "{{ item == 'mlw-fraud-eastus' }}"

- name: Record a finished sync into the secondary (its RPO)
  amlops.bcdr.aml_dr_state:
    name: mlw-fraud-westus
    resource_group: rg-fraud-westus
    sync_record:
      finished_at: "{{ now(utc=true, fmt='%Y-%m-%dT%H:%M:%SZ') }}"
      source: primary
      counts: {models: 12, environments: 4}
"""

RETURN = r"""
dr_state:
  description: The workspace's state after the change (predicted in check mode).
  returned: when O(state=present)
  type: dict
  contains:
    active:
      description: The region role this workspace records as active, or null without a marker.
      type: str
      sample: secondary
    epoch:
      description: The epoch of that claim (0 without a marker).
      type: int
      sample: 2
    switched_at:
      description: When the switch that wrote this epoch happened.
      type: str
      sample: "2026-11-30T13:51:41Z"
    last_sync:
      description: When the last successful sync into this workspace finished.
      type: str
      sample: "2026-11-30T13:40:00Z"
    sync_source:
      description: The region role the last sync copied from.
      type: str
      sample: primary
    sync_counts:
      description: Assets covered by the last sync, per type.
      type: dict
      sample: {"models": 12, "environments": 4}
tags:
  description: The workspace's C(amlops.bcdr.state.) tags after the change (the other tags are not returned).
  returned: always
  type: dict
  sample: {"amlops.bcdr.state.active": "secondary", "amlops.bcdr.state.epoch": "2",
           "amlops.bcdr.state.switched_at": "2026-11-30T13:51:41Z"}
changes:
  description: State tags changed, as C([before, after]) (null for a tag absent on that side).
  returned: always
  type: dict
  sample: {"amlops.bcdr.state.epoch": ["1", "2"]}
"""

import datetime

from ansible_collections.amlops.bcdr.plugins.module_utils.core.clients import best_effort_clients
from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import make_diff
from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import Resource, run_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import workspace_service as service
from ansible_collections.amlops.bcdr.plugins.module_utils.pair import dr_state as ds


class BoundedModule(AzureModule):
    """An AzureModule whose clients give up quickly: the region on the other end may be down."""

    @property
    def clients(self):
        if self._clients is None:
            self._clients = best_effort_clients(self.auth, self.params["timeout"], self.params["retries"])
        return self._clients


def option_errors(params):
    errors = ds.input_errors(params)
    if params.get("retries") is not None and params["retries"] < 0:
        errors.append("retries: must not be negative, got %s" % params["retries"])
    if params.get("epoch") is not None and params.get("active") is None:
        errors.append("epoch: needs active (the region role the epoch's claim names)")
    elif params["state"] == "present" and params.get("active") is None and params.get("sync_record") is None:
        errors.append("active: set active (with epoch) and/or sync_record; to remove the state tags use state: absent")
    return errors


class DrStateMarker(Resource):
    label = "workspace"

    def what(self):
        return "state tags of workspace %s" % self.name

    def read(self, clients):
        workspace = service.get_workspace(clients, self.group, self.name)
        if workspace is None:
            raise AzureOperationError("workspace %s was not found in resource group %s: the state marker lives on an "
                                      "existing workspace" % (self.name, self.group), code="NotFound", status=404)
        return workspace

    def desired_state_tags(self, current):
        """The state tags after the change (a pure decision on the workspace's current tags)."""
        params = self.params
        have = ds.state_tags(current["tags"])
        if self.state == "absent":
            return {}
        want = dict(have)
        active = params.get("active")
        if active is not None:
            now = ds.parse_state(have)
            epoch = params.get("epoch")
            if epoch is None:
                epoch = now["epoch"] if now["claims"] and now["active"] == active else now["epoch_seen"] + 1
            if epoch < now["epoch_seen"]:
                raise ds.StateError("epoch: %d is lower than the workspace's epoch %d; epochs only grow (fencing)"
                                    % (epoch, now["epoch_seen"]))
            ds.check_transition(now, active, epoch)
            same_claim = now["claims"] and (now["active"], now["epoch"]) == (active, epoch)
            switched_at = params.get("switched_at")
            if switched_at is not None:
                switched_at = ds.format_time(ds.parse_time(switched_at, "switched_at"))
            elif same_claim and now["switched_at"]:
                switched_at = have[ds.TAG_SWITCHED_AT]
            else:
                switched_at = ds.format_time(datetime.datetime.now(datetime.timezone.utc))
            want.update(ds.claim_tags(active, epoch, switched_at))
        record = params.get("sync_record")
        if record is not None:
            want.update(ds.sync_record_tags(record["source"], ds.parse_time(record["finished_at"],
                                                                            "sync_record.finished_at"),
                                            record.get("counts") or {}))
        return want

    def plan(self, clients, current):
        before = ds.state_tags(current["tags"])
        after = self.desired_state_tags(current)
        changes = dict((k, [before.get(k), after.get(k)]) for k in sorted(set(before) | set(after))
                       if before.get(k) != after.get(k))
        tags = dict((k, v) for k, v in current["tags"].items() if not k.startswith(ds.PREFIX))
        tags.update(after)
        return dict(action="update" if changes else "none", changes=changes, after=after, all_tags=tags,
                    before=before)

    def update(self, clients, plan, current, wait):
        workspace = service.update_workspace(clients, self.group, self.name, {"tags": plan["all_tags"]},
                                             wait_timeout=3 * self.params["timeout"])
        return ds.state_tags((workspace or {}).get("tags") or plan["all_tags"])

    def diff(self, current, plan, after):
        return make_diff(plan["before"], after)

    def returned(self, plan, after):
        result = dict(tags=after)
        if self.state == "present":
            state = ds.parse_state(after)
            result["dr_state"] = dict((k, state[k]) for k in ("active", "epoch", "switched_at", "last_sync",
                                                              "sync_source", "sync_counts"))
        return result


def main():
    module = BoundedModule(argument_spec=dict(
        name=dict(type="str", required=True),
        resource_group=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        active=dict(type="str", choices=list(ds.ROLES)),
        epoch=dict(type="int"),
        switched_at=dict(type="str"),
        sync_record=dict(type="dict", options=dict(
            finished_at=dict(type="str", required=True),
            source=dict(type="str", required=True, choices=list(ds.ROLES)),
            counts=dict(type="dict"),
        )),
        timeout=dict(type="int", default=10),
        retries=dict(type="int", default=1),
    ))
    run_resource(module, DrStateMarker(module), validators=[option_errors])


if __name__ == "__main__":
    main()
