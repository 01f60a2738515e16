#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: resource_group
short_description: Create, tag or delete an Azure resource group
version_added: 0.1.0
description:
  - Manages one resource group, for example the group of each region of a DR pair.
  - An existing group is adopted as it is; when it already matches the options, the module reports no change.
  - Idempotent; supports check mode and C(--diff). O(location) is fixed when the group is created;
    asking for a different value fails before any change.
  - Deleting a group deletes everything in it. A group that holds resources is deleted only with
    O(force_delete_nonempty=true); without it the module fails (in check mode too), listing what is in it.
  - Calls Microsoft.Resources api-version 2021-04-01.
options:
  name:
    description: Name of the resource group (1 to 90 letters, digits, C(-), C(_), C(.), C(\() and C(\)), not ending with C(.)).
  force_delete_nonempty:
    description:
      - With O(state=absent), delete the group even if it holds resources (they are deleted with it).
    type: bool
    default: false
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource.NO_RESOURCE_GROUP
  - amlops.bcdr.azure_wait
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: Resource group of the primary region
  amlops.bcdr.resource_group:
    name: rg-fraud-eastus
    location: eastus
    tags:
      amlops.bcdr/pair: fraud
      amlops.bcdr/role: primary

- name: Delete a scratch group and everything in it
  amlops.bcdr.resource_group:
    name: rg-scratch
    state: absent
    force_delete_nonempty: true
"""

RETURN = r"""
resource_group:
  description: The group after the change (predicted in check mode). Absent after deletion.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-eastus
    name:
      description: Name.
      type: str
      sample: rg-fraud-eastus
    location:
      description: Region, lower case without spaces.
      type: str
      sample: eastus
    tags:
      description: Tags.
      type: dict
      sample: {"amlops.bcdr/pair": "fraud"}
    provisioning_state:
      description: Provisioning state (unknown in check mode before creation).
      type: str
      sample: Succeeded
    managed_by:
      description: ID of the resource that manages the group, if any.
      type: str
      sample: null
changes:
  description: Fields changed by an update, as C([before, after]).
  returned: always
  type: dict
  sample: {"tags": [{}, {"amlops.bcdr/pair": "fraud"}]}
"""

from functools import partial

from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import (
    RESOURCE_GROUP,
    check_group_delete,
    input_errors,
    plan_resource,
)
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_service import ResourceGroups
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ServiceResource, run_resource


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        common=("name", "state", "location", "tags", "purge_tags"),
        force_delete_nonempty=dict(type="bool", default=False),
    ))
    params = module.params
    service = ResourceGroups()

    def complete(clients, current, desired):
        if params["state"] == "absent" and current is not None:
            check_group_delete(params["name"], service.contents(clients, params["name"]),
                               params["force_delete_nonempty"])
        return desired

    desired = dict((k, params[k]) for k in ("location", "tags", "purge_tags"))
    run_resource(module, ServiceResource(module, service, partial(plan_resource, RESOURCE_GROUP), desired,
                                         "resource_group", complete=complete),
                 validators=[partial(input_errors, kind="resource_group")])


if __name__ == "__main__":
    main()
