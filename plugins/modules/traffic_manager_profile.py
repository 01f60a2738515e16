#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: traffic_manager_profile
short_description: Create, update or delete an Azure Traffic Manager profile and its external endpoints
version_added: 0.1.0
description:
  - Manages one Traffic Manager profile (a global DNS name, C(<relative_name>.trafficmanager.net)) and its external
    endpoints (host names), for example the profile that fronts the two regions of an online endpoint of a DR pair;
    see the M(amlops.bcdr.traffic_manager_profile) tasks of the provision and failover roles and the
    C(amlops.bcdr.dr_traffic_manager_profiles) filter.
  - Idempotent; supports check mode and C(--diff). The profile is read before anything is written, and the whole
    change is one request (all endpoints at once).
  - A profile of that name that already exists and fronts other targets (an endpoint of the same name with another
    target, or, with O(purge_endpoints), an endpoint whose target is not in O(endpoints)) is refused with one line and
    left unchanged, unless O(retarget=true).
  - Only external endpoints are managed; settings the module has no option for (probe interval, custom headers,
    weights, Azure or nested endpoints kept with O(purge_endpoints=false)) are kept as they are.
  - Calls Microsoft.Network (Traffic Manager) api-version 2022-04-01.
options:
  name:
    description: Name of the profile, 1 to 63 letters, digits, C(-) and C(.), starting and ending with a letter or digit.
    type: str
    required: true
  resource_group:
    description: Resource group of the profile. It must exist.
    type: str
    required: true
  state:
    description: Whether the profile should exist. Deleting a profile deletes its endpoints.
    type: str
    choices: [present, absent]
    default: present
  relative_name:
    description:
      - The profile's DNS name within C(trafficmanager.net), unique in all of Azure. Default O(name).
      - Fixed once the profile exists; a taken name is refused before the profile is created.
    type: str
  routing_method:
    description:
      - How Traffic Manager picks an endpoint. C(Priority) sends every client to the enabled, healthy endpoint with the
        lowest O(endpoints[].priority); C(Weighted) spreads clients over the enabled, healthy endpoints.
    type: str
    choices: [Priority, Weighted]
    default: Priority
  ttl:
    description: Seconds DNS resolvers may cache the answer (0 to 2147483647). A low value makes a switch visible sooner.
    type: int
    default: 30
  monitor:
    description: How Traffic Manager probes each endpoint's health.
    type: dict
    suboptions:
      protocol:
        description: Probe protocol.
        type: str
        choices: [HTTP, HTTPS, TCP]
        default: HTTPS
      port:
        description: Probe port (1 to 65535).
        type: int
        default: 443
      path:
        description: Path probed with HTTP or HTTPS, starting with C(/) (not used with TCP).
        type: str
        default: /
  endpoints:
    description:
      - The profile's external endpoints. Leave unset to keep the endpoints as they are.
    type: list
    elements: dict
    suboptions:
      name:
        description: Endpoint name, unique in the profile.
        type: str
        required: true
      target:
        description:
          - Host name (or IP address) clients are sent to, without scheme or path; for an Azure Machine Learning online
            endpoint its scoring host C(<endpoint>.<region>.inference.ml.azure.com).
        type: str
        required: true
      priority:
        description:
          - 1 to 1000, unique in a C(Priority) profile (lower is preferred). Unset, an existing endpoint keeps its
            priority and a new one gets the next free one.
        type: int
      status:
        description:
          - C(Disabled) takes the endpoint out of DNS answers whatever its health. Unset, a new endpoint is C(Enabled)
            and an existing one keeps its status.
        type: str
        choices: [Enabled, Disabled]
  purge_endpoints:
    description: Remove the profile's endpoints that are not in O(endpoints). Ignored when O(endpoints) is unset.
    type: bool
    default: true
  retarget:
    description:
      - Allow the change to point existing endpoints elsewhere (another O(endpoints[].target) for an endpoint of the
        same name) or to remove, with O(purge_endpoints), endpoints whose target is not in O(endpoints).
      - Without it such a profile counts as one that fronts something else, and the module fails without a change.
    type: bool
    default: false
requirements:
  - azure-mgmt-trafficmanager >= 1.1.0
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.TAGS
  - amlops.bcdr.azure_resource.CHECK_AND_DIFF
