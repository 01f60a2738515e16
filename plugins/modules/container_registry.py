#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: container_registry
short_description: Create, update, adopt or delete an Azure Container Registry
version_added: 0.1.0
description:
  - Manages one Azure Container Registry, the registry both workspaces of a DR pair share.
    Geo-replication to the other region is managed by M(amlops.bcdr.acr_georeplica).
  - An existing registry (for example one created by another team's tooling) is adopted as it is;
    when it already matches the options, the module reports no change.
  - Idempotent; supports check mode and C(--diff). O(location) and O(zone_redundancy) are fixed when
    the registry is created; asking for a different value fails before any change.
  - Admin credentials are never read nor returned.
  - Calls Microsoft.ContainerRegistry api-version 2023-07-01.
options:
  name:
    description: Name of the registry, 5 to 50 letters and digits. Checked before any call to Azure.
  sku:
    description:
      - SKU of the registry. Required to create it. Geo-replication needs C(Premium).
      - Leave unset to keep the SKU of an existing registry.
    type: str
    choices: [Basic, Standard, Premium]
  admin_user_enabled:
    description:
      - Enable the registry's admin user. Azure Machine Learning does not need it (it uses the
        workspace identity), so it is off unless asked for.
    type: bool
    default: false
  public_network_access:
    description: Whether the registry accepts requests from public networks. Leave unset to keep the current value.
    type: str
    choices: [Enabled, Disabled]
  zone_redundancy:
    description:
      - Zone redundancy of the registry's home region. Set at creation only (Azure cannot change it);
        a different value for an existing registry is an error.
    type: str
    choices: [Enabled, Disabled]
extends_documentation_fragment:
  - amlops.bcdr.azure_auth
  - amlops.bcdr.azure_resource
  - amlops.bcdr.azure_wait
seealso:
  - module: amlops.bcdr.acr_georeplica
author:
  - amlops.bcdr maintainers (@amlops)
"""

EXAMPLES = r"""
- name: The registry both workspaces of the pair share
  amlops.bcdr.container_registry:
    name: acrfraud
    resource_group: rg-fraud-shared
    location: eastus
    sku: Premium
    tags:
      amlops.bcdr/pair: fraud

- name: Adopt a registry another team created (no change when it already matches)
  amlops.bcdr.container_registry:
    name: acrplatform
    resource_group: rg-platform
  register: byo

- name: Delete a registry
  amlops.bcdr.container_registry:
    name: acrscratch
    resource_group: rg-scratch
    state: absent
"""

RETURN = r"""
registry:
  description: The registry after the change (predicted in check mode). Absent after deletion.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Resource ID.
      type: str
      sample: /subscriptions/xxx/resourceGroups/rg-fraud-shared/providers/Microsoft.ContainerRegistry/registries/acrfraud
    name:
      description: Name.
      type: str
      sample: acrfraud
    resource_group:
      description: Resource group.
      type: str
      sample: rg-fraud-shared
    location:
      description: Home region, lower case without spaces.
      type: str
      sample: eastus
    sku:
      description: SKU name.
      type: str
      sample: Premium
    login_server:
      description: Login server (unknown in check mode before creation).
      type: str
      sample: acrfraud.azurecr.io
    admin_user_enabled:
      description: Whether the admin user is enabled. Its passwords are never returned.
      type: bool
      sample: false
    public_network_access:
      description: Public network access.
      type: str
      sample: Enabled
    zone_redundancy:
      description: Zone redundancy of the home region.
      type: str
      sample: Disabled
    tags:
      description: Tags.
      type: dict
      sample: {"amlops.bcdr/pair": "fraud"}
    provisioning_state:
      description: Provisioning state.
      type: str
      sample: Succeeded
changes:
  description: Fields changed by an update, as C([before, after]).
  returned: always
  type: dict
  sample: {"sku": ["Standard", "Premium"]}
"""

from functools import partial

from ansible_collections.amlops.bcdr.plugins.module_utils.acr.registry_plan import input_errors, plan_registry
from ansible_collections.amlops.bcdr.plugins.module_utils.acr import registry_service as service
from ansible_collections.amlops.bcdr.plugins.module_utils.core.module import AzureModule, resource_argument_spec
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ServiceFunctions, ServiceResource, run_resource

DESIRED_OPTIONS = ("location", "sku", "admin_user_enabled", "public_network_access", "zone_redundancy",
                   "tags", "purge_tags")
REGISTRIES = ServiceFunctions("container registry", "Microsoft.ContainerRegistry/registries", service.get_registry,
                              service.create_registry, service.update_registry, service.delete_registry)


def main():
    module = AzureModule(argument_spec=resource_argument_spec(
        sku=dict(type="str", choices=["Basic", "Standard", "Premium"]),
        admin_user_enabled=dict(type="bool", default=False),
        public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
        zone_redundancy=dict(type="str", choices=["Enabled", "Disabled"]),
    ))
    desired = dict((k, module.params[k]) for k in DESIRED_OPTIONS)
    run_resource(module, ServiceResource(module, REGISTRIES, plan_registry, desired, "registry",
                                         unknown_until_created=dict(login_server=None, provisioning_state=None)),
                 validators=[partial(input_errors, kind="registry")])


if __name__ == "__main__":
    main()
