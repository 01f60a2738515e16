#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_dr_snapshot_info
short_description: Read a DR snapshot from a workspace's own storage
version_added: 0.1.0
description:
  - Reads the snapshot M(amlops.bcdr.aml_dr_snapshot) wrote to the default datastore of an Azure Machine
    Learning workspace (C(amlops-bcdr/state/snapshots/<name>.json)), with the time it was written.
  - Returns C(snapshot=null) when there is none (or what is there is not a JSON document).
  - The storage account key is read from Azure for the run only; it is never returned or logged.
options:
  name:
    description: Name of the snapshot, for example C(workloads).
    type: str
    required: true
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.WORKSPACE
  - amlops.bcdr.azure_resource.READ_ONLY
seealso:
  - module: amlops.bcdr.aml_dr_snapshot
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: The workloads the last sync recorded in the failover's target
  amlops.bcdr.aml_dr_snapshot_info:
    workspace: mlw-fraud-westus
    resource_group: rg-fraud-westus
    name: workloads
  register: recorded

- name: Resubmit the jobs it lists
  amlops.bcdr.aml_job_copy:
    source_workspace: mlw-fraud-eastus
    source_resource_group: rg-fraud-eastus
    target_workspace: mlw-fraud-westus
    target_resource_group: rg-fraud-westus
    jobs: "{{ recorded.snapshot.content.jobs }}"
  when: recorded.snapshot is not none
"""

RETURN = r"""
snapshot:
  description: The snapshot, or null when there is none.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the snapshot.
      type: str
      sample: workloads
    taken_at:
      description: When its content was written (UTC), from the blob's metadata; null when it has none.
      type: str
      sample: "2026-11-30T16:58:02Z"
    content:
      description: The recorded document.
      type: dict
      sample: {"endpoints": [{"name": "fraud-scoring", "traffic": {"blue": 100}}], "jobs": [], "schedules": []}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import run_info
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import snapshot_service as snapshots


def main():
    module = AzureModule(argument_spec=resource_argument_spec(common=("workspace", "resource_group"), wait=False,
                                                              name=dict(type="str", required=True)))
    params = module.params
    errors = snapshots.name_errors(params)
    if errors:
        module.fail_json(msg="; ".join(errors))

    def read(clients):
        store = snapshots.SnapshotStore(clients, params["resource_group"], params["workspace"])
        try:
            return dict(snapshot=store.read(params["name"]))
        finally:
            module.no_log_values.update(store.secrets())  # account keys scrubbed from any failure line

    run_info(module, "reading DR snapshot %s of workspace %s" % (params["name"], params["workspace"]), read)


if __name__ == "__main__":
    main()
