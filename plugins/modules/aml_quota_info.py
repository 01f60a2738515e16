#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aml_quota_info
short_description: Azure Machine Learning compute quota of a region, and what requested clusters lack
version_added: 0.1.0
description:
  - Returns the region's Azure Machine Learning usages (dedicated vCPUs per VM family and in total) and, for the
    clusters a play is about to create, the quotas that are too small (O(clusters)).
  - A requested cluster needs O(clusters[].max_nodes) times the vCPUs of its VM size (from the region's VM size
    table) in its VM family's quota and in the regional total of dedicated vCPUs (low-priority clusters count
    against the regional low-priority total, when Azure reports one). Nodes that an existing cluster of the
    same name already holds are counted as its own, so running a provision playbook again does not count its
    clusters twice.
  - Run it for both regions of a DR pair before creating anything, and assert that RV(shortfalls) is empty.
  - Calls Microsoft.MachineLearningServices api-version 2024-04-01 (Usages_List, VirtualMachineSizes_List,
    Compute_List).
options:
  location:
    description: The region, for example C(eastus).
    type: str
    required: true
  clusters:
    description: Clusters the play wants in this region. Leave empty to only read the usages.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Cluster name.
        type: str
        required: true
      vm_size:
        description: VM size, for example C(Standard_DS3_v2).
        type: str
        required: true
      max_nodes:
        description: Maximum number of nodes.
        type: int
        required: true
      vm_priority:
        description: C(Dedicated) or C(LowPriority).
        type: str
        choices: [Dedicated, LowPriority]
        default: Dedicated
      workspace:
        description: Workspace of the cluster (default O(workspace)); its existing clusters are read.
        type: str
      resource_group:
        description: Resource group of that workspace (default O(resource_group)).
        type: str
  workspace:
    description: Default workspace of O(clusters).
    type: str
  resource_group:
    description: Default resource group of O(clusters).
    type: str
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.READ_ONLY
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Quota for the clusters of both regions
  amlops.bcdr.aml_quota_info:
    location: "{{ item.region }}"
    workspace: "{{ item.workspace }}"
    resource_group: "{{ item.resource_group }}"
    clusters:
      - name: cpu-cluster
        vm_size: Standard_DS3_v2
        max_nodes: 10
  loop:
    - {region: eastus, workspace: mlw-fraud-eastus, resource_group: rg-fraud-eastus}
    - {region: westus, workspace: mlw-fraud-westus, resource_group: rg-fraud-westus}
  register: quota

- name: Stop before any change when a region lacks quota
  ansible.builtin.assert:
    that: item.shortfalls | length == 0
    fail_msg: "{{ item.shortfalls | map(attribute='shortfall_message') | join('; ') }}"
    quiet: true
  loop: "{{ quota.results }}"
  loop_control:
    label: "{{ item.location }}"
"""

RETURN = r"""
location:
  description: The region, lower case without spaces.
  returned: always
  type: str
  sample: eastus
usages:
  description: The region's ML usages (subscription level, not per workspace).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Usage name as Azure reports it.
      type: str
      sample: Standard DSv2 Family Cluster Dedicated vCPUs
    family:
      description: The VM family of a per-family quota, as the VM size table spells it; null for other usages.
      type: str
      sample: standardDSv2Family
    current:
      description: Cores in use.
      type: int
      sample: 8
    limit:
      description: The quota.
      type: int
      sample: 100
    unit:
      description: Unit.
      type: str
      sample: Count
    type:
      description: Usage type.
      type: str
      sample: Microsoft.MachineLearningServices/vmFamily/usages
shortfalls:
  description: Quotas too small for O(clusters); empty when they fit.
  returned: always
  type: list
  elements: dict
  contains:
    region:
      description: The region.
      type: str
      sample: eastus
    family:
      description: The VM family (or the regional total) that is short.
      type: str
      sample: standardDSv2Family
    needed:
      description: vCPUs the requested clusters need at their maximum size.
      type: int
      sample: 40
    available:
      description: vCPUs free for them (limit minus usage, plus what their existing clusters hold).
      type: int
      sample: 24
    limit:
      description: The quota.
      type: int
      sample: 100
    current:
      description: Usage now.
      type: int
      sample: 76
    clusters:
      description: Names of the requested clusters that count against this quota.
      type: list
      elements: str
      sample: [cpu-cluster]
    shortfall_message:
      description: One line for an assert's C(fail_msg).
      type: str
      sample: "eastus: standardDSv2Family needs 40 cores for cpu-cluster (10 x Standard_DS3_v2, 4 vCPUs); 24 of 100 available"
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.ml.compute_plan import (
    PlanError,
    normalize_location,
    validate_name,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import run_info
from ansible_collections.amlops.bcdr.plugins.module_utils.ml.quota_plan import plan_quota
from ansible_collections.amlops.bcdr.plugins.module_utils.ml import compute_service as service


def _requested(module):
    """The clusters with defaults applied; bad input fails before any call."""
    params = module.params
    clusters = []
    for index, cluster in enumerate(params["clusters"] or []):
        cluster = dict(cluster)
        try:
            validate_name(cluster["name"])
        except PlanError as exc:
            module.fail_json(msg="clusters[%d].%s" % (index, exc))
        if cluster["max_nodes"] < 1:
            module.fail_json(msg="clusters[%d].max_nodes: must be 1 or more (got %s)" % (index, cluster["max_nodes"]))
        cluster["workspace"] = cluster.get("workspace") or params["workspace"]
        cluster["resource_group"] = cluster.get("resource_group") or params["resource_group"]
        if cluster["workspace"] and not cluster["resource_group"]:
            module.fail_json(msg="clusters[%d].resource_group: set it (or resource_group) to find the existing "
                                 "clusters of workspace '%s'" % (index, cluster["workspace"]))
        clusters.append(cluster)
    return clusters


def main():
    argument_spec = dict(
        location=dict(type="str", required=True),
        clusters=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            vm_size=dict(type="str", required=True),
            max_nodes=dict(type="int", required=True),
            vm_priority=dict(type="str", choices=["Dedicated", "LowPriority"], default="Dedicated"),
            workspace=dict(type="str"),
            resource_group=dict(type="str"),
        )),
        workspace=dict(type="str"),
        resource_group=dict(type="str"),
    )
    module = AzureModule(argument_spec=argument_spec)
    region = normalize_location(module.params["location"])
    clusters = _requested(module)

    def read(clients):
        usages = service.list_usages(clients, region)
        shortfalls = []
        if clusters:
            sizes = service.list_vm_sizes(clients, region)
            existing = []
            for group, workspace in sorted(set((c["resource_group"], c["workspace"]) for c in clusters if c["workspace"])):
                existing.extend(c for c in service.list_computes(clients, group, workspace)
                                if c.get("compute_type") == "AmlCompute" and c.get("location") == region)
            shortfalls = plan_quota(region, usages, sizes, clusters, existing)
        return dict(location=region, usages=usages, shortfalls=shortfalls)

    run_info(module, "quota in %s" % region, read)


if __name__ == "__main__":
    main()
