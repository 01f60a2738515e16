#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_dr_snapshot
short_description: Record a DR snapshot (a JSON document) in a workspace's own storage
version_added: 0.1.0
description:
  - Writes O(content) as JSON to the default datastore of an Azure Machine Learning workspace, at
    C(amlops-bcdr/state/snapshots/<name>.json) in the datastore's blob container. The sync role records
    there what the standby needs to take over (the active's endpoints, deployments, jobs and schedules);
    the failover reads it back with M(amlops.bcdr.aml_dr_snapshot_info) from the workspace's own storage, in
    its own region, so it is readable when the other region is down.
  - Changes only when the content differs from what is stored. The time of the write, C(taken_at), is kept
    in the blob's metadata and is not part of the comparison, so an unchanged content keeps the time it
    was first written.
  - O(state=absent) deletes the snapshot.
  - The storage account key is read from Azure for the run only; it is never returned or logged.
options:
  name:
    description:
      - Name of the snapshot, for example C(workloads). Letters, digits, C(_), C(.) and C(-), up to 100.
    type: str
    required: true
  state:
    description: Whether the snapshot should exist.
  content:
    description:
      - The document to record. Required with O(state=present).
      - Must be writable as JSON, at most 4 MiB. Secrets do not belong in it.
    type: dict
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.IN_WORKSPACE
seealso:
  - module: amlops.bcdr.aml_dr_snapshot_info
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Record the active's workloads in the standby workspace
  amlops.bcdr.aml_dr_snapshot:
    workspace: mlw-fraud-westus
    resource_group: rg-fraud-westus
    name: workloads
    content:
      endpoints: "{{ endpoints.endpoints }}"
      jobs: "{{ jobs.jobs }}"
      schedules: "{{ schedules.schedules }}"

- name: Remove a snapshot
  amlops.bcdr.aml_dr_snapshot:
    workspace: mlw-fraud-westus
    resource_group: rg-fraud-westus
    name: workloads
    state: absent
"""

RETURN = r"""
snapshot:
  description: The snapshot after the run (predicted in check mode).
  returned: when O(state=present)
  type: dict
  contains:
    name:
      description: Name of the snapshot.
      type: str
      sample: workloads
    taken_at:
      description: When this content was written (UTC); kept when the content did not change.
      type: str
      sample: "2026-11-30T16:58:02Z"
    content:
      description: The content as stored (as JSON reads it back).
      type: dict
      sample: {"endpoints": [{"name": "fraud-scoring", "traffic": {"blue": 100}}], "jobs": [], "schedules": []}
location:
  description: Where the snapshot is kept. Never includes a key or SAS.
  returned: always
  type: dict
  contains:
    account:
      description: Storage account of the workspace's default datastore.
      type: str
      sample: stfraudwestus
    container:
      description: Blob container of the default datastore.
      type: str
      sample: azureml-blobstore-0d1f6a3c
    blob:
      description: Blob name.
      type: str
      sample: amlops-bcdr/state/snapshots/workloads.json
changes:
  description: Top-level keys of the content that changed, each C(added), C(removed) or C(changed).
  returned: always
  type: dict
  sample: {"jobs": "changed"}
"""

import contextlib
import datetime

from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import make_diff
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import (
    WORKSPACE_CHILD_OPTIONS, AzureModule, resource_argument_spec,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import Resource, run_resource
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import snapshot_service as snapshots


class Snapshot(Resource):
    label = "DR snapshot"

    def __init__(self, module):
        super(Snapshot, self).__init__(module)
        self.workspace = self.params["workspace"]
        self.store = None
        self.where = None

    def what(self):
        return "DR snapshot %s of workspace %s" % (self.name, self.workspace)

    @contextlib.contextmanager
    def scrubbing(self):
        """Whatever happens inside, the account keys read so far are scrubbed from the module's output."""
        try:
            yield
        finally:
            if self.store is not None:
                self.module.no_log_values.update(self.store.secrets())

    def read(self, clients):
        self.store = snapshots.SnapshotStore(clients, self.group, self.workspace)
        with self.scrubbing():
            self.where = self.store.location(self.name)
            return self.store.read(self.name)

    def plan(self, clients, current):
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return snapshots.plan_snapshot(self.name, self.params.get("content"), current, self.state, now)

    def create(self, clients, plan, wait):
        with self.scrubbing():
            after = plan["after"]
            return self.store.write(self.name, after["content"], after["taken_at"])

    def update(self, clients, plan, current, wait):
        return self.create(clients, plan, wait)

    def delete(self, clients, plan, current, wait):
        with self.scrubbing():
            self.store.delete(self.name)

    def predict(self, plan):
        return plan["after"]

    def diff(self, current, plan, after):
        return make_diff((current or {}).get("content"), (after or {}).get("content"))

    def returned(self, plan, after):
        result = dict(location=self.where)
        if self.state == "present":
            result["snapshot"] = after
        return result


def main():
    module = AzureModule(argument_spec=resource_argument_spec(common=WORKSPACE_CHILD_OPTIONS, wait=False,
                                                              content=dict(type="dict")))
    run_resource(module, Snapshot(module), validators=[snapshots.input_errors])


if __name__ == "__main__":
    main()