seealso:
  - module: amlops.bcdr.traffic_manager_profile_info
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: One DNS name for an online endpoint served in two regions (primary preferred)
  amlops.bcdr.traffic_manager_profile:
    name: tm-fraud-score
    resource_group: rg-fraud-shared
    endpoints:
      - name: primary
        target: score.eastus.inference.ml.azure.com
        priority: 1
        status: Enabled
      - name: secondary
        target: score.westus.inference.ml.azure.com
        priority: 2
        status: Enabled
  register: profile

- name: Take the primary region out of DNS answers (the other endpoints are kept as they are)
  amlops.bcdr.traffic_manager_profile:
    name: tm-fraud-score
    resource_group: rg-fraud-shared
    endpoints:
      - name: primary
        target: score.eastus.inference.ml.azure.com
        status: Disabled
    purge_endpoints: false

- name: The profiles of a DR pair for its active side
  amlops.bcdr.traffic_manager_profile: "{{ item }}"
  loop: "{{ bcdr_pair | amlops.bcdr.dr_traffic_manager_profiles(active='primary') }}"

- name: Delete a profile
  amlops.bcdr.traffic_manager_profile:
    name: tm-scratch
    resource_group: rg-scratch
    state: absent
"""

RETURN = r"""
profile:
  description: The profile after the change (predicted in check mode). Absent after deletion.
  returned: when O(state=present)
  type: dict
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
      description: The probes' verdict over the profile's endpoints (null in check mode until Azure has probed).
      type: str
      sample: Online
    endpoints:
      description: The endpoints, by priority.
      type: list
      elements: dict
      contains:
        name:
          description: Endpoint name.
          type: str
          sample: primary
        type:
          description: C(external), C(azure) or C(nested) (only external ones are managed).
          type: str
          sample: external
        target:
          description: Host name clients are sent to.
          type: str
          sample: score.eastus.inference.ml.azure.com
        priority:
          description: Priority (lower is preferred).
          type: int
          sample: 1
        status:
          description: C(Enabled) or C(Disabled).
          type: str
          sample: Enabled
        monitor_status:
          description: The probes' verdict (C(Online), C(Degraded), C(Disabled)...; null in check mode until probed).
          type: str
          sample: Online
    tags:
      description: Tags.
      type: dict
      sample: {"amlops.bcdr.pair": "fraud"}
changes:
  description:
    - What an update changed, as C([before, after]). Endpoint fields are named C(endpoints.<name>.<field>); an endpoint
      added or removed is C(endpoints.<name>) with null on the side where it does not exist.
  returned: always
  type: dict
  sample: {"endpoints.primary.status": ["Enabled", "Disabled"], "endpoints.secondary.status": ["Disabled", "Enabled"]}
"""

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import PlanError
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.traffic_plan import desired_profile, input_errors, plan_profile
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.traffic_service import Profiles
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ServiceResource, run_resource


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        common=("name", "resource_group", "state", "tags", "purge_tags"), wait=False,
        relative_name=dict(type="str"),
        routing_method=dict(type="str", choices=["Priority", "Weighted"], default="Priority"),
        ttl=dict(type="int", default=30),
        monitor=dict(type="dict", options=dict(
            protocol=dict(type="str", choices=["HTTP", "HTTPS", "TCP"], default="HTTPS"),
            port=dict(type="int", default=443),
            path=dict(type="str", default="/"),
        )),
        endpoints=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            target=dict(type="str", required=True),
            priority=dict(type="int"),
            status=dict(type="str", choices=["Enabled", "Disabled"]),
        )),
        purge_endpoints=dict(type="bool", default=True),
        retarget=dict(type="bool", default=False),
    ))
    params = module.params
    service = Profiles()

    def planner(desired, current, state):
        return plan_profile(desired, current, state, name=params["name"])

    def complete(clients, current, desired):
        # A taken DNS name is known before the create: say so in check mode too, with the option's name.
        if current is None and params["state"] == "present" and \
                not service.relative_name_available(clients, desired["relative_name"]):
            raise PlanError("relative_name: '%s.trafficmanager.net' is already taken by another Traffic Manager profile "
                            "(DNS names are unique in all of Azure); choose another relative_name"
                            % desired["relative_name"].lower())
        return desired

    run_resource(module, ServiceResource(module, service, planner, desired_profile(params), "profile", complete=complete),
                 validators=[input_errors])


if __name__ == "__main__":
    main()
