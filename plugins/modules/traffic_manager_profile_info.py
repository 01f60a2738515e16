#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: traffic_manager_profile_info
short_description: Read Azure Traffic Manager profiles and their endpoints
version_added: 0.1.0
description:
  - Returns one Traffic Manager profile, the profiles of a resource group, or all the profiles of the subscription,
    with their endpoints' statuses and the probes' verdicts.
  - Calls Microsoft.Network (Traffic Manager) api-version 2022-04-01.
options:
  name:
    description: Name of one profile (requires O(resource_group)). Unset, all the profiles of O(resource_group).
    type: str
  resource_group:
    description: Resource group of the profiles. Unset (and no O(name)), the whole subscription.
    type: str
requirements:
  - azure-mgmt-trafficmanager >= 1.1.0
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.READ_ONLY
seealso:
  - module: amlops.bcdr.traffic_manager_profile
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Which region does the pair's scoring name send clients to?
  amlops.bcdr.traffic_manager_profile_info:
    name: tm-fraud-score
    resource_group: rg-fraud-shared
  register: tm

- name: Show the endpoints' statuses
  ansible.builtin.debug:
    msg: "{{ tm.profiles[0].endpoints | items2dict(key_name='name', value_name='status') }}"
"""

RETURN = r"""
profiles:
  description: The profiles found, by ID (an empty list when the named profile does not exist).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-shared/providers/Microsoft.Network/trafficManagerProfiles/tm-fraud-score
    name:
      description: Name.
      type: str
      sample: tm-fraud-score
    resource_group:
      description: Resource group.
      type: str
      sample: rg-fraud-shared
    relative_name:
      description: DNS name within C(trafficmanager.net).
      type: str
      sample: tm-fraud-score
    fqdn:
      description: The name clients use.
      type: str
      sample: tm-fraud-score.trafficmanager.net
    routing_method:
      description: Routing method.
      type: str
      sample: Priority
    ttl:
      description: DNS time to live, in seconds.
      type: int
      sample: 30
    monitor:
      description: Health probe settings (C(path) is null with TCP).
      type: dict
      sample: {"protocol": "HTTPS", "port": 443, "path": "/"}
    profile_status:
      description: Whether the profile answers DNS queries.
      type: str
      sample: Enabled
    profile_monitor_status:
      description: The probes' verdict over the profile's endpoints.
      type: str
      sample: Online
    endpoints:
      description: The endpoints, by priority.
      type: list
      elements: dict
      sample: [{"name": "primary", "type": "external", "target": "score.eastus.inference.ml.azure.com", "priority": 1,
                "status": "Enabled", "monitor_status": "Online"}]
    tags:
      description: Tags.
      type: dict
      sample: {"amlops.bcdr.pair": "fraud"}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.traffic_service import Profiles
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import one_or_all, run_info


def main():
    module = AzureModule(
        argument_spec=dict(name=dict(type="str"), resource_group=dict(type="str")),
        required_by=dict(name="resource_group"),
    )
    params = module.params
    service = Profiles()

    def read(clients):
        return dict(profiles=one_or_all(lambda name: service.get(clients, params["resource_group"], name),
                                        lambda: service.list(clients, params["resource_group"]), params["name"]))

    run_info(module, "reading Traffic Manager profiles", read)


if __name__ == "__main__":
    main()
